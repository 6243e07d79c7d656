"""The paper's Figures 2 and 3 from an MNIST run: samples beside their nearest training image,
and walks through z space. Pictures as uint8 arrays (figures.pixels makes PNGs of them)."""

from __future__ import annotations

import functools

import numpy as np
import torch

from ganlab.data.mnist import TRAIN_END, load_mnist
from ganlab.figures.pixels import montage
from ganlab.train import Trainer

__all__ = ["nearest_training", "figure2", "figure3", "z_walk", "seed_noise", "seed_digits"]


@functools.lru_cache(maxsize=1)
def _training_matrix() -> tuple[torch.Tensor, torch.Tensor]:
    """The GAN's training images (TRAIN_END, 784) in [0, 1] and their squared norms, made once."""
    t = torch.tensor(load_mnist("train")[0][:TRAIN_END].reshape(TRAIN_END, -1), dtype=torch.float32) / 255.0
    return t, (t * t).sum(1)


def nearest_training(samples: np.ndarray) -> np.ndarray:
    """Index of each sample's nearest training image of the GAN (Euclidean, pixels in [0, 1])."""
    t, t2 = _training_matrix()
    s = torch.from_numpy(samples.reshape(len(samples), -1).astype(np.float32))
    d2 = t2 - 2 * s @ t.T  # (n, N): |t|² - 2 s·t; |s|² is the same along a row
    return d2.argmin(1).numpy()


def figure2(samples: np.ndarray, rows: int = 4, cols: int = 6) -> np.ndarray:
    """Figure 2: ``rows`` x ``cols`` samples, and after each row the training image nearest to
    the row's last sample (outlined by a light frame): a memorisation check."""
    train = load_mnist("train")[0][:TRAIN_END]
    picked = samples[: rows * cols].reshape(rows, cols, 28, 28)
    near = train[nearest_training(picked[:, -1])] / 255.0  # (rows, 28, 28)
    framed = near.copy()  # MNIST's borders are blank: draw a white frame on them
    framed[:, [0, -1], :] = 1.0
    framed[:, :, [0, -1]] = 1.0
    grid = np.concatenate([picked, framed[:, None]], axis=1).reshape(-1, 28, 28)
    return montage(grid, cols + 1)


@torch.no_grad()
def z_walk(trainer: Trainer, z0: torch.Tensor, z1: torch.Tensor, steps: int = 10) -> np.ndarray:
    """G at ``steps`` points on the line from z0 to z1 (both (latent,)): (steps, 28, 28)."""
    t = torch.linspace(0, 1, steps, device=trainer.device)[:, None]
    return _digits(trainer, (1 - t) * z0.to(trainer.device) + t * z1.to(trainer.device))


def _digits(trainer: Trainer, z: torch.Tensor) -> np.ndarray:
    """G_eval(z) as (n, 28, 28) images in eval mode."""
    with trainer.evaluating():
        return trainer.G_eval(z).float().cpu().numpy().reshape(-1, 28, 28)


def seed_noise(trainer: Trainer, seed: int) -> torch.Tensor:
    """The noise vector z (latent,) that ``seed`` names: the same z wherever a seed is shown."""
    return trainer.noise(1, torch.Generator(device=trainer.device).manual_seed(seed))[0]


@torch.no_grad()
def seed_digits(trainer: Trainer, seeds: list[int]) -> np.ndarray:
    """G(z) for the z each seed names: (len(seeds), 28, 28), e.g. candidates for a walk's ends."""
    return _digits(trainer, torch.stack([seed_noise(trainer, s) for s in seeds]))


def figure3(trainer: Trainer, seeds: list[tuple[int, int]], steps: int = 10) -> np.ndarray:
    """Figure 3: one row per (seed, seed) pair, G along the straight line between the two z."""
    rows = [z_walk(trainer, seed_noise(trainer, a), seed_noise(trainer, b), steps) for a, b in seeds]
    return montage(np.concatenate(rows), steps)
