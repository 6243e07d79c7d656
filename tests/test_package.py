import subprocess
import sys


def test_importing_ganlab_does_not_import_streamlit():
    code = "import sys, ganlab, ganlab.cli, ganlab.plots, ganlab.figure1; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr
