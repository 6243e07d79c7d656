"""A whole run as one zip: the files of a run directory plus the metrics as CSV and the figures.

Layout (unzipped, it is a run directory that every ``--run`` option reads)::

    config.json      the settings (Config), as `ganlab train` writes it
    checkpoint.pt    G, D, optimisers, counters, RNG: tensors and plain values only
    metrics.jsonl    one JSON object per logged point (G updates, losses, metrics)
    metrics.csv      the same table for spreadsheets
    figures/...      the views as they were: PNG pictures and Plotly JSON

Export takes the figures as bytes (ganlab.figures.run draws them). Import trusts nothing:
sizes are checked before anything is inflated, the checkpoint is read with
``weights_only=True``, and every failure is a RunZipError with a one-line message.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ganlab.config import Config, ConfigError
from ganlab.runs.checkpoint import CheckpointError, checkpoint_bytes, parse_checkpoint, trainer_from_state
from ganlab.train import Trainer

__all__ = ["RunZipError", "ImportedRun", "export_run", "import_run", "metrics_csv"]

MAX_MEMBERS = 256
MAX_CHECKPOINT_BYTES = 1 << 30  # the paper's MNIST networks with optimiser state: ~70 MB
MAX_TEXT_BYTES = 64 << 20  # config.json, metrics.jsonl
MAX_METRIC_ROWS = 1_000_000
MAX_LIST = 100  # a metric that is a list (MNIST's digit shares: 10 numbers)


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class RunZipError(ValueError):
    """A zip that is not a readable ganlab run; the message says why in one line."""


@dataclass
class ImportedRun:
    trainer: Trainer
    history: list[dict[str, float]]


def metrics_csv(history: Sequence[Mapping[str, Any]]) -> str:
    """The metric rows as CSV: one column per key that any row has, in first-seen order."""
    columns: dict[str, None] = {}
    for row in history:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return out.getvalue()


def export_run(trainer: Trainer, history: Sequence[Mapping[str, Any]], figures: Mapping[str, bytes]) -> bytes:
    """The zip's bytes: config, checkpoint, metrics (JSON lines and CSV), ``figures`` by file name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", json.dumps(trainer.cfg.to_dict(), indent=2) + "\n")
        zf.writestr("checkpoint.pt", checkpoint_bytes(trainer))
        zf.writestr("metrics.jsonl", "".join(json.dumps(dict(row)) + "\n" for row in history))
        zf.writestr("metrics.csv", metrics_csv(history))
        for name, data in figures.items():
            zf.writestr(f"figures/{name}", data)
    return buf.getvalue()


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, name: str) -> bytes:
    """A member's bytes, refusing more than ``limit`` whatever its header claims."""
    if info.file_size > limit:
        size = f"{info.file_size:,} bytes unpacked"
        raise RunZipError(f"{name}: {info.filename} is {size}; the limit is {limit:,}")
    try:
        with zf.open(info) as f:
            data = f.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError) as exc:
        why = str(exc)[:120] or type(exc).__name__
        raise RunZipError(f"{name}: cannot unpack {info.filename} ({why})") from None
    if len(data) > limit:
        raise RunZipError(f"{name}: {info.filename} unpacks to more than {limit:,} bytes")
    return data


def _members(zf: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    """The run's files by their name within the run (a zip of the run's folder has a prefix)."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > MAX_MEMBERS:
        raise RunZipError(f"{name} holds {len(infos)} files; a ganlab run has far fewer")
    roots = [i.filename[: -len("checkpoint.pt")] for i in infos if i.filename.endswith("checkpoint.pt")]
    roots = [r for r in roots if r == "" or r.endswith("/")]
    if len(roots) != 1:
        what = "no checkpoint.pt" if not roots else "more than one checkpoint.pt"
        raise RunZipError(f"{name} is not a ganlab run: it holds {what}")
    root = roots[0]
    return {i.filename[len(root) :]: i for i in infos if i.filename.startswith(root)}


def _history(text: bytes, name: str) -> list[dict[str, float | list[float]]]:
    rows = []
    for n, line in enumerate(text.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise RunZipError(f"{name}: metrics.jsonl line {n} is not JSON") from None
        ok = isinstance(row, dict) and all(
            _number(v) or (isinstance(v, list) and len(v) <= MAX_LIST and all(map(_number, v)))
            for v in row.values()
        )
        if not ok:
            raise RunZipError(
                f"{name}: metrics.jsonl line {n} is not an object of numbers (or short lists of them)"
            )
        rows.append(row)
        if len(rows) > MAX_METRIC_ROWS:
            raise RunZipError(f"{name}: metrics.jsonl has more than {MAX_METRIC_ROWS:,} lines")
    return rows


def _check_config(text: bytes, cfg: Config, name: str) -> None:
    """config.json, when present, must be the checkpoint's own settings (no silent mismatch)."""
    try:
        given = Config.from_dict(json.loads(text))
    except (ValueError, ConfigError) as exc:
        raise RunZipError(f"{name}: config.json is not a valid ganlab config ({str(exc)[:160]})") from None
    differ = [k for k, v in given.to_dict().items() if k != "device" and v != getattr(cfg, k)]
    if differ:
        raise RunZipError(
            f"{name}: config.json and checkpoint.pt disagree on {', '.join(differ)}; "
            "the checkpoint's settings are those its weights were trained with"
        )


def import_run(data: bytes, name: str = "the zip", device: str | None = None) -> ImportedRun:
    """A trainer restored from an exported run, with its metric rows; RunZipError if unreadable."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise RunZipError(f"{name} is not a zip file") from None
    with zf:
        members = _members(zf, name)
        state_bytes = _read(zf, members["checkpoint.pt"], MAX_CHECKPOINT_BYTES, name)
        try:
            state = parse_checkpoint(state_bytes, f"{name}: checkpoint.pt")
            trainer = trainer_from_state(state, name, device)
        except CheckpointError as exc:
            raise RunZipError(str(exc)) from None
        if "config.json" in members:
            _check_config(_read(zf, members["config.json"], MAX_TEXT_BYTES, name), trainer.cfg, name)
        history = []
        if "metrics.jsonl" in members:
            history = _history(_read(zf, members["metrics.jsonl"], MAX_TEXT_BYTES, name), name)
    return ImportedRun(trainer, history)
