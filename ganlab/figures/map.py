"""A stability map drawn: a grid of cells, one per setting, coloured by how far that GAN's p_g is
from p_data (live, as the batch trains) and, once it is done, by its outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ganlab.figures.pixels import figure_bytes
from ganlab.figures.spec import Spec, f32, trace
from ganlab.measure.outcome import CONVERGED_JSD, LAST_STRETCH, OUTCOMES, SETTLED_SPREAD

__all__ = ["OUTCOME_COLORS", "map_spec", "render_map", "legend_text", "outcome_letters", "CLICK_TRACE"]

OUTCOME_COLORS = {
    "converged": "#1a9641",
    "oscillating": "#fdae61",
    "collapsed": "#7b3294",
    "not converged": "#bdbdbd",
    "diverged": "#000000",
}
LETTERS = {"converged": "C", "oscillating": "O", "collapsed": "M", "not converged": "N", "diverged": "D"}
JSD_MAX = float(np.log(2.0))  # JSD's largest value: p_g and p_data disjoint
CLICK_TRACE = "picked"  # the first trace: where the live chart's clicks land
FLAT = {"automargin": True, "zeroline": False, "showgrid": False}  # no lines across the cells


def legend_text() -> str:
    """The outcomes and their thresholds, in words (for the legend and the docs)."""
    stretch = f"the last {LAST_STRETCH:.0%} of the iterations"
    return (
        f"C converged: the JSD's median over {stretch} is below {CONVERGED_JSD:g} nats; "
        f"O oscillating: not converged, and the JSD swings by {SETTLED_SPREAD:g} nats or more (standard "
        "deviation about its trend) over that stretch; M collapsed (2D): some modes have no sample at the "
        "end; N not converged: far from p_data, and steady; D diverged: a weight became non-finite."
    )


def _ticks(values: Sequence[float]) -> dict[str, Any]:
    return {"tickvals": list(range(len(values))), "ticktext": [f"{v:.3g}" for v in values]}


def map_spec(
    x: str,
    y: str,
    x_values: Sequence[float],
    y_values: Sequence[float],
    jsd: np.ndarray,
    diverged: np.ndarray,
    outcomes: np.ndarray | None = None,
    title: str | None = None,
    height: int = 560,
) -> Spec:
    """The map as a plain spec: cells coloured by JSD (nats, 0 to log 2), diverged cells black,
    and once there are outcomes, each cell's letter (its seeds' outcomes where they differ).
    ``jsd`` and ``diverged`` are (len(y_values), len(x_values)); ``outcomes`` holds text."""
    z = np.where(diverged, np.nan, jsd)
    traces = [
        trace("scatter", x=[], y=[], mode="markers", name=CLICK_TRACE, showlegend=False, hoverinfo="skip"),
        trace(
            "heatmap",
            z=f32(z),
            zmin=0.0,
            zmax=JSD_MAX,
            colorscale="Viridis",
            reversescale=True,
            colorbar={"title": {"text": "JSD (nats)"}, "thickness": 12, "len": 0.85},
            text=[[f"{x} {vx:.3g} · {y} {vy:.3g}" for vx in x_values] for vy in y_values],
            hovertemplate="%{text}<br>JSD %{z:.4f} nats<extra></extra>",
            xgap=1,
            ygap=1,
        ),
    ]
    if diverged.any():
        traces.append(
            trace(
                "heatmap",
                z=f32(np.where(diverged, 1.0, np.nan)),
                colorscale=[[0, "#000000"], [1, "#000000"]],
                showscale=False,
                hoverinfo="skip",
                xgap=1,
                ygap=1,
            )
        )
    if outcomes is not None:
        light = np.nan_to_num(z, nan=JSD_MAX) < 0.4 * JSD_MAX  # the colour scale's pale end: dark letters
        traces.append(
            trace(
                "scatter",
                x=[i for j in range(len(y_values)) for i in range(len(x_values))],
                y=[j for j in range(len(y_values)) for _ in range(len(x_values))],
                mode="text",
                text=[str(t) for row in outcomes for t in row],
                textfont={"color": ["#222222" if pale else "white" for pale in light.ravel()], "size": 11},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    layout = {
        "height": height,
        "margin": {"l": 70, "r": 10, "t": 60 if title else 20, "b": 60},
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 13}} if title else {},
        "xaxis": {
            "title": {"text": x},
            **_ticks(x_values),
            "range": [-0.5, len(x_values) - 0.5],
            **FLAT,
        },
        "yaxis": {
            "title": {"text": y, "standoff": 8},
            **FLAT,
            **_ticks(y_values),
            "range": [-0.5, len(y_values) - 0.5],
            "scaleanchor": "x",
        },
        "plot_bgcolor": "#ffffff",
        "uirevision": "map",
    }
    return {"data": traces, "layout": layout}


def outcome_letters(outcomes: Sequence[Sequence[str]]) -> list[str]:
    """A cell's outcomes (one per seed) as letters: "C", or "3C 1O" where the seeds differ."""
    out = []
    for cell in outcomes:
        counts = {o: list(cell).count(o) for o in OUTCOMES if o in cell}
        if len(counts) == 1:
            out.append(LETTERS[next(iter(counts))])
        else:
            out.append(" ".join(f"{n}{LETTERS[o]}" for o, n in counts.items()))
    return out


def render_map(result: dict[str, Any], fmt: str = "png", dpi: int = 130) -> bytes:
    """map.png: the final JSD per cell (the seeds' mean) and each cell's outcome (the seeds'
    share that converged where there are several), side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    xs, ys, x, y = result["x_values"], result["y_values"], result["x"], result["y"]
    jsd = np.full((len(ys), len(xs)), np.nan)
    kinds: dict[tuple[int, int], list[str]] = {}
    values: dict[tuple[int, int], list[float]] = {}
    for cell in result["cells"]:
        at = (ys.index(cell[y]), xs.index(cell[x]))
        kinds.setdefault(at, []).append(cell["outcome"])
        if cell["jsd"] is not None:
            values.setdefault(at, []).append(cell["jsd"])
    for (j, i), v in values.items():
        jsd[j, i] = np.mean(v)
    majority = np.zeros((len(ys), len(xs)))
    for (j, i), cell in kinds.items():
        majority[j, i] = OUTCOMES.index(max(OUTCOMES, key=cell.count))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 5.6))
    shown = np.ma.masked_invalid(jsd)
    image = left.imshow(shown, origin="lower", cmap="viridis_r", vmin=0, vmax=JSD_MAX, aspect="auto")
    left.set_facecolor("black")  # diverged cells: no JSD
    fig.colorbar(image, ax=left, label="JSD(p_data ‖ p_g) at the end, nats (black: diverged)")
    palette = ListedColormap([OUTCOME_COLORS[o] for o in OUTCOMES])
    right.imshow(majority, origin="lower", cmap=palette, vmin=-0.5, vmax=len(OUTCOMES) - 0.5, aspect="auto")
    for (j, i), cell in kinds.items():
        if result["seeds"] > 1:
            share = cell.count("converged") / len(cell)
            right.text(i, j, f"{share:.0%}", ha="center", va="center", fontsize=7, color="white")
    for ax, what in ((left, "JSD at the end"), (right, "outcome")):
        ax.set_xticks(range(len(xs)), [f"{v:.3g}" for v in xs], rotation=60, fontsize=7)
        ax.set_yticks(range(len(ys)), [f"{v:.3g}" for v in ys], fontsize=7)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(what, fontsize=10)
    right.legend(
        handles=[Patch(color=OUTCOME_COLORS[o], label=o) for o in OUTCOMES],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        frameon=False,
    )
    seeds = f", {result['seeds']} seeds a cell (share converged)" if result["seeds"] > 1 else ""
    fig.suptitle(
        f"{result['preset']}: {len(xs)} x {len(ys)} cells{seeds}, {result['steps']:,} iterations, "
        f"{result['seconds']:.0f} s on {result['device']}",
        fontsize=11,
    )
    fig.tight_layout()
    return figure_bytes(fig, fmt, dpi)
