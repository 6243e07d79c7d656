"""A run's states over its iterations, for an animation: the states it kept while training
(`ganlab train --keep-every N`), or the run replayed from its seed.

Training is deterministic for a given configuration and device: a replay that trains in
other stretches and takes snapshots on the way ends bitwise where the run ended. The replay
checks that as it goes, against every metrics line (the last minibatch's losses) and at the
end against the saved generator, so a run that was changed while it trained (a resume with
other settings, sliders moved in the dashboard) is refused instead of drawn wrongly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

from ganlab.runs import KEPT_DIR
from ganlab.runs.checkpoint import CheckpointError
from ganlab.runs.load import load_trainer
from ganlab.snapshot import take_snapshot
from ganlab.train import Trainer

__all__ = [
    "ReplayError",
    "frame_iterations",
    "kept_states",
    "kept_frames",
    "load_run",
    "replay_frames",
    "frame_snapshot",
    "walk_frames",
]

KEPT_NAME = re.compile(r"iteration-(\d+)\.pt$")


class ReplayError(ValueError):
    """The run cannot be replayed to the states it went through; the message says why."""


def frame_iterations(last: int, count: int) -> list[int]:
    """``count`` iterations from 0 to ``last``, evenly spaced (fewer when the run is shorter)."""
    if last <= 0:
        return [0]
    count = max(2, min(count, last + 1))
    return sorted({round(i * last / (count - 1)) for i in range(count)})


def kept_states(run: Path) -> list[tuple[int, Path]]:
    """The states a run directory kept (kept/iteration-NNNNNNN.pt), by iteration."""
    found = []
    for path in (run / KEPT_DIR).glob("iteration-*.pt") if run.is_dir() else ():
        match = KEPT_NAME.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def kept_frames(states: Sequence[tuple[int, Path]], count: int, device: str | None = None) -> Iterator[Any]:
    """Snapshots of ``count`` of the kept states, evenly spread over them."""
    if len(states) > count:
        picks = frame_iterations(len(states) - 1, count)
        states = [states[i] for i in picks]
    for _, path in states:
        yield frame_snapshot(load_trainer(path, device))


def frame_snapshot(trainer: Trainer) -> Any:
    """A snapshot with what a frame shows: no p_g or D* grids (2D), and for MNIST no D
    histograms or judge (a third of the work; its caption does without a metric)."""
    return take_snapshot(trainer, metrics=trainer.cfg.kind != "mnist", densities=False)


def _same(a: float, b: Any) -> bool:
    return isinstance(b, (int, float)) and float(a) == float(b)


def replay_frames(
    final: Trainer,
    history: Sequence[dict[str, Any]],
    iterations: Sequence[int],
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[Any]:
    """Train ``final``'s configuration again from its seed and yield a snapshot at each of
    ``iterations``; ReplayError as soon as the replay leaves the run (``history``: its
    metrics lines) or when it does not end on ``final``'s generator."""
    trainer = Trainer(final.cfg)
    checks = {int(row["g_updates"]): row for row in history if "g_updates" in row and "loss_d" in row}
    last = final.g_updates
    wanted = set(iterations)
    for stop in sorted(wanted | {g for g in checks if g <= last} | {last}):
        if stop > trainer.g_updates:
            trainer.advance(stop - trainer.g_updates)
            if trainer.diverged:
                raise ReplayError(f"the replay diverged at G update {trainer.g_updates}: {trainer.diverged}")
        row = checks.get(stop)
        if row is not None and not (
            _same(trainer.loss_d, row["loss_d"]) and _same(trainer.loss_g, row["loss_g"])
        ):
            raise ReplayError(
                f"replaying the run from its seed leaves it at iteration {stop} (its losses differ): "
                "it was changed while it trained, or on another device"
            )
        if stop in wanted:
            yield frame_snapshot(trainer)
        if on_progress is not None:
            on_progress(stop)
    ends = final.G.state_dict()
    if any(not torch.equal(v.cpu(), ends[k].cpu()) for k, v in trainer.G.state_dict().items()):
        raise ReplayError("the replay does not end on the run's saved generator")


def walk_frames(trainer: Trainer, count: int, anchors: int = 4, grid: int = 64) -> Iterator[Any]:
    """A loop through z space for a model with nothing to replay (a shipped trained model): each
    of ``grid`` images walks in straight lines through ``anchors`` noise vectors and back to its
    first, so the animation loops without a jump; ``count`` frames, each with ``.fixed`` images
    (grid, 28, 28) as an MNIST frame has."""
    rng = torch.Generator(device=trainer.device).manual_seed(trainer.cfg.seed + 7)
    ends = torch.stack([trainer.noise(grid, rng) for _ in range(anchors)])  # (anchors, grid, latent)
    with trainer.evaluating(), torch.no_grad():
        for i in range(count):
            t = anchors * i / count
            a = int(t)
            w = t - a
            z = (1 - w) * ends[a] + w * ends[(a + 1) % anchors]  # stays in p_z's box for uniform noise
            images = trainer.G_eval(z).float().cpu().numpy().reshape(grid, 28, 28)
            yield SimpleNamespace(fixed=images, g_updates=trainer.g_updates, step=i)


def load_run(run: Path, device: str | None = None) -> tuple[Trainer, list[dict[str, Any]]]:
    """A run (directory or .zip) as its final trainer and its metrics lines; CheckpointError."""
    from ganlab.runs.rundir import RunDirectory
    from ganlab.runs.runzip import RunZipError, import_run
    from ganlab.runs.trained import PREFIX

    if str(run).startswith(PREFIX):  # a shipped trained model: its last state, no history
        return load_trainer(run, device), []
    if run.suffix == ".zip" and run.is_file():
        try:
            imported = import_run(run.read_bytes(), str(run), device=device)
        except RunZipError as exc:
            raise CheckpointError(str(exc)) from None
        return imported.trainer, list(imported.history)
    if not run.is_dir():
        raise CheckpointError(f"{run} is not a run directory or a run's .zip")
    history = []
    for line in RunDirectory.open(run).lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            history.append(row)
    return load_trainer(run, device), history
