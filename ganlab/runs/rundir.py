"""A run directory, as `ganlab train` writes it: config.json, metrics.jsonl (one JSON object
per logged iteration), checkpoint.pt, and with --keep-every the states kept in kept/; and the
loop that trains a run into one, logging, keeping and saving as it goes."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ganlab.files import atomic_write, write_json
from ganlab.runs import KEPT_DIR
from ganlab.runs.checkpoint import save_checkpoint
from ganlab.snapshot import take_snapshot
from ganlab.train import Trainer

__all__ = ["RunDirectory", "train_run", "SAVE_EVERY_S"]

SAVE_EVERY_S = 60.0  # a training run rewrites its directory at least this often


@dataclass
class RunDirectory:
    """The files of one run in ``path``; ``lines`` are its metrics.jsonl lines so far."""

    path: Path
    lines: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path) -> RunDirectory:
        """An existing run directory, with the metrics lines it holds."""
        metrics = path / "metrics.jsonl"
        lines = metrics.read_text(errors="replace").splitlines() if metrics.is_file() else []
        return cls(path, [line for line in lines if line.strip()])

    def elapsed(self) -> float:
        """The elapsed_s of the last metrics line (0 if there is none or it is unreadable): a
        resumed run's clock goes on from there."""
        try:
            value = float(json.loads(self.lines[-1])["elapsed_s"])
        except (IndexError, ValueError, KeyError, TypeError):
            return 0.0
        return value if math.isfinite(value) else 0.0

    def save(self, trainer: Trainer) -> None:
        """config.json, metrics.jsonl and checkpoint.pt, each written whole."""
        write_json(self.path / "config.json", trainer.cfg.to_dict())
        atomic_write(
            self.path / "metrics.jsonl", ("\n".join(self.lines) + "\n").encode() if self.lines else b""
        )
        save_checkpoint(trainer, self.path / "checkpoint.pt")

    def keep(self, trainer: Trainer) -> None:
        """The trainer's state as kept/iteration-NNNNNNN.pt (for `ganlab average`)."""
        save_checkpoint(trainer, self.path / KEPT_DIR / f"iteration-{trainer.g_updates:07d}.pt")


def train_run(
    trainer: Trainer,
    run: RunDirectory,
    steps: int,
    log_every: int,
    keep_every: int | None = None,
    on_log: Callable[[dict], None] | None = None,
    seconds: float | None = None,
) -> bool:
    """Train ``trainer`` until ``steps`` iterations, writing ``run`` as it goes: a metrics line
    every ``log_every`` iterations and at the end (``on_log`` sees each), a kept state every
    ``keep_every``, and the whole run at least every SAVE_EVERY_S. With ``seconds``, stop at the
    first metrics line after that long (a sweep trains its trials in such stretches).

    Returns False when training diverged (the state before the diverging call is kept:
    ``trainer.diverged`` says why), True otherwise (at ``steps``, or out of time); a
    KeyboardInterrupt goes on up. Either way the caller saves the run at the end
    (``run.save``), once it has put back any signal handlers it set for the loop.
    """
    log_every, keep = min(log_every, steps), keep_every or steps + 1
    offset, start = run.elapsed(), time.perf_counter()
    saved = start
    while trainer.g_updates < steps:
        g = trainer.g_updates  # calls end at multiples of log_every and of keep, and at steps
        if not trainer.advance(min(log_every - g % log_every, keep - g % keep, steps - g)):
            break
        if trainer.g_updates % keep == 0:
            run.keep(trainer)
        if trainer.g_updates % log_every == 0 or trainer.g_updates == steps:
            record = {
                "d_updates": trainer.d_updates,
                "g_updates": trainer.g_updates,
                **take_snapshot(trainer).metrics,
                "elapsed_s": round(offset + time.perf_counter() - start, 3),
            }
            run.lines.append(json.dumps(record))
            if on_log is not None:
                on_log(record)
            if seconds is not None and time.perf_counter() - start >= seconds:
                return True
        if time.perf_counter() - saved > SAVE_EVERY_S:  # a long run keeps a recent state on disk
            run.save(trainer)
            saved = time.perf_counter()
    return trainer.diverged is None
