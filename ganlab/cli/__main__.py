"""`python -m ganlab.cli`: the same as the `ganlab` command."""

import sys

from ganlab.cli import main

sys.exit(main())
