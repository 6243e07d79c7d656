"""What each kind of run draws, in one table: its live frame, its pictures as files, its
metric curves. A new kind of run adds its figures module here (and its snapshot in
ganlab.snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from ganlab.figures import mnist, toy1d, toy2d
from ganlab.figures.curves import metrics_chart, mnist_metrics_chart
from ganlab.figures.spec import Spec

__all__ = ["KindFigures", "FIGURES"]


@dataclass(frozen=True)
class KindFigures:
    frame: Callable[[Any], list[Spec]]  # snapshot -> the live view's charts of one frame
    pictures: Callable[[Any, str], dict[str, bytes]]  # snapshot, title -> files by name
    curves: Callable[..., go.Figure]  # metric history (, height=...) -> curves over G updates


FIGURES: dict[str, KindFigures] = {
    "1d": KindFigures(toy1d.frame_specs, toy1d.run_pictures, metrics_chart),
    "2d": KindFigures(toy2d.frame_specs, toy2d.run_pictures, metrics_chart),
    "mnist": KindFigures(mnist.frame_specs, mnist.run_pictures, mnist_metrics_chart),
}
