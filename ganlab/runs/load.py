"""Any saved run back as a trainer: a run directory, a run exported as a .zip, or a kept .pt."""

from __future__ import annotations

from pathlib import Path

from ganlab.runs.checkpoint import CheckpointError, load_checkpoint, trainer_from_state
from ganlab.runs.runzip import RunZipError, import_run
from ganlab.runs.trained import PREFIX, is_trained, load_trained, trainer_from_trained
from ganlab.train import Trainer

__all__ = ["load_trainer"]


def load_trainer(run_dir: Path, device: str | None = None) -> Trainer:
    """A Trainer restored from ``run_dir/checkpoint.pt``, a run exported as a .zip, a
    checkpoint file (.pt: a state `ganlab train --keep-every` kept), or a shipped trained model
    (``trained:NAME``, or its file); CheckpointError if bad."""
    if str(run_dir).startswith(PREFIX):
        return load_trained(str(run_dir)[len(PREFIX) :], device)
    if run_dir.suffix == ".pt" and run_dir.is_file():
        state = load_checkpoint(run_dir)
        if is_trained(state):
            return trainer_from_trained(state, str(run_dir), device)
        return trainer_from_state(state, str(run_dir), device)
    if run_dir.suffix == ".zip" and run_dir.is_file():
        try:
            return import_run(run_dir.read_bytes(), str(run_dir), device=device).trainer
        except RunZipError as exc:
            raise CheckpointError(str(exc)) from None
    path = run_dir / "checkpoint.pt"
    return trainer_from_state(load_checkpoint(path), str(path), device)
