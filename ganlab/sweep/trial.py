"""One stretch of one trial, as a Ray task runs it on whichever machine it lands on.

A trial's run directory lives with the sweep, on the machine that started it; a task gets the
directory's files (none for a fresh trial), trains for at most ``seconds``, and gives the
files back with where it got to. So a trial on a cluster's far node needs no shared disk,
and a stopped sweep loses at most one stretch of each running trial. Nothing here imports
Ray: the same function runs in-process in tests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

__all__ = ["train_stretch", "RUN_FILES", "MNIST_JUDGED", "main_metric", "one_line"]

RUN_FILES = ("config.json", "metrics.jsonl", "checkpoint.pt")  # what `ganlab train` writes
MNIST_JUDGED = 10_000  # samples the judge sees at the end of an MNIST trial


def main_metric(kind: str) -> str:
    """The number a sweep sorts by (lower is better): JSD to p_data for toy data, the judge's
    Fréchet distance to the test set for MNIST."""
    return "frechet" if kind == "mnist" else "jsd"


def one_line(exc: BaseException) -> str:
    """An error as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _final_metrics(trainer: Any, parzen: bool) -> dict[str, Any]:
    """The trial's numbers at its end: the snapshot's scalars for toy data; for MNIST the judge's
    digit shares, KL to uniform, confidence and Fréchet distance of 10,000 samples (and
    Table 1's Parzen window when asked)."""
    from ganlab.snapshot import take_snapshot

    if trainer.cfg.kind != "mnist":
        metrics = take_snapshot(trainer).metrics
        return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
    from ganlab.measure.judge import judge_samples, load_judge

    samples = trainer.sample(MNIST_JUDGED, 0).double().cpu().numpy()
    judged = judge_samples(load_judge(), samples)
    out: dict[str, Any] = {f"digit_share_{d}": float(v) for d, v in enumerate(judged["class_share"])}
    out.update(
        digit_kl=float(judged["kl_to_uniform"]),
        digit_confidence=float(judged["mean_confidence"]),
        frechet=float(judged["frechet"]),
    )
    if parzen:
        from ganlab.measure.parzen import parzen_mnist

        result = parzen_mnist(samples)
        out.update(parzen_nats=float(result.mean), parzen_stderr=float(result.stderr))
    return out


def train_stretch(job: dict[str, Any]) -> dict[str, Any]:
    """Train one trial for one stretch.

    ``job``: ``config`` (Config.to_dict()), ``steps`` (the trial's total), ``log_every``,
    ``seconds`` (the stretch's budget), ``parzen``, and ``files`` (the run directory's files
    by name; empty for a fresh trial). Returns ``files`` (the directory after the stretch),
    ``status`` ("running": more to do; "done"; "diverged"; "failed"), ``iterations``,
    ``elapsed_s`` (the run's training time so far), ``error`` (one line, or None),
    ``metrics`` (at the end, else empty) and ``device``. Never raises: an error is the
    trial's, and the sweep goes on.
    """
    try:
        return _train_stretch(job)
    except Exception as exc:  # noqa: BLE001  (any error ends this trial only, recorded in one line)
        return {
            "files": job.get("files") or {},
            "status": "failed",
            "iterations": 0,
            "elapsed_s": 0.0,
            "error": one_line(exc),
            "metrics": {},
            "device": "",
        }


def _train_stretch(job: dict[str, Any]) -> dict[str, Any]:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one core a trial: the sweep runs as many trials at once as cores
    try:
        return _train_in(job)
    finally:
        torch.set_num_threads(threads)


def _train_in(job: dict[str, Any]) -> dict[str, Any]:
    from ganlab.config import Config
    from ganlab.runs.load import load_trainer
    from ganlab.runs.rundir import RunDirectory, train_run
    from ganlab.train import Trainer

    with tempfile.TemporaryDirectory(prefix="ganlab-trial-") as tmp:
        path = Path(tmp)
        files = job.get("files") or {}
        for name, data in files.items():
            (path / name).write_bytes(data)
        if "checkpoint.pt" in files:
            trainer = load_trainer(path)
            run = RunDirectory.open(path)
        else:
            trainer = Trainer(Config.from_dict(job["config"]))
            run = RunDirectory(path)
        steps = int(job["steps"])
        ok = True
        if trainer.g_updates < steps:
            ok = train_run(trainer, run, steps, int(job["log_every"]), seconds=float(job["seconds"]))
        status = "diverged" if not ok else "done" if trainer.g_updates >= steps else "running"
        metrics = _final_metrics(trainer, bool(job.get("parzen"))) if status != "running" else {}
        run.save(trainer)
        out = {name: (path / name).read_bytes() for name in RUN_FILES if (path / name).exists()}
    return {
        "files": out,
        "status": status,
        "iterations": trainer.g_updates,
        "elapsed_s": run.elapsed(),
        "error": trainer.diverged if status == "diverged" else None,
        "metrics": metrics,
        "device": str(trainer.device),
    }
