"""Run directories: config.json, metrics.jsonl and checkpoint.pt (state dicts only)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import torch

from ganlab.config import ConfigError, ToyConfig
from ganlab.train import Trainer

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "load_trainer", "atomic_write"]


class CheckpointError(ValueError):
    """A checkpoint that cannot be trusted or read; the message says why in one line."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename: never half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def save_checkpoint(trainer: Trainer, path: Path) -> None:
    """Models, optimisers, counters and config: tensors and plain values only."""
    state = trainer.state_dict()
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(path, buf.getvalue())


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (no code runs); CheckpointError if bad."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # untrusted bytes: the unpickler fails in many ways (IndexError on b"h")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path} is not a readable ganlab checkpoint ({first[:160]})") from None
    needed = {"config", "generator", "discriminator", "opt_g", "opt_d", "d_updates", "g_updates"}
    if not isinstance(state, dict) or not needed <= set(state):
        raise CheckpointError(
            f"{path} is not a ganlab checkpoint (missing {sorted(needed - set(state or {}))})"
        )
    return state


def load_trainer(run_dir: Path, device: str | None = None) -> Trainer:
    """A Trainer restored from ``run_dir/checkpoint.pt``."""
    state = load_checkpoint(run_dir / "checkpoint.pt")
    try:
        cfg = ToyConfig.from_dict(state["config"])
        if device:
            cfg = cfg.replace(device=device)
        trainer = Trainer(cfg)
        trainer.load_state_dict(state)
    except (ConfigError, RuntimeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{run_dir / 'checkpoint.pt'} does not match its config ({exc})") from None
    return trainer


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, (json.dumps(obj, indent=2) + "\n").encode())
