"""Files written whole and read without trust. Imports nothing of ganlab: every room may use it."""

from __future__ import annotations

import errno
import io
import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch

__all__ = ["atomic_write", "write_json", "load_untrusted"]


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename: never half a file.
    Missing parent folders are made."""
    if path.parent.exists() and not path.parent.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "a file, not a folder", str(path.parent))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_json(path: Path, obj: Any) -> None:
    """``obj`` as indented JSON, written whole (see atomic_write)."""
    atomic_write(path, (json.dumps(obj, indent=2) + "\n").encode())


def load_untrusted(source: str | Path | io.BytesIO) -> Any:
    """``torch.load`` with ``weights_only=True`` (tensors and plain values: no code runs), on
    the CPU, without torch's warnings about odd bytes (the caller says in one line what failed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.load(source, map_location="cpu", weights_only=True)
