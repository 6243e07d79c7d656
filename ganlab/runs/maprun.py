"""A stability map: a grid of GANs that differ in two settings (and seeds), trained together by
the batched trainer, read over their last stretch, each given an outcome, and written as
map.json. The command line's `ganlab map` and the dashboard's map tab both run one."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ganlab.config import LIMITS, Config, ConfigError, parse_assignment
from ganlab.measure.outcome import (
    CONVERGED_JSD,
    LAST_STRETCH,
    OUTCOMES,
    SETTLED_SPREAD,
    classify,
    stretch_stats,
)
from ganlab.presets import get_preset
from ganlab.snapshot.map import MapReading, take_map_reading
from ganlab.train.ensemble import Ensemble

__all__ = [
    "AXES",
    "MapSpec",
    "MapRun",
    "map_json",
    "axis_values",
    "parse_range",
    "MAX_GANS",
    "MAX_GANS_SPLIT",
    "READINGS",
]

# The settings a map can vary: how its values spread over a range, and the range it spans unless told.
AXES: dict[str, tuple[str, tuple[float, float]]] = {
    "lr_d": ("log", (1e-4, 1e-1)),
    "lr_g": ("log", (1e-4, 1e-1)),
    "lr": ("log", (1e-4, 1e-1)),  # both learning rates at once
    "k": ("int", (1, 8)),
    "momentum": ("linear", (0.0, 0.9)),
    "r1": ("log", (0.01, 10.0)),
}
MAX_N = 64  # cells per side
MAX_SEEDS = 16
MAX_GANS = 4096  # GANs in one map (cells x seeds) trained in one batch
MAX_GANS_SPLIT = MAX_N * MAX_N * MAX_SEEDS  # in a map split over a Ray cluster (`--address`)
READINGS = 10  # readings over the last stretch


def parse_range(text: str, name: str) -> tuple[float, float]:
    """ "LO:HI" as two numbers; ConfigError in one line otherwise."""
    lo, sep, hi = str(text).partition(":")
    try:
        if not sep:
            raise ValueError
        value = float(lo), float(hi)
    except ValueError:
        raise ConfigError(f"the range of {name} must be LO:HI, e.g. 1e-4:1e-1; got {text!r}") from None
    return value


def axis_values(name: str, lo: float, hi: float, n: int) -> list[float]:
    """n values of setting ``name`` from lo to hi: evenly on a log scale for learning rates and
    R1's γ, linearly for momentum, and the distinct whole numbers for k (fewer if the range is
    narrower than n)."""
    kind, _ = AXES[name]
    if kind == "log":
        return [float(f"{v:.6g}") for v in np.geomspace(lo, hi, n)]
    if kind == "int":
        return sorted({int(round(v)) for v in np.linspace(lo, hi, n)})
    return [float(f"{v:.6g}") for v in np.linspace(lo, hi, n)]


def _check_range(name: str, lo: float, hi: float) -> None:
    kind, _ = AXES[name]
    limit = LIMITS["lr_d" if name == "lr" else name]
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise ConfigError(f"the range of {name} must go from a lower to a higher number; got {lo:g}:{hi:g}")
    if kind == "log" and lo <= 0:
        raise ConfigError(f"the range of {name} is on a log scale: it must be above 0; got {lo:g}:{hi:g}")
    if lo < limit[0] or hi > limit[1]:
        raise ConfigError(f"{name} must stay between {limit[0]:g} and {limit[1]:g}; got {lo:g}:{hi:g}")


@dataclass(frozen=True)
class MapSpec:
    """What a map trains: a preset (with ``sets`` applied to every GAN), two settings over their
    ranges in ``n`` values each, ``seeds`` GANs per cell, for ``steps`` iterations."""

    preset: str = "paper-1d"
    x: str = "lr_d"
    y: str = "lr_g"
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    n: int = 16
    steps: int = 2000
    seeds: int = 1
    sets: tuple[str, ...] = ()  # KEY=VALUE settings every GAN shares, as `ganlab train --set`
    device: str | None = None
    x_values: tuple[float, ...] = field(default=(), compare=False)  # given values instead of a range
    y_values: tuple[float, ...] = field(default=(), compare=False)
    base: Config | None = field(default=None, compare=False)  # the shared setup, instead of the preset's
    max_gans: int = field(default=MAX_GANS, compare=False)  # MAX_GANS_SPLIT for a map split over a cluster

    def __post_init__(self) -> None:
        for axis in (self.x, self.y):
            if axis not in AXES:
                raise ConfigError(f"a map can vary {', '.join(AXES)}; not {axis!r}")
        if self.x == self.y:
            raise ConfigError(f"the two axes must be different settings (both are {self.x})")
        if {self.x, self.y} & {"lr"} and {self.x, self.y} & {"lr_d", "lr_g"}:
            raise ConfigError("lr sets both learning rates: pair it with k, momentum or r1, not lr_d or lr_g")
        if not 2 <= self.n <= MAX_N:
            raise ConfigError(f"n (values per axis) must be between 2 and {MAX_N}; got {self.n}")
        if not 1 <= self.seeds <= MAX_SEEDS:
            raise ConfigError(f"seeds must be between 1 and {MAX_SEEDS}; got {self.seeds}")
        if not 1 <= self.steps <= 10_000_000:
            raise ConfigError(f"steps must be between 1 and 10,000,000; got {self.steps}")
        for axis, span in ((self.x, self.x_range), (self.y, self.y_range)):
            if span is not None:
                _check_range(axis, *span)
        if len(self.cells()) > self.max_gans:
            split = (
                " (give --address to split it over a Ray cluster)" if self.max_gans < MAX_GANS_SPLIT else ""
            )
            raise ConfigError(
                f"{len(self.cells()):,} GANs (cells x seeds) is more than one map holds "
                f"({self.max_gans:,}){split}"
            )
        self.base_config()  # a bad --set, or a setting the batched trainer cannot train: now

    @classmethod
    def from_config(
        cls, cfg: Config, x: str, y: str, xs: Sequence[float], ys: Sequence[float], steps: int, seeds: int = 1
    ) -> MapSpec:
        """A map of ``cfg`` (the dashboard's setup) over the given values of x and y."""
        n = max(2, len(xs), len(ys))
        return cls(
            preset="the dashboard's setup",
            x=x,
            y=y,
            n=min(n, MAX_N),
            steps=steps,
            seeds=seeds,
            x_values=tuple(xs),
            y_values=tuple(ys),
            base=cfg,
        )

    def base_config(self) -> Config:
        """The preset (or ``base``) with ``sets`` and ``device``: what every GAN of the map shares."""
        cfg = self.base if self.base is not None else get_preset(self.preset).config
        for assignment in self.sets:
            cfg = parse_assignment(cfg, assignment)
        if self.device:
            cfg = cfg.replace(device=self.device)
        if cfg.kind == "mnist":
            raise ConfigError(f"maps are for the 1D and 2D presets; {self.preset} trains on MNIST")
        for axis, given in ((self.x, self.x_values), (self.y, self.y_values)):
            if given and len(given) > MAX_N:
                raise ConfigError(f"at most {MAX_N} values of {axis}; got {len(given)}")
        Ensemble.check(cfg)
        return cfg

    def values(self, axis: str) -> list[float]:
        given = self.x_values if axis == self.x else self.y_values
        if given:
            return list(given)
        span = (self.x_range if axis == self.x else self.y_range) or AXES[axis][1]
        return axis_values(axis, span[0], span[1], self.n)

    def cells(self) -> list[dict[str, float]]:
        """Every GAN of the map, row by row (y), then x, then seed: its two settings and seed."""
        base_seed = self.base_config().seed  # the preset's, or --set seed=N's
        return [
            {self.x: vx, self.y: vy, "seed": base_seed + s}
            for vy in self.values(self.y)
            for vx in self.values(self.x)
            for s in range(self.seeds)
        ]

    def configs(self) -> list[Config]:
        base = self.base_config()
        out = []
        for cell in self.cells():
            change = {k: v for k, v in cell.items() if k != "lr"}
            if "lr" in cell:
                change.update(lr_d=cell["lr"], lr_g=cell["lr"])
            if "k" in change:
                change["k"] = int(change["k"])
            out.append(base.replace(**change))
        return out

    def reading_points(self) -> list[int]:
        """The iterations at which the last stretch is read (the last is ``steps``)."""
        start = self.steps - max(1, int(self.steps * LAST_STRETCH))
        return sorted({int(round(v)) for v in np.linspace(start, self.steps, READINGS)} - {0})


class MapRun:
    """A map being trained: ``advance`` it, read it while it goes, and ``result()`` once done."""

    def __init__(self, spec: MapSpec, part: slice | None = None) -> None:
        """The map of ``spec``, or only the GANs ``part`` of its cells (a batch of a map split
        over a cluster: ``rows`` gives theirs, and ``map_json`` joins the batches)."""
        self.spec = spec
        part = part or slice(None)
        self.cells = spec.cells()[part]
        self.ensemble = Ensemble(spec.configs()[part])
        self.points = spec.reading_points()
        self.readings: list[MapReading] = []  # those of the last stretch
        self.latest: MapReading | None = None  # the newest reading, of the stretch or not
        self.seconds = 0.0  # time spent training and reading

    @property
    def iterations(self) -> int:
        return self.ensemble.iterations

    @property
    def done(self) -> bool:
        return self.iterations >= self.spec.steps

    def advance(self, n: int) -> None:
        """Up to n more iterations, stopping at each reading point of the last stretch to read."""
        start = time.perf_counter()
        target = min(self.spec.steps, self.iterations + n)
        while self.iterations < target:
            upcoming = [p for p in self.points if p > self.iterations]
            stop = min([target, *upcoming])
            self.ensemble.advance(stop - self.iterations)
            if self.iterations in self.points:
                self.latest = take_map_reading(self.ensemble)
                self.readings.append(self.latest)
        self.seconds += time.perf_counter() - start

    def read(self) -> MapReading:
        """A reading now (the live map's colours between the readings of the last stretch)."""
        start = time.perf_counter()
        if self.latest is None or self.latest.iteration != self.iterations:
            self.latest = take_map_reading(self.ensemble)
        self.seconds += time.perf_counter() - start
        return self.latest

    def outcomes(self) -> list[str]:
        """Each GAN's outcome from the readings of the last stretch (see measure.outcome)."""
        if not self.done:
            raise RuntimeError("the map has not finished training")
        return self._outcomes

    @cached_property
    def _outcomes(self) -> list[str]:
        last = self.readings[-1]
        series = np.stack([r.jsd for r in self.readings])
        return classify(series, last.diverged, last.modes, last.modes_total)

    def result(self) -> dict[str, Any]:
        """map.json: the axes, the run, the thresholds, and every GAN's cell with its readings."""
        if not self.done:
            raise RuntimeError("the map has not finished training")
        return self._result

    def rows(self) -> list[dict[str, Any]]:
        """map.json's cells of this run's GANs: settings, seed, JSD at the end, its median and
        swing over the last stretch, outcome, where it diverged, and 2D modes."""
        if not self.done:
            raise RuntimeError("the map has not finished training")
        last = self.readings[-1]
        series = np.stack([r.jsd for r in self.readings])
        level, spread = stretch_stats(series)
        cells = []
        for i, (cell, outcome) in enumerate(zip(self.cells, self.outcomes())):
            row = {**cell, "jsd": _number(last.jsd[i]), "jsd_median": _number(level[i])}
            row.update(
                jsd_spread=_number(spread[i]), outcome=outcome, diverged_at=self.ensemble.diverged_at[i]
            )
            if last.modes is not None:
                row.update(modes=int(last.modes[i]), modes_total=last.modes_total)
            cells.append(row)
        return cells

    @cached_property
    def _result(self) -> dict[str, Any]:
        readings_at = [r.iteration for r in self.readings]
        return map_json(self.spec, self.rows(), self.seconds, str(self.ensemble.device), readings_at)


def map_json(
    spec: MapSpec, cells: list[dict[str, Any]], seconds: float, device: str, readings_at: list[int]
) -> dict[str, Any]:
    """map.json: the axes, the run, the thresholds, and every GAN's cell with its readings."""
    return {
        "preset": spec.preset,
        "x": spec.x,
        "y": spec.y,
        "x_values": spec.values(spec.x),
        "y_values": spec.values(spec.y),
        "seeds": spec.seeds,
        "steps": spec.steps,
        "seconds": round(seconds, 2),
        "device": device,
        "config": spec.base_config().to_dict(),  # what every GAN shares (its axes aside)
        "readings_at": readings_at,
        "thresholds": {
            "converged_jsd": CONVERGED_JSD,
            "settled_spread": SETTLED_SPREAD,
            "last_stretch": LAST_STRETCH,
            "outcomes": list(OUTCOMES),
        },
        "cells": cells,
    }


def _number(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None
