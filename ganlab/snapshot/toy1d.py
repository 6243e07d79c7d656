"""A 1D trainer's state -> numpy arrays on a grid: p_data, p_g, D, D*, the z -> G(z) lines,
and the paper's theory (JSD, V(D, G), C(G)). No Plotly here."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import stats

from ganlab.data.toy import Distribution1D
from ganlab.measure.theory import c_of_g, d_star, jsd, kde_density, pushforward_density, value_on_grid
from ganlab.train import Trainer

__all__ = ["Snapshot1D", "take_snapshot_1d", "densities_on_grid", "jsd_1d", "z_quantiles", "GRID_POINTS"]

GRID_POINTS = 512
N_ARROWS = 33  # z -> G(z) lines drawn under the chart


@dataclass
class Snapshot1D:
    """What one 1D frame shows, as numpy arrays on a shared x grid."""

    d_updates: int
    g_updates: int
    x: np.ndarray  # (GRID_POINTS,) grid over p_data's support and p_g's samples
    p_data: np.ndarray  # exact density on x
    p_g: np.ndarray  # estimated density on x (see p_g_method)
    d: np.ndarray  # D(x) on x
    d_star: np.ndarray  # p_data / (p_data + p_g) where p_data + p_g > 1 % of its peak, else NaN
    p_g_method: str  # "exact" (change of variables, 1D z) or "kde"
    samples: np.ndarray  # (N_FIXED,) G(z) for the fixed noise
    z: np.ndarray  # (N_ARROWS,) evenly spaced z (1D latent) or empty
    g_z: np.ndarray  # (N_ARROWS,) G(z) for those z
    metrics: dict[str, float] = field(default_factory=dict)


def z_quantiles(noise: str, n: int) -> np.ndarray:
    """n + 1 points of a 1D p_z at equally spaced probabilities (the last interval's mass
    beyond the ends is negligible for the normal, zero for the uniform)."""
    q = np.linspace(0.0, 1.0, n + 1)
    if noise == "uniform":
        return 2 * q - 1
    q = np.clip(q, 1e-5, 1 - 1e-5)
    return stats.norm.ppf(q)


def densities_on_grid(
    dist: Distribution1D, samples: np.ndarray, g_line: np.ndarray | None, grid_points: int = GRID_POINTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, str]:
    """The grid x over p_data's support and where G's ``samples`` are (outliers trimmed); p_data
    on it; p_g on it, exactly from ``g_line`` (G at z_quantiles, for a 1D z) or as a KDE of the
    samples; the mass of p_g beyond the grid; and which p_g it is ("exact" or "kde")."""
    lo, hi = dist.support()
    s_lo, s_hi = np.quantile(samples, [0.001, 0.999]) if np.isfinite(samples).all() else (lo, hi)
    span = hi - lo
    lo, hi = max(min(lo, s_lo), lo - 4 * span), min(max(hi, s_hi), hi + 4 * span)
    pad = 0.05 * (hi - lo)
    x = np.linspace(lo - pad, hi + pad, grid_points)
    p_data = dist.pdf(x)
    if g_line is not None:
        p_g, q_out = pushforward_density(g_line, x)
        return x, p_data, p_g, q_out, "exact"
    p_g, q_out = kde_density(samples, x)
    return x, p_data, p_g, q_out, "kde"


def jsd_1d(dist: Distribution1D, samples: np.ndarray, g_line: np.ndarray | None) -> float:
    """JSD(p_data ‖ p_g) in nats, as a 1D snapshot reads it (see densities_on_grid)."""
    x, p_data, p_g, q_out, _ = densities_on_grid(dist, samples, g_line)
    return jsd(p_data, p_g, x, q_outside=q_out)


@torch.no_grad()
def take_snapshot_1d(
    trainer: Trainer, metrics: bool = True, densities: bool = True, grid_points: int = GRID_POINTS
) -> Snapshot1D:
    """Evaluate G and D of a 1D ``trainer`` on a grid for one picture and its metrics (all
    cheap here: ``metrics`` and ``densities`` are for the other kinds, and always on in 1D)."""
    cfg, dev = trainer.cfg, trainer.device
    G = trainer.G_eval
    samples = G(trainer.fixed_z).squeeze(1).double().cpu().numpy()
    z_line = z_quantiles(cfg.noise, 4096)
    g_line = None
    if cfg.latent_dim == 1:
        g_line = G(torch.tensor(z_line, dtype=torch.float32, device=dev).unsqueeze(1))
        g_line = g_line.squeeze(1).double().cpu().numpy()
    x, p_data, p_g, q_out, method = densities_on_grid(trainer.dist, samples, g_line, grid_points)
    if cfg.latent_dim == 1:
        z = (
            np.linspace(z_line[0], z_line[-1], N_ARROWS)
            if cfg.noise == "uniform"
            else stats.norm.ppf(np.linspace(0.02, 0.98, N_ARROWS))
        )
        g_z = G(torch.tensor(z, dtype=torch.float32, device=dev).unsqueeze(1)).squeeze(1).cpu().numpy()
    else:
        z = g_z = np.empty(0)

    d = torch.sigmoid(trainer.d_logit(torch.tensor(x, dtype=torch.float32, device=dev).unsqueeze(1)))
    d = d.squeeze(1)
    d = d.double().cpu().numpy()
    # D* is defined where the densities are, not in the far tails where both are ~0.
    support = (p_data + p_g) > 0.01 * (p_data + p_g).max()
    ds = np.where(support, d_star(p_data, p_g), np.nan)
    d_real = trainer.mean_d(trainer.fixed_x)
    d_fake = trainer.mean_d(G(trainer.fixed_z))
    j = jsd(p_data, p_g, x, q_outside=q_out)
    metrics = {
        "jsd": j,
        "v": value_on_grid(p_data, p_g, d, x),
        "c_g": c_of_g(j),
        "mean_d_real": float(d_real),
        "mean_d_fake": float(d_fake),
        "mean_abs_d_minus_d_star": float(np.nanmean(np.abs(d - ds)[support])),
        "loss_d": float(trainer.loss_d),
        "loss_g": float(trainer.loss_g),
    }
    return Snapshot1D(
        d_updates=trainer.d_updates,
        g_updates=trainer.g_updates,
        x=x,
        p_data=p_data,
        p_g=p_g,
        d=d,
        d_star=ds,
        p_g_method=method,
        samples=samples,
        z=np.asarray(z, dtype=np.float64),
        g_z=np.asarray(g_z, dtype=np.float64),
        metrics=metrics,
    )
