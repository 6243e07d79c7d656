"""What the commands share: the one-line error, progress lines, and checks of paths given on
the command line. Light imports only: a mistyped argument answers at once."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "UsageError",
    "MAX_STEPS",
    "MAX_SAMPLES",
    "RUN_HELP",
    "progress",
    "out_dir",
    "make_dir",
    "new_dir",
    "run_path",
]

MAX_STEPS = 10_000_000
MAX_SAMPLES = 10_000_000
RUN_HELP = (
    "the --out of `ganlab train` or `ganlab average`, a .zip from the dashboard, a kept .pt state, "
    "or a shipped trained model (trained:mnist-paper, trained:mnist-demo)"
)


class UsageError(Exception):
    """Bad input: printed as one line on stderr, exit code 2."""


def progress(message: str, fraction: float) -> None:
    """A progress line on stderr (rewritten in place on a terminal)."""
    end = "\r" if sys.stderr.isatty() else "\n"
    sys.stderr.write(f"[{fraction:4.0%}] {message}{' ' * 10}{end}")
    sys.stderr.flush()


def out_dir(path: str) -> Path:
    """--out as a directory (it may not exist yet); a file in its place is a UsageError."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    return out


def make_dir(path: Path, flag: str = "--out") -> None:
    """mkdir -p, with an OSError (a file on the way, no permission) as a one-line UsageError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot make that directory ({exc.strerror or exc})") from None


@contextlib.contextmanager
def new_dir(out: Path) -> Iterator[Path]:
    """Yields a hidden folder beside ``out`` to write into; renamed to ``out`` once everything
    is written (``out`` must not exist or be empty), removed if anything fails."""
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"--out {out} already holds files; name a new directory")
    make_dir(out.parent)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    make_dir(partial)
    try:
        yield partial
        if out.is_dir():
            out.rmdir()  # empty, as checked
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def run_path(text: str, flag: str = "--run ") -> Path:
    """A --run value: the directory `ganlab train` wrote, a run exported as a .zip, or a state
    kept by --keep-every (.pt)."""
    from ganlab.runs.trained import PREFIX, TrainedModelError, trained_path

    if text.startswith(PREFIX):
        try:
            trained_path(text[len(PREFIX) :])
        except TrainedModelError as exc:
            raise UsageError(f"{flag}{text}: {exc}") from None
        return Path(text)
    run = Path(text)
    if run.is_dir() or (run.suffix in (".zip", ".pt") and run.is_file()):
        return run
    raise UsageError(
        f"{flag}{run} is neither a directory (the --out of `ganlab train`) nor a run exported as .zip "
        f"nor a kept .pt state nor a shipped model ({PREFIX}NAME)"
    )
