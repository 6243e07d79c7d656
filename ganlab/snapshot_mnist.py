"""Trainer state of an MNIST GAN -> plain numpy arrays for the image views (no Plotly).

One frame holds: a grid of samples from fixed z (the same digits form frame after frame), a
grid from fresh z, and D's outputs on real and on generated images.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ganlab.train import Trainer

__all__ = ["SnapshotMnist", "take_snapshot_mnist", "GRID_SIDE", "N_D_SAMPLES"]

GRID_SIDE = 8  # sample grids are GRID_SIDE x GRID_SIDE images
N_D_SAMPLES = 512  # real and fake images scored by D for the histograms


@dataclass
class SnapshotMnist:
    """What one MNIST frame shows. Images are (n, 28, 28) floats in [0, 1]."""

    d_updates: int
    g_updates: int
    fixed: np.ndarray  # G(fixed z): GRID_SIDE**2 images
    fresh: np.ndarray  # G(z) for z drawn anew at this G update
    d_real: np.ndarray  # (N_D_SAMPLES,) D(x) on fixed real images
    d_fake: np.ndarray  # (N_D_SAMPLES,) D(G(z)) on fixed z
    metrics: dict[str, float] = field(default_factory=dict)


def images(x: torch.Tensor) -> np.ndarray:
    """(n, 784) tensor -> (n, 28, 28) float32 numpy array."""
    return x.detach().float().cpu().numpy().reshape(-1, 28, 28)


@torch.no_grad()
def take_snapshot_mnist(trainer: Trainer) -> SnapshotMnist:
    """Sample grids and D's view of real and fake images, G and D in eval mode."""
    n_grid, n = GRID_SIDE * GRID_SIDE, N_D_SAMPLES
    fresh_rng = torch.Generator(device=trainer.device).manual_seed(
        trainer.cfg.seed * 1_000_003 + trainer.g_updates
    )
    with trainer.evaluating():
        fake = trainer.G_eval(trainer.fixed_z[:n])
        fresh = trainer.G_eval(trainer._noise(n_grid, fresh_rng))
        d_real = torch.sigmoid(trainer.d_logit(trainer.fixed_x[:n])).squeeze(1)
        d_fake = torch.sigmoid(trainer.d_logit(fake)).squeeze(1)
    metrics = {
        "loss_d": float(trainer.loss_d),
        "loss_g": float(trainer.loss_g),
        "mean_d_real": float(d_real.mean()),
        "mean_d_fake": float(d_fake.mean()),
    }
    return SnapshotMnist(
        d_updates=trainer.d_updates,
        g_updates=trainer.g_updates,
        fixed=images(fake[:n_grid]),
        fresh=images(fresh),
        d_real=d_real.double().cpu().numpy(),
        d_fake=d_fake.double().cpu().numpy(),
        metrics=metrics,
    )
