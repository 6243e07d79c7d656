"""Static pictures of 2D runs (matplotlib, for the README and `ganlab plot`): one panel per run."""

from __future__ import annotations

import io
from collections.abc import Sequence

from ganlab.snapshot2d import Snapshot2D

__all__ = ["render_planes"]


def render_planes(panels: Sequence[tuple[str, Snapshot2D]], fmt: str = "png", dpi: int = 130) -> bytes:
    """Panels side by side: D(x) as a heatmap, the generator manifold, real (green) and fake
    (purple) samples, and G's gradient at the fakes; the title carries the mode counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    from ganlab.plots import PLANE_COLORS, arrow_vectors

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
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    plt.close(fig)
    return buf.getvalue()
