"""2D target distributions p_data, each a mixture of isotropic Gaussians with an exact pdf.

Mode benchmarks (ring8, grid25) are small mixtures, as in VEEGAN and PacGAN. Shapes (a line,
a circle, two moons, a spiral) are mixtures of many narrow Gaussians spaced along a curve at
under a standard deviation apart: that mixture *is* the distribution, so sampling and the
pdf are both exact. User data (drawn or uploaded points) is the same construction, one
Gaussian per point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ganlab.data.tensors import on_device

__all__ = ["Mixture2D", "DISTRIBUTIONS_2D", "from_points", "MAX_POINTS", "CURVE_SPACING"]

MAX_POINTS = 5000  # user data: points kept (drawn or uploaded)
CURVE_SPACING = 0.6  # curve mixtures: component spacing in units of the component std


class Mixture2D:
    """sum_k w_k N(mean_k, std_k² I) on the plane.

    ``modes`` says whether the components are separate modes (ring8, grid25, two
    Gaussians), for which the VEEGAN/PacGAN mode metrics are defined.
    """

    dim = 2

    def __init__(
        self,
        name: str,
        label: str,
        means: np.ndarray,
        stds: np.ndarray | float,
        weights: np.ndarray | None = None,
        modes: bool = False,
    ) -> None:
        self.name, self.label, self.modes = name, label, modes
        self.means = np.asarray(means, dtype=np.float64).reshape(-1, 2)  # (K, 2)
        k = len(self.means)
        self.stds = np.broadcast_to(np.asarray(stds, dtype=np.float64), (k,)).copy()  # (K,)
        w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
        self.weights = w / w.sum()  # (K,)
        self._equal_weights = bool(np.allclose(self.weights, self.weights[0]))
        self._torch: dict[str, tuple[torch.Tensor, ...]] = {}
        self._tree = None  # a k-d tree of the means, for the pdf of many components

    def pdf(self, x: np.ndarray, smooth: float = 0.0) -> np.ndarray:
        """Exact density at points x (n, 2); ``smooth`` > 0 gives p_data convolved with
        N(0, smooth² I), also exact (each component's variance grows by smooth²)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
        var = self.stds**2 + smooth**2  # (K,)
        if len(self.means) > 64:
            return self._pdf_near(x, var)
        out = np.zeros(len(x))
        for start in range(0, len(self.means), 256):  # bounded memory: (n, 256) at a time
            mu, v, w = (a[start : start + 256] for a in (self.means, var, self.weights))
            sq = ((x[:, None, :] - mu[None]) ** 2).sum(-1)  # (n, chunk)
            out += (np.exp(-0.5 * sq / v) * (w / (2 * math.pi * v))).sum(1)
        return out

    def _pdf_near(self, x: np.ndarray, var: np.ndarray) -> np.ndarray:
        """The same sum over only the components within 8 std of each point (many components:
        the rest add under exp(-32) of the nearest one's share)."""
        from scipy.spatial import cKDTree

        if self._tree is None:
            self._tree = cKDTree(self.means)
        near = self._tree.query_ball_point(x, r=8.0 * float(np.sqrt(var.max())))
        counts = np.fromiter((len(n) for n in near), dtype=np.int64, count=len(near))
        comp = np.fromiter((c for n in near for c in n), dtype=np.int64, count=int(counts.sum()))
        point = np.repeat(np.arange(len(x)), counts)
        sq = ((x[point] - self.means[comp]) ** 2).sum(1)
        v = var[comp]
        terms = np.exp(-0.5 * sq / v) * self.weights[comp] / (2 * math.pi * v)
        return np.bincount(point, weights=terms, minlength=len(x))

    def box(self) -> tuple[float, float, float, float]:
        """A square view (x0, x1, y0, y1) around every component, with a margin."""
        lo = (self.means - 4 * self.stds[:, None]).min(0)
        hi = (self.means + 4 * self.stds[:, None]).max(0)
        centre, half = (lo + hi) / 2, max((hi - lo).max() / 2, 0.25) * 1.25
        return centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half

    def sample(self, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """n samples, shape (n, 2), float32, drawn on ``device`` with ``generator``."""
        means, stds, weights = on_device(self._torch, device, (self.means, self.stds, self.weights))
        if self._equal_weights:
            idx = torch.randint(len(means), (n,), generator=generator, device=device)
        else:
            idx = torch.multinomial(weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, 2, generator=generator, device=device)
        return means[idx] + stds[idx, None] * eps

    def describe(self) -> dict[str, Any]:
        """The distribution as JSON (small mixtures in full; curves by their size)."""
        if len(self.means) > 64:
            return {"kind": "mixture2d", "name": self.name, "components": len(self.means)}
        return {
            "kind": "mixture2d",
            "name": self.name,
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "stds": self.stds.tolist(),
        }


def _along(points: np.ndarray, std: float) -> np.ndarray:
    """Centres at equal arc length along a densely sampled polyline, CURVE_SPACING·std apart."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(math.ceil(s[-1] / (CURVE_SPACING * std))) + 1)
    t = np.linspace(0.0, s[-1], n)
    return np.column_stack([np.interp(t, s, points[:, 0]), np.interp(t, s, points[:, 1])])


def _ring(n: int, radius: float) -> np.ndarray:
    a = 2 * np.pi * np.arange(n) / n
    return np.column_stack([radius * np.cos(a), radius * np.sin(a)])


def _circle(radius: float, std: float) -> np.ndarray:
    return _ring(int(math.ceil(2 * np.pi * radius / (CURVE_SPACING * std))), radius)


def _moons(std: float) -> np.ndarray:
    t = np.linspace(0, np.pi, 1000)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    centres = np.concatenate([_along(upper, std), _along(lower, std)])
    return 1.5 * (centres - [0.5, 0.25])


def _spiral(std: float) -> np.ndarray:
    theta = np.linspace(0.5 * np.pi, 4 * np.pi, 4000)
    r = theta / (4 * np.pi) * 2.0
    return _along(np.column_stack([r * np.cos(theta), r * np.sin(theta)]), std)


def _grid25() -> np.ndarray:
    g = np.arange(-4.0, 5.0, 2.0)
    return np.array([(a, b) for a in g for b in g])


DISTRIBUTIONS_2D: dict[str, Mixture2D] = {
    d.name: d
    for d in [
        Mixture2D("ring8", "Ring of 8 Gaussians (std 0.01)", _ring(8, 1.0), 0.01, modes=True),
        Mixture2D("grid25", "Grid of 25 Gaussians (std 0.05)", _grid25(), 0.05, modes=True),
        Mixture2D(
            "two-gaussians",
            "Two Gaussians, unequal weights",
            [(-1.5, -0.5), (1.0, 1.0)],
            0.3,
            weights=np.array([0.35, 0.65]),
            modes=True,
        ),
        Mixture2D(
            "line", "A line segment (std 0.05)", _along(np.array([(-2.0, -1.0), (2.0, 1.0)]), 0.05), 0.05
        ),
        Mixture2D("circle", "A circle (radius 1.5, std 0.05)", _circle(1.5, 0.05), 0.05),
        Mixture2D("moons", "Two moons (std 0.07)", _moons(0.07 / 1.5), 0.07),
        Mixture2D("spiral", "A spiral (std 0.06)", _spiral(0.06), 0.06),
    ]
}


def from_points(points: np.ndarray | list, name: str = "custom") -> Mixture2D:
    """User data as a distribution: one Gaussian per point, std 3 % of the data's extent."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    extent = float(max(np.ptp(pts, axis=0).max(), 1e-3)) if len(pts) > 1 else 1.0
    return Mixture2D(name, f"Your data ({len(pts)} points)", pts, 0.03 * extent)
