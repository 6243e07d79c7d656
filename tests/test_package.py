import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import import_graph  # noqa: E402  (tools/import_graph.py: the check anyone can run)


def test_importing_all_of_ganlab_does_not_import_streamlit():
    code = (
        "import importlib, pkgutil, sys, ganlab\n"
        "for m in pkgutil.walk_packages(ganlab.__path__, 'ganlab.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "print(len(sys.modules), 'streamlit' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.split()[-1] == "False", result.stderr


def test_no_import_circles_and_no_import_goes_up_a_room():
    edges = import_graph.graph()
    assert len(edges) > 60 and "ganlab.train" in edges["ganlab.snapshot.toy1d"]  # the graph is read
    assert import_graph.circles(edges) == []
    assert import_graph.upward(edges) == []
    assert import_graph.unplaced(edges) == []


def test_the_checker_sees_a_circle_a_function_hides_and_an_upward_import(tmp_path):
    """The check can fail: a function-local import closing a circle, and a low room importing
    a high one, are both found (type-only imports are not)."""
    package = tmp_path / "ganlab"
    (package / "train").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "config.py").write_text("def f():\n    from ganlab.train.trainer import T\n")
    (package / "train" / "__init__.py").write_text("")
    (package / "train" / "trainer.py").write_text(
        "from typing import TYPE_CHECKING\nfrom ganlab.config import f\n"
        "if TYPE_CHECKING:\n    from ganlab.figures import X\n"
    )
    known = {
        "ganlab": package / "__init__.py",
        "ganlab.config": package / "config.py",
        "ganlab.train": package / "train" / "__init__.py",
        "ganlab.train.trainer": package / "train" / "trainer.py",
    }
    edges = {name: import_graph.imports_of(name, path, known) for name, path in known.items()}
    assert edges["ganlab.train.trainer"] == {"ganlab.config"}  # the TYPE_CHECKING import is left out
    assert import_graph.circles(edges) == [["ganlab.config", "ganlab.train.trainer"]]
    assert import_graph.upward(edges) == [
        "ganlab.config -> ganlab.train.trainer (a lower room imports a higher one)"
    ]
