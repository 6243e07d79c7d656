"""The Dirac-GAN drawn: its plane (θ, ψ) with the gradient field, a trajectory and the
equilibrium; and the eigenvalues of one iteration at the equilibrium against the unit circle."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ganlab.figures.marks import arrows
from ganlab.figures.spec import Spec, f32, filled, trace
from ganlab.train.dirac import DiracGame, vector_field

__all__ = ["plane_spec", "eigen_spec", "view_box", "BOX"]

BOX = 2.0  # the plane shows θ and ψ in [-BOX, BOX] at least
MAX_BOX = 12.0  # ... and follows a trajectory out to this far at most
FIELD = 15  # gradient arrows per side
COLORS = {"field": "#9a9a9a", "path": "#1f5fbf", "start": "#1a9641", "end": "#d7191c", "equilibrium": "black"}


def view_box(path: Sequence[tuple[float, float]]) -> float:
    """Half the side of the square shown: BOX, widened to hold the trajectory (up to MAX_BOX)."""
    reach = max((max(abs(t), abs(p)) for t, p in path if np.isfinite(t) and np.isfinite(p)), default=0.0)
    return float(min(max(BOX, 1.1 * reach), MAX_BOX))


def plane_spec(
    game: DiracGame, path: Sequence[tuple[float, float]], height: int = 560, title: str | None = None
) -> Spec:
    """The plane: where the players' gradients point (arrows), the trajectory from its start
    (the first trace: a click on the plot moves it) to its end, and the equilibrium (0, 0)."""
    box = view_box(path)
    axis = np.linspace(-box, box, FIELD)
    theta, psi = np.meshgrid(axis, axis)
    d_theta, d_psi = vector_field(game, torch.as_tensor(theta), torch.as_tensor(psi))
    at = np.column_stack([theta.ravel(), psi.ravel()])
    vec = np.column_stack([d_theta.numpy().ravel(), d_psi.numpy().ravel()])
    fx, fy = arrows(at, vec, 2 * box)
    pts = np.asarray(path, dtype=np.float64)
    shown = pts[np.isfinite(pts).all(1)]
    marker = {"size": 11, "color": COLORS["start"], "line": {"color": "white", "width": 1.5}}
    traces = [
        trace("scatter", x=f32(pts[:1, 0]), y=f32(pts[:1, 1]), mode="markers", name="start", marker=marker),
        filled(fx, fy, "where the gradient steps point", COLORS["field"]),
        trace(
            "scatter",
            x=f32(shown[:, 0]),
            y=f32(shown[:, 1]),
            mode="lines",
            name=f"trajectory ({len(pts) - 1:,} iterations)",
            line={"color": COLORS["path"], "width": 1.6},
            hoverinfo="skip",
        ),
        trace(
            "scatter",
            x=f32(shown[-1:, 0]),
            y=f32(shown[-1:, 1]),
            mode="markers",
            name="end",
            marker={"size": 10, "color": COLORS["end"], "symbol": "x"},
        ),
        trace(
            "scatter",
            x=[0.0],
            y=[0.0],
            mode="markers",
            name="equilibrium (0, 0)",
            marker={"size": 12, "color": COLORS["equilibrium"], "symbol": "star"},
            hoverinfo="skip",
        ),
    ]
    layout = {
        "height": height,
        "margin": {"l": 55, "r": 10, "t": 60 if title else 20, "b": 50},
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 13}} if title else {},
        "legend": {"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
        "xaxis": {"range": [-box, box], "title": {"text": "θ (G puts its mass at θ)"}, "zeroline": False},
        "yaxis": {
            "range": [-box, box],
            "title": {"text": "ψ (D(x) = σ(ψx))"},
            "scaleanchor": "x",
            "zeroline": False,
        },
        "uirevision": "dirac",
    }
    return {"data": traces, "layout": layout}


def eigen_spec(values: torch.Tensor | None, title: str, height: int = 360) -> Spec:
    """The eigenvalues of one iteration at the equilibrium in the complex plane, against the
    unit circle: outside it the game spirals out, on it circles, inside spirals in."""
    angle = np.linspace(0, 2 * np.pi, 181)
    traces = [
        trace(
            "scatter",
            x=f32(np.cos(angle)),
            y=f32(np.sin(angle)),
            mode="lines",
            name="|λ| = 1",
            line={"color": "#888888", "dash": "dot", "width": 1},
            hoverinfo="skip",
        )
    ]
    reach = 1.25
    if values is not None:
        re, im = values.real.numpy(), values.imag.numpy()
        reach = max(reach, 1.1 * float(np.abs(values.numpy()).max()))
        traces.append(
            trace(
                "scatter",
                x=f32(re),
                y=f32(im),
                mode="markers",
                name="eigenvalues λ",
                marker={"size": 10, "color": COLORS["end"]},
                text=[
                    f"λ = {a:.5f} {'+' if b >= 0 else '−'} {abs(b):.5f}i, |λ| = {abs(complex(a, b)):.6f}"
                    for a, b in zip(re, im)
                ],
                hoverinfo="text",
            )
        )
    layout = {
        "height": height,
        "margin": {"l": 45, "r": 10, "t": 50, "b": 40},
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 13}},
        "showlegend": False,
        "xaxis": {"range": [-reach, reach], "title": {"text": "Re λ"}, "zeroline": True},
        "yaxis": {"range": [-reach, reach], "title": {"text": "Im λ"}, "scaleanchor": "x", "zeroline": True},
        "uirevision": "eigen",
    }
    return {"data": traces, "layout": layout}
