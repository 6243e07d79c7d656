"""2D figures: the plane as GAN Lab draws it (D or the theory's densities as a background,
real and fake samples, G's gradient at the fakes, the generator manifold) as a Plotly spec,
the same snapshots as static panels (matplotlib), and a 2D run's pictures as files."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ganlab.figures.marks import arrow_vectors, arrows, dots
from ganlab.figures.pixels import figure_bytes
from ganlab.figures.spec import Spec, as_figure, f32, filled, points, trace
from ganlab.figures.style import D_SCALE, DENSITY_SCALE, PLANE_COLORS, Minibatch, batch_parts
from ganlab.snapshot import Snapshot2D

__all__ = [
    "plane_chart",
    "plane_spec",
    "render_planes",
    "run_pictures",
    "frame_specs",
    "BACKGROUNDS",
    "LAYERS",
    "NEEDS_DENSITIES",
]

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
    return trace(
        "heatmap",
        x=f32(snap.gx),
        y=f32(snap.gy),
        z=f32(z),
        zmin=zmin,
        zmax=zmax,
        colorscale=scale,
        zsmooth="fast",  # one pixel per cell, smoothed by the browser as it scales the picture up
        colorbar={"title": {"text": title}, "thickness": 12, "len": 0.8},
        hoverinfo="skip",
        name=title,
    )


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

    Everything is SVG, in few elements (see ganlab.figures.marks): with WebGL, `Plotly.react` took ~20 ms
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
            trace(
                "scatter",
                x=f32(mx),
                y=f32(my),
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
            arrows(snap.arrows_at, snap.arrows, span) if kind == "arrows" else dots(getattr(snap, kind), span)
        )
        traces.append(filled(sx, sy, name, PLANE_COLORS["arrow" if kind == "arrows" else kind]))
    for marks, name, color, _ in batch_parts(batch, 0.0, 0.0):
        marker = {"symbol": "circle-open", "size": 11, "color": color, "line": {"width": 2}}
        traces.append(points(marks[:, 0], marks[:, 1], name, marker))
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


def render_planes(panels: Sequence[tuple[str, Snapshot2D]], fmt: str = "png", dpi: int = 130) -> bytes:
    """Panels side by side: D(x) as a heatmap, the generator manifold, real (green) and fake
    (purple) samples, and G's gradient at the fakes; the title carries the mode counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    d_map = LinearSegmentedColormap.from_list("d", [PLANE_COLORS["fake"], "#f7f7f7", PLANE_COLORS["real"]])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.9), squeeze=False)
    for ax, (label, s) in zip(axes[0], panels):
        x0, x1, y0, y1 = s.box
        ax.imshow(s.d, origin="lower", extent=(x0, x1, y0, y1), cmap=d_map, vmin=0, vmax=1, alpha=0.85)
        lines = (
            [s.manifold[0]] if s.manifold_kind == "curve" else [*s.manifold, *s.manifold.transpose(1, 0, 2)]
        )
        for line in lines:
            ax.plot(line[:, 0], line[:, 1], color="0.25", linewidth=0.4, alpha=0.5)
        ax.scatter(s.real[:, 0], s.real[:, 1], s=3, color=PLANE_COLORS["real"], label="real")
        ax.scatter(s.fake[:, 0], s.fake[:, 1], s=3, color=PLANE_COLORS["fake"], label="fake G(z)")
        vec = arrow_vectors(s.arrows, x1 - x0)  # the dashboard's arrow lengths
        ax.quiver(
            s.arrows_at[:, 0],
            s.arrows_at[:, 1],
            vec[:, 0],
            vec[:, 1],
            angles="xy",
            scale_units="xy",
            scale=1,
            color=PLANE_COLORS["arrow"],
            width=0.003,
        )
        m = s.metrics
        modes = (
            f"{m['modes_covered']}/{m['modes_total']} modes, {m['high_quality']:.1%} high quality\n"
            if "modes_covered" in m
            else ""
        )
        ax.set_title(f"{label}\n{modes}G updates {s.g_updates}, JSD {m['jsd']:.3f} nats", fontsize=10)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=8)
    axes[0][0].legend(loc="lower left", fontsize=8, markerscale=3, framealpha=0.8)
    fig.tight_layout()
    return figure_bytes(fig, fmt, dpi)


def frame_specs(snap: Snapshot2D) -> list[Spec]:
    """The live view's plane for one frame, as the dashboard draws it while playing."""
    return [plane_spec(snap, "d", title="frame")]


def run_pictures(snap: Snapshot2D, title: str) -> dict[str, bytes]:
    """The 2D view of ``snap`` as files: live.png (static) and live.json (Plotly)."""
    return {
        "live.png": render_planes([(title, snap)]),
        "live.json": as_figure(plane_spec(snap, "d", LAYERS, title=title)).to_json().encode(),
    }
