"""MNIST figures: live digit grids (pictures that update in place), D's histograms on real and
generated images, the judge's digit shares, and an MNIST run's pictures as files."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ganlab.figures.pixels import montage, to_png
from ganlab.figures.spec import Spec, as_figure, f32, hline, trace
from ganlab.snapshot.mnist import GRID_SIDE, SnapshotMnist

__all__ = [
    "digit_share_chart",
    "digit_share_spec",
    "picture_spec",
    "grid_spec",
    "d_histogram_chart",
    "d_histogram_spec",
    "frame_specs",
    "run_pictures",
]


def digit_share_chart(share: Sequence[float], height: int = 220) -> go.Figure:
    """The share of each digit among generated samples, as the judge reads them."""
    return as_figure(digit_share_spec(share, height))


def digit_share_spec(share: Sequence[float], height: int = 220) -> Spec:
    """:func:`digit_share_chart` as a plain spec."""
    bars = trace(
        "bar", x=[str(d) for d in range(10)], y=f32(share), marker={"color": "#7b3294"}, hoverinfo="skip"
    )
    layout = {
        "height": height,
        "margin": {"l": 45, "r": 10, "t": 30, "b": 30},
        "title": {"text": "digits the judge reads in 512 samples", "font": {"size": 13}, "x": 0},
        "xaxis": {"type": "category"},
        "yaxis": {"range": [0, max(0.3, float(max(share, default=0.0)) * 1.1)], "tickformat": ".0%"},
        "shapes": [hline(0.1)],
        "uirevision": "digits",
    }
    return {"data": [bars], "layout": layout}


def picture_spec(png: bytes, size: tuple[int, int], scale: float = 1.25, caption: str = "") -> Spec:
    """A picture (PNG bytes, ``size`` = (height, width) pixels) with sharp pixels, at most
    ``scale`` times its size (less in a narrow column), with a caption under it: how the live
    digit grids update in place."""
    h, w = size
    source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    layout = {
        "height": round(h * scale) + 28,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 28},
        "xaxis": {"visible": False, "range": [-0.5, w - 0.5], "fixedrange": True, "constrain": "domain"},
        "yaxis": {
            "visible": False,
            "range": [h - 0.5, -0.5],
            "fixedrange": True,
            "scaleanchor": "x",
            "constrain": "domain",
        },
        "annotations": [
            {"text": caption, "x": 0, "xref": "paper", "y": 0, "yref": "paper", "yanchor": "top"}
            | {"yshift": -6, "xanchor": "left", "showarrow": False, "font": {"size": 12, "color": "#555"}}
        ],
        "uirevision": "picture",
    }
    return {"data": [trace("image", source=source, hoverinfo="skip")], "layout": layout}


def grid_spec(images: np.ndarray, caption: str = "") -> Spec:
    """Images (n, 28, 28) in [0, 1] as a GRID_SIDE-wide montage: a live digit grid."""
    picture = montage(images, GRID_SIDE)
    return picture_spec(to_png(picture, level=1), picture.shape, caption=caption)


def d_histogram_chart(d_real: np.ndarray, d_fake: np.ndarray, height: int = 260, bins: int = 25) -> go.Figure:
    """Histograms of D(x) on real images and on generated ones (D's view of the game)."""
    return as_figure(d_histogram_spec(d_real, d_fake, height, bins))


def d_histogram_spec(d_real: np.ndarray, d_fake: np.ndarray, height: int = 260, bins: int = 25) -> Spec:
    """:func:`d_histogram_chart` as a plain spec."""
    edges = np.linspace(0, 1, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    traces = [
        trace(
            "bar",
            x=f32(centres),
            y=f32(np.histogram(values, edges)[0] / max(len(values), 1)),
            name=name,
            marker={"color": color, "opacity": 0.6},
            width=1 / bins,
            hoverinfo="skip",
        )
        for values, name, color in ((d_real, "D(real)", "#1a9641"), (d_fake, "D(G(z))", "#7b3294"))
    ]
    layout = {
        "barmode": "overlay",
        "height": height,
        "margin": {"l": 45, "r": 10, "t": 30, "b": 40},
        "title": {"text": "D(x) on 512 real and 512 generated images", "font": {"size": 13}, "x": 0},
        "xaxis": {"range": [0, 1], "title": {"text": "D(x)"}},
        "yaxis": {"title": {"text": "share"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.3},
        "uirevision": "dhist",
    }
    return {"data": traces, "layout": layout}


def frame_specs(snap: SnapshotMnist) -> list[Spec]:
    """The live view's two digit grids for one frame, as the dashboard draws them while playing."""
    return [grid_spec(snap.fixed), grid_spec(snap.fresh)]


def run_pictures(snap: SnapshotMnist, title: str) -> dict[str, bytes]:
    """An MNIST run's samples as files: the fixed-z grid and a fresh-z grid (PNG, 3x)."""
    return {
        "samples_fixed_z.png": to_png(montage(snap.fixed, GRID_SIDE), 3),
        "samples_fresh_z.png": to_png(montage(snap.fresh, GRID_SIDE), 3),
    }
