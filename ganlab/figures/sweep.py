"""A sweep's report: its main metric against each setting it swept, one panel per setting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ganlab.figures.pixels import figure_bytes

__all__ = ["render_sweep", "STATUS_COLORS", "METRIC_LABELS"]

STATUS_COLORS = {"done": "#1f77b4", "diverged": "#000000", "failed": "#d62728"}
METRIC_LABELS = {
    "jsd": "JSD(p_data ‖ p_g) at the end, nats",
    "frechet": "Fréchet distance of the judge's features to the test set",
}


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def render_sweep(
    rows: list[dict[str, Any]], settings: Sequence[str], metric: str, title: str, dpi: int = 130
) -> bytes:
    """report.png: for each swept setting, every finished trial's ``metric`` at that setting's
    value (the other settings spread sideways a little), the mean over them as a line, and the
    trials that diverged or failed as marks along the top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(settings) or ["seed"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 0.6, 3.8), squeeze=False)
    finished = [r for r in rows if isinstance(r.get(metric), (int, float)) and r["status"] == "done"]
    top = max((r[metric] for r in finished), default=1.0) * 1.08 or 1.0
    for ax, name in zip(axes[0], panels):
        values = sorted({r[name] for r in rows if name in r}, key=lambda v: (str(type(v)), v))
        numeric = _numeric(values)
        log = numeric and min(values, default=0) > 0 and max(values) / min(values) >= 10
        position = {v: (v if numeric else i) for i, v in enumerate(values)}
        rng = np.random.default_rng(0)
        width = 0.0 if numeric else 0.12
        for status, color in STATUS_COLORS.items():
            chosen = [r for r in rows if r["status"] == status and name in r]
            if not chosen:
                continue
            xs = np.array([position[r[name]] for r in chosen], dtype=float)
            xs = xs + rng.uniform(-width, width, len(xs))
            if status == "done":
                ys = [r[metric] if isinstance(r.get(metric), (int, float)) else np.nan for r in chosen]
                ax.scatter(xs, ys, s=22, color=color, alpha=0.75, label="done", zorder=3)
            else:  # no final number worth plotting: a mark at the top
                ax.scatter(xs, [top] * len(xs), marker="x", s=40, color=color, label=status, zorder=3)
        means = [
            (position[v], np.mean([r[metric] for r in finished if r.get(name) == v]))
            for v in values
            if any(r.get(name) == v for r in finished)
        ]
        if means:
            ax.plot(*zip(*means), color="#555555", lw=1.2, zorder=2, label="mean")
        if log:
            ax.set_xscale("log")
            ax.minorticks_off()
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        elif len(values) <= 8:
            ax.set_xticks(values, [f"{v:g}" for v in values])
        ax.set_xlabel(name)
        ax.set_ylabel(METRIC_LABELS.get(metric, metric), fontsize=8)
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    seen = dict(zip(labels, handles))
    if seen:
        axes[0][-1].legend(seen.values(), seen.keys(), fontsize=8, loc="best")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return figure_bytes(fig, "png", dpi)
