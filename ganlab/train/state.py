"""A trainer's whole state as tensors and plain values (what a checkpoint holds), and back."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import torch

from ganlab.train.optim import fitted, portable

if TYPE_CHECKING:
    from ganlab.train.trainer import Trainer

__all__ = ["state_dict", "load_state_dict"]


def _clone(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone(v) for v in obj]
    return obj


def state_dict(trainer: Trainer) -> dict:
    """Copies of everything needed to resume (tensors and plain numbers only)."""
    return {
        "config": trainer.cfg.to_dict(),
        "generator": _clone(trainer.G.state_dict()),
        "generator_ema": _clone(trainer.G_ema.state_dict()) if trainer.G_ema is not None else None,
        "discriminator": _clone(trainer.D.state_dict()),
        "opt_g": portable(_clone(trainer.opt_g.state_dict())),
        "opt_d": portable(_clone(trainer.opt_d.state_dict())),
        "rng": trainer.rng.get_state(),
        "d_updates": trainer.d_updates,
        "g_updates": trainer.g_updates,
        "ema_updates": trainer.ema_updates,
        "run_id": trainer.run_id,
        "loss_d": trainer.loss_d.clone(),
        "loss_g": trainer.loss_g.clone(),
    }


def load_state_dict(trainer: Trainer, state: dict) -> None:
    """Restore what ``state_dict`` returned into a trainer of the same architecture."""
    trainer.G.load_state_dict(state["generator"])
    if trainer.G_ema is not None:
        trainer.G_ema.load_state_dict(state.get("generator_ema") or state["generator"])
    trainer.D.load_state_dict(state["discriminator"])
    for opt, saved in ((trainer.opt_g, state["opt_g"]), (trainer.opt_d, state["opt_d"])):
        opt.load_state_dict(fitted(saved, opt))
    trainer.generation += 1
    # The sampling RNG's state is device-specific: a CPU state cannot seed CUDA.
    with contextlib.suppress(KeyError, RuntimeError, TypeError, ValueError):
        trainer.rng.set_state(state["rng"])
    trainer.d_updates, trainer.g_updates = state["d_updates"], state["g_updates"]
    trainer.ema_updates = state.get("ema_updates", trainer.g_updates)
    run_id = state.get("run_id")
    trainer.run_id = run_id if isinstance(run_id, str) else None
    trainer.loss_d, trainer.loss_g = state["loss_d"].to(trainer.device), state["loss_g"].to(trainer.device)
