"""1D target distributions p_data with exact densities, sampled on any torch device."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from scipy import stats

from ganlab.data.tensors import on_device

__all__ = ["Distribution1D", "DISTRIBUTIONS_1D", "get_distribution"]


@dataclass(frozen=True)
class Distribution1D:
    """A finite mixture of simple 1D components (each a scipy-frozen shape) with exact pdf.

    ``kind`` is "gaussian", "mixture", "uniform" or "gamma"; ``params`` describes it in
    the figure1.json schema (DESIGN.md).
    """

    dim: ClassVar[int] = 1
    name: str
    label: str
    kind: str
    params: dict[str, Any]
    weights: tuple[float, ...] = field(default=(1.0,))
    _torch: dict[str, tuple[torch.Tensor, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    # scipy's frozen distributions, made once: making one costs ~0.25 ms (it formats its
    # docstring), four a snapshot, and a map reads hundreds of GANs at a time.
    _frozen: list[Any] = field(default_factory=list, init=False, repr=False, compare=False, hash=False)

    def _components(self) -> list[Any]:
        if not self._frozen:
            self._frozen.extend(self._make_components())
        return self._frozen

    def _make_components(self) -> list[Any]:
        p = self.params
        if self.kind == "gaussian":
            return [stats.norm(p["mean"], p["std"])]
        if self.kind == "mixture":
            return [stats.norm(m, s) for m, s in zip(p["means"], p["stds"])]
        if self.kind == "uniform":
            return [stats.uniform(p["low"], p["high"] - p["low"])]
        if self.kind == "gamma":
            return [stats.gamma(p["shape"], loc=p["loc"], scale=p["scale"])]
        raise ValueError(f"unknown kind {self.kind!r}")

    def gaussian_affine(self) -> tuple[float, float] | None:
        """(mean, std) when ``sample`` is mean + std * eps for eps ~ N(0, 1) drawn by one
        ``randn`` (the Gaussian), so that a caller can draw eps in place and scale many
        minibatches in one operation, with the same numbers; None for the other kinds."""
        if self.kind == "gaussian":
            return self.params["mean"], self.params["std"]
        return None

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Exact density at x (float64)."""
        x = np.asarray(x, dtype=np.float64)
        w = self.params.get("weights", [1.0])
        return sum(wi * c.pdf(x) for wi, c in zip(w, self._components()))

    def support(self) -> tuple[float, float]:
        """An interval holding all but ~1e-4 of the mass (for grids and axes)."""
        lo = min(c.ppf(1e-4) for c in self._components())
        hi = max(c.isf(1e-4) for c in self._components())
        return float(lo), float(hi)

    def sample(self, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """n samples, shape (n, 1), float32, drawn on ``device`` with ``generator``."""
        p = self.params
        if self.kind == "gaussian":
            eps = torch.randn(n, 1, generator=generator, device=device)
            return p["mean"] + p["std"] * eps
        if self.kind == "mixture":
            w, means, stds = on_device(self._torch, device, [p[k] for k in ("weights", "means", "stds")])
            idx = torch.multinomial(w, n, replacement=True, generator=generator)
            eps = torch.randn(n, generator=generator, device=device)
            return (means[idx] + stds[idx] * eps).unsqueeze(1)
        if self.kind == "uniform":
            u = torch.rand(n, 1, generator=generator, device=device)
            return p["low"] + (p["high"] - p["low"]) * u
        if self.kind == "gamma":
            # Integer shape: a sum of `shape` exponentials, sampled by inversion.
            u = torch.rand(n, int(p["shape"]), generator=generator, device=device)
            return p["loc"] + p["scale"] * (-torch.log1p(-u)).sum(dim=1, keepdim=True)
        raise ValueError(f"unknown kind {self.kind!r}")

    def describe(self) -> dict[str, Any]:
        """The distribution as JSON: {"kind": ..., parameters...}."""
        return {"kind": self.kind, **self.params}


DISTRIBUTIONS_1D: dict[str, Distribution1D] = {
    d.name: d
    for d in [
        Distribution1D("gaussian", "Gaussian N(2, 0.5²)", "gaussian", {"mean": 2.0, "std": 0.5}),
        Distribution1D(
            "mixture",
            "Two Gaussians (bimodal)",
            "mixture",
            {"weights": [0.5, 0.5], "means": [0.0, 3.0], "stds": [0.4, 0.4]},
        ),
        Distribution1D("uniform", "Uniform on [0.5, 3]", "uniform", {"low": 0.5, "high": 3.0}),
        Distribution1D(
            "skewed", "Skewed: Gamma(2, 0.5) from 0.5", "gamma", {"shape": 2, "scale": 0.5, "loc": 0.5}
        ),
        Distribution1D(
            "trimodal",
            "Three Gaussians, unequal weights",
            "mixture",
            {"weights": [0.2, 0.5, 0.3], "means": [-0.5, 1.5, 3.5], "stds": [0.3, 0.3, 0.3]},
        ),
    ]
}


def get_distribution(name: str) -> Distribution1D:
    """The named p_data; raises KeyError listing the known names."""
    try:
        return DISTRIBUTIONS_1D[name]
    except KeyError:
        raise KeyError(f"unknown distribution {name!r}; known: {', '.join(DISTRIBUTIONS_1D)}") from None
