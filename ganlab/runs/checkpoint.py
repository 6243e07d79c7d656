"""checkpoint.pt: a trainer's state as bytes (tensors and plain values only), read back without
trust (``weights_only=True``), into a trainer."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import torch

from ganlab.config import Config, ConfigError
from ganlab.files import atomic_write, load_untrusted
from ganlab.train import Trainer

__all__ = [
    "CheckpointError",
    "save_checkpoint",
    "checkpoint_bytes",
    "load_checkpoint",
    "parse_checkpoint",
    "trainer_from_state",
]


TRAINED_FORMAT = "ganlab trained generator 1"  # a trained generator shipped in assets/models


class CheckpointError(ValueError):
    """A checkpoint that cannot be trusted or read; the message says why in one line."""


def checkpoint_bytes(trainer: Trainer) -> bytes:
    """Models, optimisers, counters and config: tensors and plain values only."""
    buf = io.BytesIO()
    torch.save(trainer.state_dict(), buf)
    return buf.getvalue()


def save_checkpoint(trainer: Trainer, path: Path) -> None:
    atomic_write(path, checkpoint_bytes(trainer))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (no code runs); CheckpointError if bad."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    return parse_checkpoint(path.read_bytes(), str(path))


def _unreadable(data: bytes, exc: Exception) -> str:
    """Why torch.load refused ``data``, in words (its own messages are a bare number for a
    text file, or advice to turn off the safe loading)."""
    if not data:
        return "the file is empty"
    if data[:4] != b"PK\x03\x04" and data[:1] != b"\x80":  # torch.save's zip, or a plain pickle
        return "not a PyTorch file"
    if isinstance(exc, pickle.UnpicklingError) and "weights_only" in str(exc):
        return "it holds objects other than tensors and plain values, which could run code: not loaded"
    return "a damaged or truncated PyTorch file"


def parse_checkpoint(data: bytes, name: str) -> dict[str, Any]:
    """A checkpoint's state from its bytes (``weights_only=True``); ``name`` is for messages."""
    try:
        state = load_untrusted(io.BytesIO(data))
    except Exception as exc:  # untrusted bytes: the unpickler fails in many ways (IndexError on b"h")
        raise CheckpointError(
            f"{name} is not a readable ganlab checkpoint ({_unreadable(data, exc)})"
        ) from None
    needed = {"config", "generator", "discriminator", "opt_g", "opt_d", "d_updates", "g_updates"}
    if isinstance(state, dict) and state.get("format") == TRAINED_FORMAT:  # a shipped model (trained.py)
        needed = {"config", "generator", "d_updates", "g_updates"}
    if not isinstance(state, dict) or not needed <= set(state):
        raise CheckpointError(
            f"{name} is not a ganlab checkpoint (missing {sorted(needed - set(state or {}))})"
        )
    return state


def trainer_from_state(state: dict[str, Any], name: str, device: str | None = None) -> Trainer:
    """A Trainer built from a checkpoint's config and loaded with its state."""
    try:
        cfg = Config.from_dict(state["config"])
        if device:
            cfg = cfg.replace(device=device)
        trainer = Trainer(cfg)
        trainer.load_state_dict(state)
    except (ConfigError, RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{name} does not match its config ({exc})") from None
    return trainer
