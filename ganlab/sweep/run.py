"""Running a sweep: its folder (sweep.json, a run directory per trial, the results table), what
each trial has done so far, and the loop that hands the trials' stretches to Ray.

Running the same sweep again goes on where it stopped: finished trials (done or diverged)
are kept as they are, stopped ones resume from their checkpoints, failed ones are tried again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlab.config import ConfigError
from ganlab.files import atomic_write, write_json
from ganlab.sweep.grid import SweepSpec, Trial
from ganlab.sweep.results import read_results, row_of, write_results
from ganlab.sweep.trial import RUN_FILES, train_stretch

__all__ = ["SPEC_JSON", "SweepFolder", "SweepInterrupted", "TrialState", "run_sweep"]

SPEC_JSON = "sweep.json"
LOCK = ".lock"  # held by the one `ganlab sweep` running in a folder


class SweepInterrupted(Exception):
    """Ctrl-C (or SIGTERM) during a sweep: the finished trials and the stopped ones' last
    stretches are on disk."""


@dataclass
class TrialState:
    """Where one trial has got to."""

    trial: Trial
    status: str = "pending"
    iterations: int = 0
    elapsed_s: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def row(self) -> dict[str, Any]:
        t = self.trial
        return row_of(
            t.name, t.settings, self.status, self.iterations, self.elapsed_s, self.metrics, self.error
        )


class SweepFolder:
    """The --out of a sweep: sweep.json (what it trains), one run directory per trial, and
    results.json / results.csv."""

    def __init__(self, path: Path, spec: SweepSpec) -> None:
        self.path, self.spec = path, spec

    @staticmethod
    def stored_spec(path: Path) -> SweepSpec | None:
        """The spec in ``path``/sweep.json; None when there is none; ConfigError when unreadable."""
        file = path / SPEC_JSON
        if not file.is_file():
            return None
        try:
            return SweepSpec.from_dict(json.loads(file.read_text()))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{file} is not a sweep's sweep.json ({exc})") from None

    def check(self) -> None:
        """ConfigError when --out holds anything but this same sweep (a longer --steps is fine)."""
        stored = self.stored_spec(self.path)
        if stored is None:
            if self.path.is_dir() and any(p.name != LOCK for p in self.path.iterdir()):
                raise ConfigError(
                    f"--out {self.path} already holds files that are not a sweep; name a new directory"
                )
            return
        if not stored.same_trials(self.spec):
            raise ConfigError(
                f"--out {self.path} holds another sweep ({_describe(stored)}); run that sweep's own "
                "command to go on with it, or name a new directory"
            )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for this process; ConfigError when another sweep runs in it."""
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            yield
            return
        with (self.path / LOCK).open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                raise ConfigError(
                    f"--out {self.path}: another ganlab sweep (pid {holder}) is running there; "
                    "wait for it, or stop it with Ctrl-C"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield

    def files(self, trial: Trial) -> dict[str, bytes]:
        """The trial's run directory's files (none unless it has a checkpoint)."""
        folder = self.path / trial.name
        if not (folder / "checkpoint.pt").is_file():
            return {}
        return {name: (folder / name).read_bytes() for name in RUN_FILES if (folder / name).is_file()}

    def save_files(self, trial: Trial, files: dict[str, bytes]) -> None:
        folder = self.path / trial.name
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "metrics.jsonl", "checkpoint.pt"):  # the checkpoint last
            if name in files:
                atomic_write(folder / name, files[name])

    def states(self, trials: list[Trial]) -> dict[str, TrialState]:
        """Each trial's state from results.json and its run directory."""
        rows = {row["trial"]: row for row in read_results(self.path)}
        out = {}
        for trial in trials:
            state = TrialState(trial)
            row = rows.get(trial.name)
            if row is not None:
                state.iterations = int(row.get("iterations") or 0)
                state.elapsed_s = float(row.get("wall_s") or 0.0)
                state.status = row.get("status", "pending")
                state.error = row.get("error")
                skip = {"trial", "status", "iterations", "wall_s", "its_per_s", "error", *trial.settings}
                state.metrics = {k: v for k, v in row.items() if k not in skip}
            if not self.finished(state):
                has_run = (self.path / trial.name / "checkpoint.pt").is_file()
                state.status, state.metrics, state.error = ("stopped" if has_run else "pending"), {}, None
            out[trial.name] = state
        return out

    def finished(self, state: TrialState) -> bool:
        """Done (at this sweep's length) or diverged: not trained again."""
        if state.status == "diverged":
            return True
        return state.status == "done" and state.iterations >= self.spec.total_steps

    def write(self, states: dict[str, TrialState]) -> None:
        write_results(self.path, [s.row() for s in states.values()])


def _describe(spec: SweepSpec) -> str:
    grid = " ".join(f"--grid {name}={','.join(values)}" for name, values in spec.grid)
    seeds = f" --seeds {spec.seeds}" if spec.seeds > 1 else ""
    return f"--preset {spec.preset} {grid}{seeds}".strip()


def run_sweep(
    spec: SweepSpec,
    folder: SweepFolder,
    cluster: Any,
    on_change: Callable[[dict[str, TrialState]], None] | None = None,
    gpus: float = 0.0,
) -> dict[str, TrialState]:
    """Train every unfinished trial of ``spec`` on ``cluster`` (a ``Cluster``), a stretch at a
    time, writing each trial's run directory and the results table as stretches end.
    SweepInterrupted on Ctrl-C, once the table says where everything got to."""
    trials = spec.trials()
    by_name = {t.name: t for t in trials}
    states = folder.states(trials)
    folder.path.mkdir(parents=True, exist_ok=True)
    write_json(folder.path / SPEC_JSON, spec.to_dict())
    folder.write(states)
    todo = deque(name for name, s in states.items() if not folder.finished(s))

    def make_job(name: str) -> dict[str, Any]:
        trial = by_name[name]
        states[name].status = "running"
        return {
            "config": trial.config.to_dict(),
            "steps": spec.total_steps,
            "log_every": spec.log_every,
            "seconds": spec.save_every,
            "parzen": spec.parzen,
            "files": folder.files(trial),
        }

    try:
        for name, result, error in cluster.run(train_stretch, todo, make_job, gpus):
            state = states[name]
            if error is not None:  # the worker itself failed (killed, out of memory)
                state.status, state.error = "failed", error
            else:
                if result["files"]:
                    folder.save_files(state.trial, result["files"])
                state.status, state.error = result["status"], result["error"]
                state.iterations = result["iterations"] or state.iterations
                state.elapsed_s = result["elapsed_s"] or state.elapsed_s
                state.metrics = result["metrics"]
                if state.status == "running":
                    todo.appendleft(name)  # on with it before starting others: trials finish early
            folder.write(states)
            if on_change is not None:
                on_change(states)
    except KeyboardInterrupt:
        for state in states.values():
            if state.status == "running":
                has_run = (folder.path / state.trial.name / "checkpoint.pt").is_file()
                state.status = "stopped" if has_run else "pending"
        folder.write(states)
        raise SweepInterrupted from None
    return states
