"""The import graph of ganlab/ and dashboard/: circles, and imports that go against the rooms' order.

    python tools/import_graph.py            # exit 0: no circle, every import goes down or level
    python tools/import_graph.py --edges    # and list every import between modules

Every import statement counts, at the top of a module or inside a function (a function-local
import that hides a circle is still a circle); only those under ``if TYPE_CHECKING:`` (types
for the checker, never run) are left out. ``from a.b import c`` is an import of the module
a.b.c when there is one, else of a.b. Only this file's standard-library imports are used, and
nothing of the project is imported: it reads the source.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ganlab", "dashboard")

# The rooms, lowest first: a module may import from its own room and from rooms below it,
# never from one above. The package ``ganlab`` itself (its __init__: the lazy public names)
# stands above all rooms, and nothing inside imports from it.
ROOMS: list[tuple[str, ...]] = [
    ("ganlab.files", "ganlab.config", "ganlab.losses", "ganlab.presets"),
    ("ganlab.data",),
    ("ganlab.models", "ganlab.measure"),
    ("ganlab.train",),
    ("ganlab.snapshot",),
    ("ganlab.runs",),
    ("ganlab.figures",),
    ("ganlab.sweep",),
    ("ganlab.bench",),
    ("ganlab.cli",),
    ("dashboard",),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree, except the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        inside = node.orelse if isinstance(node, ast.If) and _type_checking(node.test) else [node]
        for child in inside:
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            yield from _imports(child)


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The innermost known module that ``name`` is or lies in, if it is one of ours."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project's modules that the module ``name`` imports."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            module = _resolve(target, known)
            if module is not None and module != name:
                found.add(module)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(groups)


def room(name: str) -> int | None:
    """The rank of the room that holds module ``name`` (None: the ganlab package itself)."""
    for rank, prefixes in enumerate(ROOMS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    return None


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go against the rooms' order, or into the ganlab package's public names."""
    wrong = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            if target == "ganlab":
                wrong.append(f"{source} -> ganlab (import from the room that holds the name)")
                continue
            a, b = room(source), room(target)
            if a is None:  # the package itself: its lazy names may come from anywhere
                continue
            if b is None or b > a:
                wrong.append(f"{source} -> {target} (a lower room imports a higher one)")
    return wrong


def unplaced(edges: dict[str, set[str]]) -> list[str]:
    """Modules that belong to no room (a new module needs a place in ROOMS)."""
    return [name for name in sorted(edges) if name != "ganlab" and room(name) is None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="list every import between modules")
    args = parser.parse_args(argv)
    edges = graph()
    if args.edges:
        for source, targets in sorted(edges.items()):
            for target in sorted(targets):
                print(f"{source} -> {target}")
    problems = [f"circle: {' <-> '.join(group)}" for group in circles(edges)]
    problems += upward(edges)
    problems += [f"{name}: in no room of tools/import_graph.py's ROOMS" for name in unplaced(edges)]
    n_edges = sum(len(t) for t in edges.values())
    for line in problems:
        print(line)
    print(f"{len(edges)} modules, {n_edges} imports between them: ", end="")
    print("no circles, none upward" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
