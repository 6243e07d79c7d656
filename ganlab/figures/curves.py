"""Metric curves over a run: the losses and the theory's numbers (1D and 2D), or D's view and
the judge's (MNIST), over G updates."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganlab.figures.spec import f32
from ganlab.figures.style import COLORS

__all__ = ["metrics_chart", "mnist_metrics_chart"]

LOG4 = math.log(4.0)


def metrics_chart(history: Sequence[dict[str, float]], height: int = 460) -> go.Figure:
    """Losses; JSD(p_data || p_g); V(D, G) next to C(G) = -log 4 + 2 JSD (Theorem 1), over G
    updates; and, where p_data has modes, the modes covered and the high-quality share."""
    steps = f32([h["g_updates"] for h in history])
    with_modes = "modes_covered" in history[-1]

    def series(key: str) -> np.ndarray:
        return f32([h.get(key, np.nan) for h in history])

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
    steps = f32([h["g_updates"] for h in history])
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
        ys = f32([h.get(key, np.nan) for h in history])
        fig.add_trace(go.Scatter(x=steps, y=ys, name=name, line={"color": color}), row, 1)
    fig.add_hline(y=0.5, line={"color": "grey", "width": 1, "dash": "dot"}, row=2, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    return _curves_layout(fig, height, len(titles))
