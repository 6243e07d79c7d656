"""Trained generators shipped in ``assets/models``: the end of a long run, to show at once.

A file holds one preset's config, the weights that its samples come from (G's average where
the preset averages, else G), in float16 to keep the download small, the run's counters, and
what it measured (``about``: where and how long it trained, its Parzen and judge figures).
The discriminator and the optimisers are not shipped: a trainer made from such a file draws
the trained model's samples, and training on from it starts a new D against that G.

    ganlab sample --run trained:mnist-paper --n 64 --out s.npy
    ganlab figures --run trained:mnist-demo --out figs/
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from ganlab.config import Config, ConfigError
from ganlab.runs.checkpoint import TRAINED_FORMAT, CheckpointError, load_checkpoint
from ganlab.train import Trainer

__all__ = [
    "FORMAT",
    "MODELS_DIR",
    "PREFIX",
    "TrainedModelError",
    "is_trained",
    "load_trained",
    "trained_bytes",
    "trained_names",
    "trained_path",
    "trainer_from_trained",
]

FORMAT = TRAINED_FORMAT
MODELS_DIR = Path(__file__).resolve().parents[2] / "assets" / "models"
PREFIX = "trained:"  # --run trained:NAME names a shipped model


class TrainedModelError(CheckpointError):
    """An unknown name, or a file that is not a trained model; one line."""


def trained_names() -> list[str]:
    """The shipped models' names (their presets' names)."""
    return sorted(p.stem for p in MODELS_DIR.glob("*.pt"))


def trained_path(name: str) -> Path:
    path = MODELS_DIR / f"{name}.pt"
    if not path.is_file():
        known = ", ".join(trained_names()) or "none shipped"
        raise TrainedModelError(f"no trained model {name!r}; known: {known}")
    return path


def is_trained(state: Any) -> bool:
    return isinstance(state, dict) and state.get("format") == FORMAT


def trained_bytes(trainer: Trainer, about: dict[str, Any]) -> bytes:
    """A trainer's sampling weights (float16), config and counters, as a shipped model's bytes."""
    weights = {
        k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
        for k, v in trainer.G_eval.state_dict().items()
    }
    state = {
        "format": FORMAT,
        "config": trainer.cfg.replace(device="auto").to_dict(),
        "generator": weights,
        "g_updates": trainer.g_updates,
        "d_updates": trainer.d_updates,
        "about": about,
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def load_trained(name: str, device: str | None = None) -> Trainer:
    """The shipped model ``name`` as a Trainer (trainer_from_trained)."""
    return trainer_from_trained(load_checkpoint(trained_path(name)), f"{PREFIX}{name}", device)


def trainer_from_trained(state: dict[str, Any], name: str, device: str | None = None) -> Trainer:
    """A Trainer whose G (and G's average) hold a shipped model's weights, with its counters;
    a new D and new optimisers. TrainedModelError if the file does not fit its config."""
    try:
        cfg = Config.from_dict(state["config"])
        if device:
            cfg = cfg.replace(device=device)
        trainer = Trainer(cfg)
        weights = {k: v.float() if v.is_floating_point() else v for k, v in state["generator"].items()}
        trainer.G.load_state_dict(weights)
        if trainer.G_ema is not None:
            trainer.G_ema.load_state_dict(weights)
        g, d = int(state["g_updates"]), int(state["d_updates"])
    except (ConfigError, RuntimeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TrainedModelError(f"{name} does not match its config ({exc})") from None
    trainer.g_updates, trainer.d_updates, trainer.ema_updates = g, d, g
    trainer.generation += 1
    trainer.trained_from = name[len(PREFIX) :] if name.startswith(PREFIX) else Path(name).stem
    return trainer
