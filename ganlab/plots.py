"""Snapshot -> Plotly figures: Figure 1's style in 1D, GAN Lab's views in 2D (no training here)."""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganlab.figspec import Spec, as_figure, hline
from ganlab.images import montage, to_png
from ganlab.snapshot import Snapshot
from ganlab.snapshot2d import Snapshot2D
from ganlab.snapshot_mnist import GRID_SIDE

__all__ = [
    "figure1_chart",
    "figure1_spec",
    "plane_spec",
    "d_histogram_spec",
    "digit_share_spec",
    "picture_spec",
    "grid_spec",
    "NEEDS_DENSITIES",
    "metrics_chart",
    "plane_chart",
    "z_positions",
    "COLORS",
    "x_range",
    "BACKGROUNDS",
    "LAYERS",
]

COLORS = {"p_data": "black", "p_g": "green", "d": "blue", "d_star": "#e67e00", "arrow": "#888888"}
LOG4 = math.log(4.0)


def x_range(snap: Snapshot) -> tuple[float, float]:
    """The chart's x range: the snapshot grid rounded out to halves (steadier between frames)."""
    return math.floor(snap.x[0] * 2) / 2, math.ceil(snap.x[-1] * 2) / 2


def z_positions(z: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Where each z sits on the drawn z line: z's range mapped onto the middle 80 % of [lo, hi]."""
    if z.size == 0:
        return z
    z_lo, z_hi = float(z.min()), float(z.max())
    return lo + (hi - lo) * (0.1 + 0.8 * (z - z_lo) / max(z_hi - z_lo, 1e-12))


def _f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)  # sent compactly, as base64 typed arrays


def _trace(kind: str, **props) -> dict:
    """One trace of a spec: its type and properties, unvalidated (see ``figspec``)."""
    return {"type": kind, **props}


def _points(x: np.ndarray, y: np.ndarray, name: str, marker: dict) -> dict:
    """A scatter trace of markers (float32 coordinates, no hover)."""
    return _trace("scatter", x=_f32(x), y=_f32(y), mode="markers", name=name, marker=marker, hoverinfo="skip")


def _filled(x: np.ndarray, y: np.ndarray, name: str, color: str) -> dict:
    """A scatter trace filled inside the outline x, y (float32 coordinates, no hover)."""
    return _trace(
        "scatter",
        x=_f32(x),
        y=_f32(y),
        mode="none",
        fill="toself",
        fillcolor=color,
        name=name,
        hoverinfo="skip",
    )


# The minibatches of one narrated step: real x ~ p_data and G(z), each (n, dim) or None.
Minibatch = tuple["np.ndarray | None", "np.ndarray | None"]
BATCH_COLORS = {"real": "#111111", "fake": "#d7191c"}


def _batch_parts(batch: Minibatch | None, y_real: float, y_fake: float) -> list[tuple]:
    """(points, legend name, colour, y) for each minibatch present."""
    if batch is None:
        return []
    real, fake = batch
    parts = [(real, "this minibatch of x ~ p_data", BATCH_COLORS["real"], y_real)]
    parts.append((fake, "this minibatch of G(z)", BATCH_COLORS["fake"], y_fake))
    return [(np.asarray(p).reshape(len(p), -1), name, c, y) for p, name, c, y in parts if p is not None]


def figure1_chart(
    snap: Snapshot, show_d_star: bool = True, height: int = 460, title: str | None = None
) -> go.Figure:
    """p_data (black dotted), p_g (green), D (blue dashed), optional D*, and the z -> x lines."""
    return as_figure(figure1_spec(snap, show_d_star, height, title))


def figure1_spec(
    snap: Snapshot,
    show_d_star: bool = True,
    height: int = 460,
    title: str | None = None,
    batch: Minibatch | None = None,
) -> Spec:
    """:func:`figure1_chart` as a plain spec (the live view's fast path); ``batch``: the
    minibatches of the narrated Algorithm 1, drawn as ticks on the x line."""
    lo, hi = x_range(snap)
    y_top = max(1.05, 1.25 * float(np.max(snap.p_data)))
    x_line, z_line = -0.18 * y_top, -0.45 * y_top
    x = _f32(snap.x)
    p_g_label = "p_g (exact)" if snap.p_g_method == "exact" else "p_g (KDE)"
    curves = [
        (snap.p_data, "p_data", {"color": COLORS["p_data"], "dash": "dot", "width": 2.5}),
        (np.minimum(snap.p_g, 2 * y_top), p_g_label, {"color": COLORS["p_g"], "width": 2.5}),
        (snap.d, "D(x)", {"color": COLORS["d"], "dash": "dash", "width": 2.5}),
    ]
    if show_d_star:
        curves.append(
            (
                snap.d_star,
                "D*(x) = p_data/(p_data+p_g)",
                {"color": COLORS["d_star"], "dash": "dashdot", "width": 1.8},
            )
        )
    traces = [_trace("scatter", x=x, y=_f32(y), name=name, line=line) for y, name, line in curves]
    if snap.z.size:
        # A line from each z up to G(z), ending in a two-stroke arrowhead, all in one unbroken
        # stroke (Plotly makes an SVG element of every piece between gaps): up, the head, back
        # down, then along the z line to the next z, where the z line is drawn over it.
        order = np.argsort(snap.z, kind="stable")
        zp, gz = z_positions(snap.z, lo, hi)[order], snap.g_z[order]
        hx, hy = 0.008 * (hi - lo), 0.06 * y_top
        seg_x = np.column_stack([zp, gz, gz - hx, gz, gz + hx, gz, zp]).ravel()
        seg_y = np.tile([z_line, x_line, x_line - hy, x_line, x_line - hy, x_line, z_line], zp.size)
        traces.append(
            _trace(
                "scatter",
                x=_f32(seg_x),
                y=_f32(seg_y),
                mode="lines",
                name="z → G(z)",
                line={"color": COLORS["arrow"], "width": 1},
                hoverinfo="skip",
            )
        )
    traces.append(  # the x line and the z line
        _trace(
            "scatter",
            x=[lo, hi, None, lo, hi],
            y=[x_line, x_line, None, z_line, z_line],
            mode="lines",
            line={"color": "black", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for points, name, color, y in _batch_parts(batch, x_line + 0.07 * y_top, x_line):
        marker = {"symbol": "line-ns-open", "size": 14, "color": color, "line": {"width": 1.5}}
        traces.append(_points(points[:, 0], np.full(len(points), y), name, marker))
    layout = dict(
        height=height,
        margin={"l": 50, "r": 20, "t": 60 if title else 30, "b": 40},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}} if title else {},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        uirevision="figure1",
        xaxis={"range": [lo, hi], "title": {"text": "x"}, "zeroline": False},
        yaxis={
            "range": [z_line - 0.08 * y_top, y_top],
            "tickvals": [0, 0.25, 0.5, 0.75, 1.0],
            "title": {"text": "density  /  D(x)"},
            "zeroline": False,
        },
        annotations=[
            {"x": lo, "y": x_line, "text": "x", "showarrow": False, "xanchor": "left", "yanchor": "bottom"},
            {"x": lo, "y": z_line, "text": "z", "showarrow": False, "xanchor": "left", "yanchor": "bottom"},
        ],
    )
    return {"data": traces, "layout": layout}


def metrics_chart(history: Sequence[dict[str, float]], height: int = 460) -> go.Figure:
    """Losses; JSD(p_data || p_g); V(D, G) next to C(G) = -log 4 + 2 JSD (Theorem 1), over G
    updates; and, where p_data has modes, the modes covered and the high-quality share."""
    steps = _f32([h["g_updates"] for h in history])
    with_modes = "modes_covered" in history[-1]

    def series(key: str) -> np.ndarray:
        return _f32([h.get(key, np.nan) for h in history])

    titles = ["losses (last minibatch)", "JSD(p_data ‖ p_g), nats", "V(D, G) and C(G) = −log 4 + 2·JSD"]
    if with_modes:
        titles.append(f"modes covered (of {history[-1]['modes_total']:.0f}) and high-quality samples")
    rows = len(titles)
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=titles,
        specs=[[{}]] * 3 + ([[{"secondary_y": True}]] if with_modes else []),
    )
    fig.add_trace(
        go.Scatter(x=steps, y=series("loss_d"), name="D loss (−V on batch)", line={"color": COLORS["d"]}),
        1,
        1,
    )
    fig.add_trace(go.Scatter(x=steps, y=series("loss_g"), name="G loss", line={"color": COLORS["p_g"]}), 1, 1)
    fig.add_trace(go.Scatter(x=steps, y=series("jsd"), name="JSD", line={"color": "#7b3294"}), 2, 1)
    fig.add_trace(go.Scatter(x=steps, y=series("v"), name="V(D, G)", line={"color": COLORS["d"]}), 3, 1)
    fig.add_trace(
        go.Scatter(
            x=steps, y=series("c_g"), name="−log 4 + 2·JSD", line={"color": COLORS["d_star"], "dash": "dash"}
        ),
        3,
        1,
    )
    fig.add_hline(y=-LOG4, line={"color": "grey", "width": 1, "dash": "dot"}, row=3, col=1)
    if with_modes:
        fig.add_trace(
            go.Scatter(x=steps, y=series("modes_covered"), name="modes covered", line={"color": "black"}),
            4,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=100 * series("high_quality"),
                name="high quality, %",
                line={"color": "#1a9641", "dash": "dot"},
            ),
            4,
            1,
            secondary_y=True,
        )
        fig.update_yaxes(range=[0, history[-1]["modes_total"] + 0.5], row=4, col=1)
        fig.update_yaxes(range=[0, 101], dtick=25, row=4, col=1, secondary_y=True, showgrid=False)
    return _curves_layout(fig, height, rows)


def _curves_layout(fig: go.Figure, height: int, rows: int) -> go.Figure:
    fig.update_layout(
        template="none",
        height=height,
        margin={"l": 50, "r": 40, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.12},
        uirevision="metrics",
    )
    fig.update_annotations(font_size=12)
    fig.update_xaxes(title_text="G updates", row=rows, col=1)
    return fig


def mnist_metrics_chart(history: Sequence[dict[str, float]], height: int = 460) -> go.Figure:
    """An image GAN's curves: the losses; D's mean output on real and on generated images; and,
    with the judge, KL(digit shares ‖ uniform) and the judge's mean confidence."""
    steps = _f32([h["g_updates"] for h in history])
    judged = "digit_kl" in history[-1]
    titles = ["losses (last minibatch)", "mean D(x) on real and on generated images"]
    titles += ["the judge on 512 samples: KL(digits ‖ uniform), confidence"] if judged else []
    fig = make_subplots(
        rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.1, subplot_titles=titles
    )
    curves = [
        (1, "loss_d", "D loss (−V on batch)", COLORS["d"]),
        (1, "loss_g", "G loss", COLORS["p_g"]),
        (2, "mean_d_real", "D(real)", "black"),
        (2, "mean_d_fake", "D(G(z))", "#7b3294"),
    ]
    curves += [
        (3, "digit_kl", "KL(digits ‖ uniform)", "#555555"),
        (3, "digit_confidence", "confidence", "#e66101"),
    ]
    for row, key, name, color in curves[: 6 if judged else 4]:
        ys = _f32([h.get(key, np.nan) for h in history])
        fig.add_trace(go.Scatter(x=steps, y=ys, name=name, line={"color": color}), row, 1)
    fig.add_hline(y=0.5, line={"color": "grey", "width": 1, "dash": "dot"}, row=2, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    return _curves_layout(fig, height, len(titles))


def digit_share_chart(share: Sequence[float], height: int = 220) -> go.Figure:
    """The share of each digit among generated samples, as the judge reads them."""
    return as_figure(digit_share_spec(share, height))


def digit_share_spec(share: Sequence[float], height: int = 220) -> Spec:
    """:func:`digit_share_chart` as a plain spec."""
    bars = _trace(
        "bar", x=[str(d) for d in range(10)], y=_f32(share), marker={"color": "#7b3294"}, hoverinfo="skip"
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
    return {"data": [_trace("image", source=source, hoverinfo="skip")], "layout": layout}


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
        _trace(
            "bar",
            x=_f32(centres),
            y=_f32(np.histogram(values, edges)[0] / max(len(values), 1)),
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


# -- the plane ------------------------------------------------------------------------------------
# GAN Lab's colours: real data green, generated purple; D from purple (fake, 0) to green (real, 1).
PLANE_COLORS = {"real": "#1a9641", "fake": "#7b3294", "arrow": "#e66101", "manifold": "rgba(60,60,60,0.45)"}
D_SCALE = [[0.0, "#7b3294"], [0.5, "#f7f7f7"], [1.0, "#1a9641"]]
DENSITY_SCALE = "Greys"
BACKGROUNDS = {
    "d": "D(x): the discriminator's belief that x is real",
    "d_star": "D*(x) = p_data / (p_data + p_g) (Proposition 1)",
    "gap": "|D(x) − D*(x)|: how far D is from optimal",
    "p_g": "p_g: density of the generated samples (KDE)",
    "p_data": "p_data: the target density",
    "none": "no background",
}
LAYERS = ("real", "fake", "arrows", "manifold")
GRADIENT_NAME = "−∇ G loss: where G moves each fake"
NEEDS_DENSITIES = ("d_star", "gap", "p_g")  # backgrounds drawn from p_g: snapshots with densities=True


def _background(snap: Snapshot2D, kind: str) -> dict | None:
    if kind == "none":
        return None
    if kind in NEEDS_DENSITIES and snap.p_g is None:
        raise ValueError(f"background {kind!r} needs a snapshot taken with densities=True")
    if kind in ("p_g", "p_data"):
        z = getattr(snap, kind)
        zmax = float(np.quantile(snap.p_data[snap.p_data > 0], 0.999)) if (snap.p_data > 0).any() else 1.0
        scale, zmin, title = DENSITY_SCALE, 0.0, kind
        z = np.minimum(z, zmax)
    else:
        z = snap.d if kind == "d" else snap.d_star if kind == "d_star" else np.abs(snap.d - snap.d_star)
        scale, zmin, zmax = (D_SCALE if kind != "gap" else "Oranges"), 0.0, 1.0
        title = {"d": "D(x)", "d_star": "D*(x)", "gap": "|D − D*|"}[kind]
    return _trace(
        "heatmap",
        x=_f32(snap.gx),
        y=_f32(snap.gy),
        z=_f32(z),
        zmin=zmin,
        zmax=zmax,
        colorscale=scale,
        zsmooth="fast",  # one pixel per cell, smoothed by the browser as it scales the picture up
        colorbar={"title": {"text": title}, "thickness": 12, "len": 0.8},
        hoverinfo="skip",
        name=title,
    )


def arrow_vectors(vec: np.ndarray, span: float) -> np.ndarray:
    """Gradient vectors (n, 2) scaled for drawing in a view ``span`` wide: the
    90th-percentile arrow is 8 % of the view and none is longer than 15 %."""
    norms = np.linalg.norm(vec, axis=1, keepdims=True)
    scale = 0.08 * span / max(float(np.quantile(norms, 0.9)), 1e-12)
    return np.minimum(scale * norms, 0.15 * span) * vec / np.maximum(norms, 1e-12)


# Plotly draws every marker, and every gap-separated piece of a line or fill, as an SVG
# element of its own, styled one by one: ~900 elements in a 2D frame, rebuilt each time.
# So the plane's dots and arrows are small filled polygons chained into one unbroken outline
# per trace, and the manifold is one unbroken line: a handful of elements. Sizes are
# fractions of the view's width.
DOT_RADIUS = 0.0048  # a 5 px dot in the 640 px plane
DOT_SIDES = 6  # at 5 px a hexagon reads as a dot
SHAFT_HALF_WIDTH = 0.0011  # arrows: a 1.2 px shaft ...
HEAD_LENGTH, HEAD_HALF_WIDTH = 0.012, 0.0058  # ... and a head 6.5 px long, 6 px wide


def _polygons(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, k, 2) polygon corners -> x, y of one outline for a "toself" fill: each polygon
    closed in turn, the steps between them retraced backwards at the end, so that they
    enclose no area and only the polygons are filled."""
    rings = np.concatenate([corners, corners[:, :1]], axis=1).reshape(-1, 2)
    pts = np.concatenate([rings, corners[-2::-1, 0]]) if len(corners) else rings
    return pts[:, 0], pts[:, 1]


def _dots(pts: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """Points (n, 2) as small filled hexagons."""
    angle = np.linspace(0, 2 * np.pi, DOT_SIDES, endpoint=False)
    ring = DOT_RADIUS * span * np.column_stack([np.cos(angle), np.sin(angle)])
    return _polygons(pts[:, None, :] + ring[None])


def _arrows(at: np.ndarray, vec: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrows from ``at`` along the drawn gradient, each a filled 7-corner outline (shaft and head)."""
    drawn = arrow_vectors(vec, span)
    length = np.linalg.norm(drawn, axis=1, keepdims=True)
    along = drawn / np.maximum(length, 1e-12)
    across = np.column_stack([-along[:, 1], along[:, 0]])
    tip = at + drawn
    neck = tip - np.minimum(HEAD_LENGTH * span, length) * along
    shaft, head = SHAFT_HALF_WIDTH * span * across, HEAD_HALF_WIDTH * span * across
    corners = [at + shaft, neck + shaft, neck + head, tip, neck - head, neck - shaft, at - shaft]
    return _polygons(np.stack(corners, axis=1))


def _manifold_lines(snap: Snapshot2D) -> tuple[np.ndarray, np.ndarray]:
    """The G(z grid) as one unbroken polyline: the mesh's rows, back and forth, then its columns
    the same way (the steps between rows run along the mesh's edge, itself a mesh line); or
    the one curve."""
    m = snap.manifold
    if snap.manifold_kind == "curve":
        return m[0][:, 0], m[0][:, 1]
    rows = [row if i % 2 == 0 else row[::-1] for i, row in enumerate(m)]
    cols = m.transpose(1, 0, 2)[::-1] if len(m) % 2 else m.transpose(1, 0, 2)  # start where the rows end
    cols = [col[::-1] if i % 2 == 0 else col for i, col in enumerate(cols)]
    pts = np.concatenate(rows + cols)
    return pts[:, 0], pts[:, 1]


def plane_chart(
    snap: Snapshot2D,
    background: str = "d",
    layers: Sequence[str] = LAYERS,
    height: int = 640,
    title: str | None = None,
) -> go.Figure:
    """The 2D view: see :func:`plane_spec`."""
    return as_figure(plane_spec(snap, background, layers, height, title))


def plane_spec(
    snap: Snapshot2D,
    background: str = "d",
    layers: Sequence[str] = LAYERS,
    height: int = 640,
    title: str | None = None,
    batch: Minibatch | None = None,
) -> Spec:
    """The 2D view: a heatmap (D, D*, |D − D*|, p_g or p_data), real and fake samples, the
    gradient field on the fakes, and the generator manifold; ``batch``: the minibatches of
    the narrated Algorithm 1, ringed.

    Everything is SVG, in few elements (see DOT_RADIUS): with WebGL, `Plotly.react` took ~20 ms
    instead of ~35, but the software-rendered paint after it another ~60 ms per frame in
    headless Chromium."""
    x0, x1, y0, y1 = snap.box
    traces: list = []
    heat = _background(snap, background)
    if heat is not None:
        traces.append(heat)
    if "manifold" in layers:
        mx, my = _manifold_lines(snap)
        label = {"mesh": "G(z grid)", "slice": "G(z₁, z₂, 0, …)", "curve": "G(z line)"}[snap.manifold_kind]
        traces.append(
            _trace(
                "scatter",
                x=_f32(mx),
                y=_f32(my),
                mode="lines",
                name=label,
                line={"color": PLANE_COLORS["manifold"], "width": 1},
                hoverinfo="skip",
            )
        )
    span = x1 - x0
    for kind, name in (("real", "real x ~ p_data"), ("fake", "fake G(z)"), ("arrows", GRADIENT_NAME)):
        if kind not in layers or (kind == "arrows" and not len(snap.arrows)):
            continue
        sx, sy = (
            _arrows(snap.arrows_at, snap.arrows, span)
            if kind == "arrows"
            else _dots(getattr(snap, kind), span)
        )
        traces.append(_filled(sx, sy, name, PLANE_COLORS["arrow" if kind == "arrows" else kind]))
    for points, name, color, _ in _batch_parts(batch, 0.0, 0.0):
        marker = {"symbol": "circle-open", "size": 11, "color": color, "line": {"width": 2}}
        traces.append(_points(points[:, 0], points[:, 1], name, marker))
    layout = dict(
        height=height,
        margin={"l": 40, "r": 10, "t": 70 if title else 20, "b": 30},
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.985, "yanchor": "top", "font": {"size": 13}}
        if title
        else {},
        legend={"orientation": "h", "y": -0.06, "yanchor": "top", "x": 0},
        uirevision="plane",
        xaxis={"range": [x0, x1], "zeroline": False, "showgrid": False, "constrain": "domain"},
        yaxis={"range": [y0, y1], "zeroline": False, "showgrid": False, "scaleanchor": "x"},
    )
    return {"data": traces, "layout": layout}
