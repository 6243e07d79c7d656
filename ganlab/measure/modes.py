"""Mode collapse, counted as VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018) count it.

Over N samples (2,500 in both papers): a sample is *high quality* when it lies within 3
standard deviations of its nearest mode; a mode is *covered* when at least one high-quality
sample has it as nearest mode. The spread over modes is KL(mode histogram ‖ mode weights),
the histogram being every sample's nearest mode (uniform weights for ring8 and grid25).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["ModeReport", "mode_metrics", "N_MODE_SAMPLES"]

N_MODE_SAMPLES = 2500


@dataclass(frozen=True)
class ModeReport:
    modes_covered: int  # modes with at least one high-quality sample nearest to them
    modes_total: int
    high_quality: float  # fraction of samples within 3 std of their nearest mode
    kl_modes: float  # KL(nearest-mode histogram ‖ mode weights), nats; 0 = perfectly spread
    per_mode: list[int]  # high-quality samples per mode

    def as_metrics(self) -> dict[str, float]:
        d = asdict(self)
        d.pop("per_mode")
        return d


def mode_metrics(
    samples: np.ndarray, means: np.ndarray, stds: np.ndarray, weights: np.ndarray | None = None
) -> ModeReport:
    """The report for samples (n, 2) against modes at ``means`` (K, 2) with ``stds`` (K,).

    >>> r = mode_metrics(np.array([[0.0, 0.0], [5.0, 5.0]]), np.array([[0.0, 0.0], [1.0, 0.0]]), 0.1)
    >>> r.modes_covered, r.high_quality
    (1, 0.5)
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    means = np.asarray(means, dtype=np.float64).reshape(-1, 2)
    stds = np.broadcast_to(np.asarray(stds, dtype=np.float64), (len(means),))
    k = len(means)
    w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64) / np.sum(weights)
    finite = np.isfinite(samples).all(1)
    dist = np.full((len(samples), k), np.inf)
    dist[finite] = np.linalg.norm(samples[finite, None, :] - means[None], axis=2)  # (n, K)
    nearest = dist.argmin(1)
    good = finite & (dist[np.arange(len(samples)), nearest] <= 3 * stds[nearest])
    per_mode = np.bincount(nearest[good], minlength=k)
    hist = np.bincount(nearest[finite], minlength=k) / max(int(finite.sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = float(np.sum(np.where(hist > 0, hist * np.log(hist / w), 0.0))) if finite.any() else float("nan")
    return ModeReport(
        modes_covered=int((per_mode > 0).sum()),
        modes_total=k,
        high_quality=float(good.mean()) if len(samples) else 0.0,
        kl_modes=kl,
        per_mode=per_mode.tolist(),
    )
