"""A whole run with its pictures: the views of its current state as files, and the run's zip
with them (reading and writing the zip itself is ganlab.runs.runzip, which draws nothing)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ganlab.figures.kinds import FIGURES
from ganlab.runs.runzip import export_run
from ganlab.snapshot import take_snapshot
from ganlab.train import Trainer

__all__ = ["run_figures", "run_zip"]


def run_figures(trainer: Trainer, history: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    """The run's views as files: pictures of the current state (PNG, and the live chart as
    Plotly JSON, which ``plotly.io.read_json`` opens) and the metric curves (Plotly JSON),
    named as in the zip's figures/ folder."""
    kind = FIGURES[trainer.cfg.kind]
    snap = take_snapshot(trainer)
    files = kind.pictures(snap, f"D updates {snap.d_updates} · G updates {snap.g_updates}")
    if len(history) >= 2:
        files["metrics.json"] = kind.curves(list(history)).to_json().encode()
    return files


def run_zip(trainer: Trainer, history: Sequence[Mapping[str, Any]]) -> bytes:
    """The run as one zip (see ganlab.runs.runzip) with its figures, all of one state (the
    trainer's lock is held: a download reads while the dashboard may be training)."""
    rows = list(history)
    with trainer.lock:
        return export_run(trainer, rows, run_figures(trainer, rows))
