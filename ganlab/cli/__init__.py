"""The `ganlab` command line. Bad input: one line on stderr, exit code 2.

The parser is apart (parser.py); each group of commands has its module: runs.py (train,
average, sample), evaluate.py (eval, judge), pictures.py (figures, plot, figure1), bench.py,
dashboard.py. Nothing here loads torch until a command runs.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys

from ganlab.cli.common import UsageError
from ganlab.cli.dashboard import STREAMLIT_SETTINGS, streamlit_command
from ganlab.cli.parser import build_parser

__all__ = ["main", "build_parser", "streamlit_command", "STREAMLIT_SETTINGS"]


@contextlib.contextmanager
def _mnist_dir(directory: str | None):
    """--mnist-dir: MNIST comes from ``directory`` for this command (and the environment's
    setting comes back afterwards)."""
    if not directory:
        yield
        return
    from ganlab.data.mnist import ENV_VAR

    before = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = directory
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = before


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # bare `ganlab`: what it can do
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    if args.command == "bench" and not (0.1 <= args.seconds <= 600 and math.isfinite(args.seconds)):
        sys.stderr.write("ganlab: error: --seconds must be between 0.1 and 600\n")
        return 2
    try:
        with _mnist_dir(getattr(args, "mnist_dir", None)):
            return args.handler(args)
    except UsageError as exc:
        sys.stderr.write(f"ganlab: error: {exc}\n")
        return 2
    except OSError as exc:  # a file in the way, no permission, a full disk: one line too
        where = f"{exc.filename}: " if exc.filename else ""
        sys.stderr.write(f"ganlab: error: {where}{exc.strerror or exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("\nganlab: interrupted; nothing more was written\n")
        return 130
