"""Snapshot -> Plotly figures, in the style of the paper's Figure 1 (no training here)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganlab.snapshot import Snapshot

__all__ = ["figure1_chart", "metrics_chart", "z_positions", "COLORS", "x_range"]

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
    return np.asarray(a, dtype=np.float32)  # plotly sends float32 arrays compactly (base64)


def figure1_chart(
    snap: Snapshot, show_d_star: bool = True, height: int = 460, title: str | None = None
) -> go.Figure:
    """p_data (black dotted), p_g (green), D (blue dashed), optional D*, and the z -> x lines."""
    lo, hi = x_range(snap)
    y_top = max(1.05, 1.25 * float(np.max(snap.p_data)))
    x_line, z_line = -0.18 * y_top, -0.45 * y_top
    x = _f32(snap.x)
    p_g_label = "p_g (exact)" if snap.p_g_method == "exact" else "p_g (KDE)"
    traces = [
        go.Scatter(
            x=x,
            y=_f32(snap.p_data),
            name="p_data",
            line={"color": COLORS["p_data"], "dash": "dot", "width": 2.5},
        ),
        go.Scatter(
            x=x,
            y=_f32(np.minimum(snap.p_g, 2 * y_top)),
            name=p_g_label,
            line={"color": COLORS["p_g"], "width": 2.5},
        ),
        go.Scatter(
            x=x, y=_f32(snap.d), name="D(x)", line={"color": COLORS["d"], "dash": "dash", "width": 2.5}
        ),
    ]
    if show_d_star:
        traces.append(
            go.Scatter(
                x=x,
                y=_f32(snap.d_star),
                name="D*(x) = p_data/(p_data+p_g)",
                line={"color": COLORS["d_star"], "dash": "dashdot", "width": 1.8},
            )
        )
    # The z line, the x line, and a line from each z up to G(z), ending in an arrowhead.
    traces.append(
        go.Scatter(
            x=[lo, hi, None, lo, hi],
            y=[x_line, x_line, None, z_line, z_line],
            mode="lines",
            line={"color": "black", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if snap.z.size:
        # One trace: a line from each z up to G(z), with an arrowhead only at the G(z) end.
        zp = z_positions(snap.z, lo, hi)
        n = zp.size
        seg_x = np.column_stack([zp, snap.g_z, np.full(n, np.nan)]).ravel()
        seg_y = np.tile([z_line, x_line, np.nan], n)
        traces.append(
            go.Scatter(
                x=_f32(seg_x),
                y=_f32(seg_y),
                mode="lines+markers",
                name="z → G(z)",
                line={"color": COLORS["arrow"], "width": 1},
                hoverinfo="skip",
                marker={
                    "symbol": "arrow-up",
                    "color": COLORS["arrow"],
                    "size": np.tile(np.array([0, 9, 0], dtype=np.float32), n),
                },
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        template="none",
        height=height,
        margin={"l": 50, "r": 20, "t": 60 if title else 30, "b": 40},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}} if title else None,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        uirevision="figure1",
        xaxis={"range": [lo, hi], "title": "x", "zeroline": False},
        yaxis={
            "range": [z_line - 0.08 * y_top, y_top],
            "tickvals": [0, 0.25, 0.5, 0.75, 1.0],
            "title": "density  /  D(x)",
            "zeroline": False,
        },
        annotations=[
            {"x": lo, "y": x_line, "text": "x", "showarrow": False, "xanchor": "left", "yanchor": "bottom"},
            {"x": lo, "y": z_line, "text": "z", "showarrow": False, "xanchor": "left", "yanchor": "bottom"},
        ],
    )
    return fig


def metrics_chart(history: Sequence[dict[str, float]], height: int = 460) -> go.Figure:
    """Losses; JSD(p_data || p_g); V(D, G) next to C(G) = -log 4 + 2 JSD (Theorem 1), over G updates."""
    steps = _f32([h["g_updates"] for h in history])

    def series(key: str) -> np.ndarray:
        return _f32([h[key] for h in history])

    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=(
            "losses (last minibatch)",
            "JSD(p_data ‖ p_g), nats",
            "V(D, G) and C(G) = −log 4 + 2·JSD",
        ),
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
    fig.update_layout(
        template="none",
        height=height,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.12},
        uirevision="metrics",
    )
    fig.update_annotations(font_size=12)
    fig.update_xaxes(title_text="G updates", row=3, col=1)
    return fig
