"""What a GAN's run came to, in one word, from readings of its JSD (and modes) over its last
stretch: converged, oscillating, collapsed, diverged or not converged. The thresholds are
stated here once; the map's legend and the docs quote them."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["OUTCOMES", "CONVERGED_JSD", "SETTLED_SPREAD", "LAST_STRETCH", "classify", "stretch_stats"]

OUTCOMES = ("converged", "oscillating", "collapsed", "not converged", "diverged")
CONVERGED_JSD = (
    0.05  # nats: converged when the JSD's mean over the last stretch and its last reading are below
)
SETTLED_SPREAD = (
    0.02  # nats: oscillating when the JSD still swings this much about its trend (std of residuals)
)
LAST_STRETCH = 0.25  # the last quarter of the iterations is the stretch read


def stretch_stats(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The level and the swing of each column of ``series`` (readings x GANs): its median, and
    its standard deviation about a straight-line fit (so that a steady drift is no swing).
    Readings that are NaN (too few finite samples at that moment) are left out of both."""
    series = np.asarray(series, dtype=np.float64)
    valid = np.isfinite(series)
    with warnings.catch_warnings():  # a GAN that diverged has only NaN readings
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmedian(series, axis=0)
        if len(series) < 3:
            return level, np.zeros_like(level)
        t = np.broadcast_to(np.arange(len(series), dtype=np.float64)[:, None], series.shape)
        t = np.where(valid, t - np.nanmean(np.where(valid, t, np.nan), axis=0), 0.0)
        centred = np.where(valid, series - np.nanmean(series, axis=0), 0.0)
        slope = (t * centred).sum(0) / np.maximum((t**2).sum(0), 1e-12)
        residual = np.where(valid, centred - slope * t, np.nan)
        return level, np.nanstd(residual, axis=0)


def classify(
    series: np.ndarray,
    diverged: Sequence[bool],
    modes: Sequence[float] | None = None,
    modes_total: int | None = None,
) -> list[str]:
    """One outcome per GAN from its JSD readings over the last stretch (``series``, readings x
    GANs, the last row the final reading), whether it diverged, and its final mode count:
    diverged; collapsed (modes with no sample at the end); converged (the JSD's median over the
    stretch below CONVERGED_JSD: near p_data most of the time, even if it still wobbles);
    oscillating (far, and swinging by SETTLED_SPREAD or more); not converged (far and steady)."""
    level, spread = stretch_stats(series)
    final = np.asarray(series, dtype=np.float64)[-1]
    out = []
    for i, gone in enumerate(diverged):
        if gone or not np.isfinite(final[i]):
            out.append("diverged")
        elif modes is not None and modes_total and modes[i] < modes_total:
            out.append("collapsed")
        elif level[i] < CONVERGED_JSD:
            out.append("converged")
        elif spread[i] >= SETTLED_SPREAD:
            out.append("oscillating")
        else:
            out.append("not converged")
    return out
