"""1D figures: the live chart in the style of the paper's Figure 1 (a Plotly spec), the same
snapshots as static panels (matplotlib), and a 1D run's pictures as files."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ganlab.figures.pixels import figure_bytes
from ganlab.figures.spec import Spec, as_figure, f32, points, trace
from ganlab.figures.style import COLORS, Minibatch, batch_parts
from ganlab.snapshot import Snapshot1D

__all__ = [
    "figure1_chart",
    "figure1_spec",
    "render_1d",
    "run_pictures",
    "frame_specs",
    "x_range",
    "z_positions",
]


def x_range(snap: Snapshot1D) -> tuple[float, float]:
    """The chart's x range: the snapshot grid rounded out to halves (steadier between frames)."""
    return math.floor(snap.x[0] * 2) / 2, math.ceil(snap.x[-1] * 2) / 2


def z_positions(z: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Where each z sits on the drawn z line: z's range mapped onto the middle 80 % of [lo, hi]."""
    if z.size == 0:
        return z
    z_lo, z_hi = float(z.min()), float(z.max())
    return lo + (hi - lo) * (0.1 + 0.8 * (z - z_lo) / max(z_hi - z_lo, 1e-12))


def figure1_chart(
    snap: Snapshot1D, show_d_star: bool = True, height: int = 460, title: str | None = None
) -> go.Figure:
    """p_data (black dotted), p_g (green), D (blue dashed), optional D*, and the z -> x lines."""
    return as_figure(figure1_spec(snap, show_d_star, height, title))


def figure1_spec(
    snap: Snapshot1D,
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
    x = f32(snap.x)
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
    traces = [trace("scatter", x=x, y=f32(y), name=name, line=line) for y, name, line in curves]
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
            trace(
                "scatter",
                x=f32(seg_x),
                y=f32(seg_y),
                mode="lines",
                name="z → G(z)",
                line={"color": COLORS["arrow"], "width": 1},
                hoverinfo="skip",
            )
        )
    traces.append(  # the x line and the z line
        trace(
            "scatter",
            x=[lo, hi, None, lo, hi],
            y=[x_line, x_line, None, z_line, z_line],
            mode="lines",
            line={"color": "black", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for marks, name, color, y in batch_parts(batch, x_line + 0.07 * y_top, x_line):
        marker = {"symbol": "line-ns-open", "size": 14, "color": color, "line": {"width": 1.5}}
        traces.append(points(marks[:, 0], np.full(len(marks), y), name, marker))
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


def render_1d(panels: list[tuple[str, Snapshot1D]], fmt: str = "png", dpi: int = 150) -> bytes:
    """1D snapshots side by side in the paper's style (p_data dotted, p_g, D dashed, z -> x arrows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    snaps = [s for _, s in panels]
    x_lo = min(s.x[0] for s in snaps)
    x_hi = max(s.x[-1] for s in snaps)
    y_top = 1.15 * max(max(np.nanmax(s.p_data), np.nanmax(s.p_g), 1.0) for s in snaps)
    fig, axes = plt.subplots(1, len(snaps), figsize=(4 * len(snaps), 4.2), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, (title, s) in zip(axes, panels):
        ax.plot(s.x, s.p_data, color="black", linestyle=":", linewidth=2, label="p_data")
        ax.plot(s.x, np.minimum(s.p_g, y_top), color="green", linewidth=1.8, label="p_g")
        ax.plot(s.x, s.d, color="blue", linestyle="--", linewidth=1.6, label="D(x)")
        # The x line and the z line below it, with arrows z -> G(z).
        x_line, z_line = -0.25 * y_top, -0.6 * y_top
        ax.axhline(x_line, color="black", linewidth=0.8)
        ax.axhline(z_line, color="black", linewidth=0.8)
        z_pos = np.interp(
            s.z, [s.z.min(), s.z.max()], [x_lo + 0.1 * (x_hi - x_lo), x_hi - 0.1 * (x_hi - x_lo)]
        )
        for zp, gx in zip(z_pos, s.g_z):
            ax.annotate(
                "",
                xy=(gx, x_line),
                xytext=(zp, z_line),
                arrowprops={"arrowstyle": "->", "color": "0.35", "linewidth": 0.7},
            )
        ax.text(x_lo, x_line, " x", va="bottom", fontsize=9)
        ax.text(x_lo, z_line, " z", va="bottom", fontsize=9)
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(z_line - 0.08 * y_top, y_top)
        ax.set_yticks([0, 0.5, 1.0])
        ax.set_title(title, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].legend(loc="upper left", fontsize=8, frameon=False)
    fig.tight_layout()
    return figure_bytes(fig, fmt, dpi)


def frame_specs(snap: Snapshot1D) -> list[Spec]:
    """The live view's chart for one frame, as the dashboard draws it while playing."""
    return [figure1_spec(snap, title="frame")]


def run_pictures(snap: Snapshot1D, title: str) -> dict[str, bytes]:
    """The 1D view of ``snap`` as files: live.png (static) and live.json (Plotly)."""
    title += f" · JSD {snap.metrics['jsd']:.4f} nats"
    return {
        "live.png": render_1d([(title, snap)]),
        "live.json": as_figure(figure1_spec(snap, True, title=title)).to_json().encode(),
    }
