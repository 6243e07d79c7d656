"""A 2D trainer's state -> numpy arrays for the 2D views and metrics (no Plotly).

One frame holds: real and fake samples; D(x), p_data, p_g, D* and |D - D*| on a grid; the
generator's gradient field at fake samples; the generator manifold (a z grid pushed through
G); and the metrics (JSD, V(D, G), C(G), mode coverage).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import ndimage

from ganlab.data.toy2d import Mixture2D
from ganlab.losses import g_loss
from ganlab.measure.modes import N_MODE_SAMPLES, mode_metrics
from ganlab.measure.theory import KNN_K, c_of_g, d_star, jsd_monte_carlo, knn_density, value_monte_carlo
from ganlab.train import Trainer

__all__ = ["Snapshot2D", "take_snapshot_2d", "gradient_field", "jsd_2d", "GRID_2D"]

GRID_2D = 56  # heatmap cells per side (drawn smoothed: D on 56² points costs 3/5 of 72²)
N_SHOWN = 250  # real and fake points drawn
N_ARROWS = 120  # gradient arrows drawn, at the first fake samples
MESH = 17  # generator manifold: MESH x MESH z grid
SUPPORT = 0.01  # D* is drawn where p_data + p_g exceeds this fraction of its peak


@dataclass
class Snapshot2D:
    """What one 2D frame shows. Grids are (GRID_2D, GRID_2D), indexed [y, x]."""

    d_updates: int
    g_updates: int
    box: tuple[float, float, float, float]  # x0, x1, y0, y1 of the view
    gx: np.ndarray  # (GRID_2D,) cell centres along x
    gy: np.ndarray  # (GRID_2D,) cell centres along y
    d: np.ndarray  # D(x) on the grid (with packing: D of a pack of copies of x)
    p_data: np.ndarray  # p_data smoothed by the grid's kernel (exact for these mixtures)
    p_g: np.ndarray | None  # Gaussian KDE of the fake samples, same kernel (None: not asked for)
    d_star: np.ndarray | None  # p_data / (p_data + p_g) from those two, NaN off the support
    real: np.ndarray  # (N_SHOWN, 2) fixed samples of p_data
    fake: np.ndarray  # (N_SHOWN, 2) G(z) for fixed z
    arrows_at: np.ndarray  # (N_ARROWS, 2) fake samples where the gradient is drawn
    arrows: np.ndarray  # (N_ARROWS, 2) -∇_x of G's loss: where G's update pushes each sample
    manifold: np.ndarray  # (MESH, MESH, 2) or (1, MESH * MESH, 2): G over a z grid or line
    manifold_kind: str  # "mesh" (2D z), "slice" (z1, z2 varied, the rest 0) or "curve" (1D z)
    kernel: float  # the grid's smoothing std, in x units
    metrics: dict[str, float] = field(default_factory=dict)


@functools.lru_cache(maxsize=32)
def _p_data_grid(dist: Mixture2D, box: tuple[float, ...], n: int, h: float) -> np.ndarray:
    gx, gy = np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n)
    xx, yy = np.meshgrid(gx, gy)
    return dist.pdf(np.column_stack([xx.ravel(), yy.ravel()]), smooth=h).reshape(n, n)


@functools.lru_cache(maxsize=32)
def _p_data_at(dist: Mixture2D, points: bytes) -> np.ndarray:
    return dist.pdf(np.frombuffer(points, dtype=np.float64).reshape(-1, 2))


def gradient_field(trainer: Trainer, fake: torch.Tensor) -> torch.Tensor:
    """-∇_x of G's loss at each fake sample x (n, 2): the direction G's update moves x.

    Each sample's own term (the loss summed, not averaged), in packs as D sees them.
    """
    p = trainer.cfg.pack
    x = fake[: len(fake) // p * p].detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = trainer.D(x.reshape(-1, p * x.shape[1]))
        loss = g_loss(logits, trainer.cfg.g_loss) * len(logits)
        (grad,) = torch.autograd.grad(loss, x)
    return -grad


def _z_grid(trainer: Trainer) -> tuple[torch.Tensor, str, tuple[int, int]]:
    cfg = trainer.cfg
    reach = 1.0 if cfg.noise == "uniform" else 2.5
    t = torch.linspace(-reach, reach, MESH if cfg.latent_dim > 1 else MESH * MESH)
    if cfg.latent_dim == 1:
        return t[:, None], "curve", (1, MESH * MESH)
    a, b = torch.meshgrid(t, t, indexing="ij")
    z = torch.zeros(MESH * MESH, cfg.latent_dim)
    z[:, 0], z[:, 1] = a.ravel(), b.ravel()
    return z, "mesh" if cfg.latent_dim == 2 else "slice", (MESH, MESH)


def _d_of(trainer: Trainer, x: torch.Tensor) -> np.ndarray:
    return torch.sigmoid(trainer.d_logit(x)).squeeze(1).double().cpu().numpy()


def jsd_2d(dist: Mixture2D, real: np.ndarray, fake: np.ndarray, densities: bool = False):
    """JSD(p_data ‖ p_g) in nats from real (n, 2) and finite fake (m, 2) samples: p_data exact,
    p_g by k nearest neighbours of the fakes (jsd_monte_carlo). With ``densities``, also
    (p_data, p_g at the real samples, p_data, p_g at the fakes)."""
    q_real = knn_density(fake, real, KNN_K)
    q_fake = knn_density(fake, fake, KNN_K, exclude_self=True)
    p_real = _p_data_at(dist, np.ascontiguousarray(real).tobytes())
    p_fake = dist.pdf(fake)
    j = jsd_monte_carlo(p_real, q_real, p_fake, q_fake)
    return (j, (p_real, q_real, p_fake, q_fake)) if densities else j


@torch.no_grad()
def sample_metrics(trainer: Trainer, fake_t: torch.Tensor) -> dict[str, float]:
    """JSD, V(D, G), C(G), mean D, mean |D - D*| and mode counts from the fixed samples.

    p_data is exact; p_g is estimated by k nearest neighbours of the fake samples ``fake_t``.
    """
    dist, n = trainer.dist, N_MODE_SAMPLES
    fake = fake_t.double().cpu().numpy()
    real_t = trainer.fixed_x[:n]
    real = real_t.double().cpu().numpy()
    finite = np.isfinite(fake).all(1)
    d_real, d_fake_all = np.split(_d_of(trainer, torch.cat([real_t, fake_t])), [n])

    j, (p_real, q_real, p_fake, q_fake) = jsd_2d(dist, real, fake[finite], densities=True)
    gap = np.concatenate(
        [np.abs(d_real - d_star(p_real, q_real)), np.abs(d_fake_all[finite] - d_star(p_fake, q_fake))]
    )
    packed = trainer.cfg.pack > 1  # then D's mean is over packs, as D sees them
    metrics = {
        "jsd": j,
        "v": value_monte_carlo(d_real, d_fake_all[finite][:n]) if finite.any() else float("nan"),
        "c_g": c_of_g(j),
        "mean_d_real": float(trainer.mean_d(real_t)) if packed else float(d_real.mean()),
        "mean_d_fake": float(trainer.mean_d(fake_t)) if packed else float(d_fake_all.mean()),
        "mean_abs_d_minus_d_star": float(np.nanmean(gap)),
    }
    if dist.modes:
        metrics.update(mode_metrics(fake[:n], dist.means, dist.stds, dist.weights).as_metrics())
    return metrics


@torch.no_grad()
def take_snapshot_2d(
    trainer: Trainer, grid: int = GRID_2D, metrics: bool = True, densities: bool = True
) -> Snapshot2D:
    """Evaluate G and D of a 2D ``trainer`` for one picture and its metrics.

    ``metrics=False`` skips the sample-based metrics (JSD, V, |D - D*|, modes: about half the
    work), keeping the losses and G's mean gradient norm; the dashboard computes the full set a
    few times a second rather than every frame. ``densities=False`` (only with
    ``metrics=False``) also skips p_g and D*, which need G on all the fixed z: a frame that
    shows neither then pushes only the drawn points through G (1 / 16 of the work).
    """
    densities = densities or metrics
    dist, dev = trainer.dist, trainer.device
    box = tuple(float(v) for v in dist.box())
    gx, gy = np.linspace(box[0], box[1], grid), np.linspace(box[2], box[3], grid)
    cell = gx[1] - gx[0]
    h = 1.5 * cell  # smoothing kernel of the pictures: p_data and p_g alike

    shown = max(N_SHOWN, N_ARROWS * trainer.cfg.pack)
    fake_t = trainer.G_eval(trainer.fixed_z if densities else trainer.fixed_z[:shown])  # (N_FIXED, 2)
    fake = fake_t.double().cpu().numpy()
    real = trainer.fixed_x.double().cpu().numpy()
    finite = np.isfinite(fake).all(1)

    # D on the grid.
    xx, yy = np.meshgrid(gx, gy)
    plane = torch.tensor(np.column_stack([xx.ravel(), yy.ravel()]), dtype=torch.float32, device=dev)
    d_grid = _d_of(trainer, plane).reshape(grid, grid)

    # Densities on the grid, both smoothed by the same kernel.
    p_data = _p_data_grid(dist, box, grid, h)
    p_g = ds = None
    if densities:
        edges = [[box[2] - cell / 2, box[3] + cell / 2], [box[0] - cell / 2, box[1] + cell / 2]]
        counts, _, _ = np.histogram2d(fake[finite, 1], fake[finite, 0], bins=grid, range=edges)  # [y, x]
        p_g = ndimage.gaussian_filter(counts / (len(fake) * cell * cell), sigma=h / cell, mode="constant")
        total = p_data + p_g
        ds = np.where(total > SUPPORT * total.max(), d_star(p_data, p_g), np.nan)

    values = {"loss_d": float(trainer.loss_d), "loss_g": float(trainer.loss_g)}
    if metrics:
        values.update(sample_metrics(trainer, fake_t))
    grad = gradient_field(trainer, fake_t[: N_ARROWS * trainer.cfg.pack])[:N_ARROWS]
    values["mean_grad_norm"] = float(grad.norm(dim=1).mean())
    z, kind, shape = _z_grid(trainer)
    manifold = trainer.G_eval(z.to(dev)).double().cpu().numpy().reshape(*shape, 2)
    return Snapshot2D(
        d_updates=trainer.d_updates,
        g_updates=trainer.g_updates,
        box=box,
        gx=gx,
        gy=gy,
        d=d_grid,
        p_data=p_data,
        p_g=p_g,
        d_star=ds,
        real=real[:N_SHOWN],
        fake=fake[:N_SHOWN],
        arrows_at=fake[:N_ARROWS],
        arrows=grad.double().cpu().numpy(),
        manifold=manifold,
        manifold_kind=kind,
        kernel=h,
        metrics=values,
    )
