"""Figure 1 of the paper, reproduced from one real training run captured at four stages.

(a) near convergence, D a partially accurate classifier; (b) D trained in the inner loop
towards D* = p_data / (p_data + p_g); (c) after updates to G against that D; (d) after
more training, p_g = p_data and D = 1/2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.config import Config
from ganlab.data import get_distribution
from ganlab.figures.toy1d import render_1d
from ganlab.files import atomic_write
from ganlab.measure.theory import jsd, kde_density
from ganlab.presets import get_preset
from ganlab.snapshot import Snapshot1D, take_snapshot
from ganlab.train import Trainer

__all__ = [
    "Figure1Schedule",
    "Figure1Result",
    "run_figure1",
    "render_figure1",
    "figure1_json",
    "write_figure1",
]

LABELS = ("a", "b", "c", "d")


@dataclass(frozen=True)
class Figure1Schedule:
    """How the one run is staged (iterations are Algorithm-1 iterations)."""

    check_every: int = 50  # iterations between checks while waiting for stage (a)
    a_jsd_range: tuple[float, float] = (0.05, 0.15)  # JSD (nats) that counts as "near"
    a_max_iterations: int = 6000
    b_d_steps: int = 1000  # D-only updates: the inner loop run until D is near D*
    c_g_steps: int = 1  # "after an update to G": one update against that D
    d_iterations: int = 2000  # then Algorithm 1 with k = d_k, learning rates decaying
    d_k: int = 3
    d_lr_floor: float = 0.05  # learning rates decay linearly to this fraction
    d_extra_max: int = 4000  # then, at the floor rate, train on until converged (at most this many)
    d_flat_tol: float = 0.05  # converged: |D - 1/2| below this where p_data > 1 % of its peak
    d_jsd_tol: float = 0.01  # and JSD (KDE of the samples) below this


@dataclass
class Figure1Result:
    config: Config
    schedule: Figure1Schedule
    snapshots: list[Snapshot1D]  # panels a..d
    device: str


def _sample_jsd(snap: Snapshot1D) -> float:
    """JSD with p_g as a KDE of the exported samples (what an outside check recomputes)."""
    p_g, outside = kde_density(snap.samples, snap.x)
    return jsd(snap.p_data, p_g, snap.x, q_outside=outside)


def run_figure1(
    seed: int = 0,
    device: str = "auto",
    schedule: Figure1Schedule | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> Figure1Result:
    """Train paper-1d once and snapshot the four stages of Figure 1."""
    sch = schedule or Figure1Schedule()
    cfg = get_preset("paper-1d").config.replace(seed=seed, device=device)
    trainer = Trainer(cfg)
    report = progress or (lambda _msg, _frac: None)

    # (a) train with Algorithm 1 until p_g is near p_data, but not on it.
    lo, hi = sch.a_jsd_range
    snap_a = take_snapshot(trainer)
    while not (lo <= _sample_jsd(snap_a) <= hi) and trainer.g_updates < sch.a_max_iterations:
        _advance(trainer, sch.check_every)
        snap_a = take_snapshot(trainer)
        report("(a) training towards p_data", 0.3 * trainer.g_updates / sch.a_max_iterations)
    # (b) the inner loop: D alone, towards D* for this G.
    report("(b) training D towards D*", 0.35)
    _advance(trainer, sch.b_d_steps, "d")
    snap_b = take_snapshot(trainer)
    # (c) G alone, guided by D's gradient towards regions classified as data.
    report("(c) updating G against D", 0.45)
    _advance(trainer, sch.c_g_steps, "g")
    snap_c = take_snapshot(trainer)
    # (d) more Algorithm-1 iterations with decaying learning rates, to the equilibrium.
    base = trainer.cfg.replace(k=sch.d_k)
    chunk = 100
    for i in range(0, sch.d_iterations, chunk):
        frac = 1 - (1 - sch.d_lr_floor) * i / sch.d_iterations
        trainer.apply(base.replace(lr_d=base.lr_d * frac, lr_g=base.lr_g * frac))
        _advance(trainer, chunk)
        report("(d) training to the equilibrium", 0.5 + 0.5 * i / sch.d_iterations)
    snap_d = take_snapshot(trainer)
    extra = 0
    while not _converged(snap_d, sch) and extra < sch.d_extra_max:
        _advance(trainer, chunk)
        extra += chunk
        snap_d = take_snapshot(trainer)
        report("(d) training on until D = 1/2", 0.95)
    report("done", 1.0)
    return Figure1Result(cfg, sch, [snap_a, snap_b, snap_c, snap_d], str(trainer.device))


def _converged(snap: Snapshot1D, sch: Figure1Schedule) -> bool:
    """p_g = p_data and D = 1/2, to the schedule's tolerances."""
    support = snap.p_data > 0.01 * snap.p_data.max()
    flat = float(np.max(np.abs(snap.d - 0.5)[support])) < sch.d_flat_tol
    return flat and _sample_jsd(snap) < sch.d_jsd_tol


def _advance(trainer: Trainer, n: int, what: str = "iteration") -> None:
    if not trainer.advance(n, what):
        raise RuntimeError(trainer.diverged)


def figure1_json(result: Figure1Result) -> dict[str, Any]:
    """The run in DESIGN.md's figure1.json schema."""

    def floats(a: np.ndarray) -> list[float | None]:
        return [None if not np.isfinite(v) else round(float(v), 6) for v in a]

    panels = [
        {
            "label": label,
            "step": s.g_updates,
            "d_updates": s.d_updates,
            "g_updates": s.g_updates,
            "x": floats(s.x),
            "p_data": floats(s.p_data),
            "p_g": floats(s.p_g),
            "p_g_method": s.p_g_method,
            "d": floats(s.d),
            "d_star": floats(s.d_star),
            "samples": floats(s.samples),
            "z": floats(s.z),
            "g_z": floats(s.g_z),
            "metrics": {**s.metrics, "jsd_kde_of_samples": _sample_jsd(s)},
        }
        for label, s in zip(LABELS, result.snapshots)
    ]
    return {
        "p_data": get_distribution(result.config.p_data).describe(),
        "panels": panels,
        "metrics": {label: p["metrics"] for label, p in zip(LABELS, panels)},
        "config": result.config.to_dict(),
        "schedule": {k: v for k, v in result.schedule.__dict__.items()},
        "device": result.device,
    }


CAPTIONS = {
    "a": "near convergence",
    "b": "D trained towards D*",
    "c": "after one G update",
    "d": "p_g = p_data, D = 1/2",
}


def render_figure1(result: Figure1Result, fmt: str = "png", dpi: int = 150) -> bytes:
    """The four panels drawn in the paper's style, as PNG or SVG bytes."""
    titles = [
        f"({label}) {CAPTIONS[label]}\nG updates {s.g_updates}, JSD {s.metrics['jsd']:.3f} nats"
        for label, s in zip(LABELS, result.snapshots)
    ]
    return render_1d(list(zip(titles, result.snapshots)), fmt, dpi)


def write_figure1(result: Figure1Result, out: Path) -> list[Path]:
    """figure1.png and figure1.json into ``out`` (each written whole, then renamed)."""
    files = {
        "figure1.png": render_figure1(result, "png"),
        "figure1.json": json.dumps(figure1_json(result)).encode(),
    }
    for name, data in files.items():
        atomic_write(out / name, data)
    return [out / name for name in files]
