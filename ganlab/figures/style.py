"""The look every figure shares: the paper's Figure 1 colours, GAN Lab's colours on the plane,
and the marks of a narrated minibatch."""

from __future__ import annotations

import numpy as np

__all__ = ["COLORS", "PLANE_COLORS", "D_SCALE", "DENSITY_SCALE", "BATCH_COLORS", "Minibatch", "batch_parts"]

# Figure 1: p_data black dotted, p_g green, D blue dashed; D* and the z -> x lines ours.
COLORS = {"p_data": "black", "p_g": "green", "d": "blue", "d_star": "#e67e00", "arrow": "#888888"}
# GAN Lab's colours: real data green, generated purple; D from purple (fake, 0) to green (real, 1).
PLANE_COLORS = {"real": "#1a9641", "fake": "#7b3294", "arrow": "#e66101", "manifold": "rgba(60,60,60,0.45)"}
D_SCALE = [[0.0, "#7b3294"], [0.5, "#f7f7f7"], [1.0, "#1a9641"]]
DENSITY_SCALE = "Greys"

# The minibatches of one narrated step: real x ~ p_data and G(z), each (n, dim) or None.
Minibatch = tuple["np.ndarray | None", "np.ndarray | None"]
BATCH_COLORS = {"real": "#111111", "fake": "#d7191c"}


def batch_parts(batch: Minibatch | None, y_real: float, y_fake: float) -> list[tuple]:
    """(points, legend name, colour, y) for each minibatch present."""
    if batch is None:
        return []
    real, fake = batch
    parts = [(real, "this minibatch of x ~ p_data", BATCH_COLORS["real"], y_real)]
    parts.append((fake, "this minibatch of G(z)", BATCH_COLORS["fake"], y_fake))
    return [(np.asarray(p).reshape(len(p), -1), name, c, y) for p, name, c, y in parts if p is not None]
