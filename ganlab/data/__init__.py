"""Data providers: one ``sample(n, generator, device)`` interface for every distribution."""

from __future__ import annotations

from collections.abc import Sequence

from ganlab.data.mnist import MnistData, mnist_data, mnist_dir
from ganlab.data.toy import DISTRIBUTIONS_1D, Distribution1D
from ganlab.data.toy2d import DISTRIBUTIONS_2D, Mixture2D, from_points

__all__ = [
    "DISTRIBUTIONS_1D",
    "DISTRIBUTIONS_2D",
    "Distribution1D",
    "Mixture2D",
    "MnistData",
    "get_distribution",
]


def get_distribution(
    name: str, points: Sequence[tuple[float, float]] = ()
) -> Distribution1D | Mixture2D | MnistData:
    """The named p_data ("custom": the given points); KeyError listing the known names."""
    if name == "mnist":
        return mnist_data(str(mnist_dir()))  # one shared copy per directory, resolved now
    if name == "custom":
        if len(points) < 2:
            raise KeyError("p_data 'custom' needs at least 2 points")
        return from_points(points)
    if name in DISTRIBUTIONS_1D:
        return DISTRIBUTIONS_1D[name]
    if name in DISTRIBUTIONS_2D:
        return DISTRIBUTIONS_2D[name]
    known = ", ".join([*DISTRIBUTIONS_1D, *DISTRIBUTIONS_2D, "custom", "mnist"])
    raise KeyError(f"unknown distribution {name!r}; known: {known}")
