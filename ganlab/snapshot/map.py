"""An ensemble's state -> one reading of every GAN: how far its p_g is from p_data (the JSD, as a
snapshot of that run alone measures it) and, on a 2D mixture of separate modes, how many of
them it covers. No Plotly here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ganlab.measure.modes import N_MODE_SAMPLES, mode_metrics
from ganlab.snapshot.toy1d import jsd_1d, z_quantiles
from ganlab.snapshot.toy2d import jsd_2d
from ganlab.train.ensemble import Ensemble

__all__ = ["MapReading", "take_map_reading"]


@dataclass
class MapReading:
    """Every GAN of an ensemble at one iteration."""

    iteration: int
    jsd: np.ndarray  # (n,) JSD(p_data ‖ p_g) in nats; NaN for a GAN that diverged
    modes: np.ndarray | None  # (n,) modes covered (2D mixtures of separate modes), else None
    modes_total: int | None
    diverged: np.ndarray  # (n,) bool


@torch.no_grad()
def take_map_reading(ensemble: Ensemble) -> MapReading:
    """The JSD of every GAN from its generator's samples of its own fixed noise, as
    ``take_snapshot`` reads one run's (1D: p_g exact from G on quantiles of a 1D z, else a
    KDE; 2D: p_g by nearest neighbours), and the modes each covers."""
    n, cfg, dist = ensemble.n, ensemble.base, ensemble.dist
    diverged = ensemble.frozen.view(-1).cpu().numpy().copy()
    jsd = np.full(n, np.nan)
    modes = None
    if cfg.kind == "1d":
        samples = ensemble.generate(ensemble.fixed_z).squeeze(2).double().cpu().numpy()  # (n, N_FIXED)
        g_line = None
        if cfg.latent_dim == 1:
            line = torch.tensor(z_quantiles(cfg.noise, 4096), dtype=torch.float32, device=ensemble.device)
            g_line = (
                ensemble.generate(line.view(1, -1, 1).expand(n, -1, -1)).squeeze(2).double().cpu().numpy()
            )
        for i in np.flatnonzero(~diverged):
            if np.isfinite(samples[i]).all():
                jsd[i] = jsd_1d(dist, samples[i], None if g_line is None else g_line[i])
        return MapReading(ensemble.iterations, jsd, None, None, diverged)
    fakes = ensemble.generate(ensemble.fixed_z).double().cpu().numpy()  # (n, N_FIXED, 2)
    reals = ensemble.fixed_x[:, :N_MODE_SAMPLES].double().cpu().numpy()
    if dist.modes:
        modes = np.zeros(n)
    for i in np.flatnonzero(~diverged):
        fake = fakes[i][np.isfinite(fakes[i]).all(1)]
        if len(fake) > 20:
            jsd[i] = jsd_2d(dist, reals[i], fake)
        if modes is not None:
            modes[i] = mode_metrics(
                fakes[i][:N_MODE_SAMPLES], dist.means, dist.stds, dist.weights
            ).modes_covered
    total = len(dist.means) if modes is not None else None
    return MapReading(ensemble.iterations, jsd, modes, total, diverged)
