"""A sweep's table: one row per trial (its settings, status, run length, speed and final
numbers), written as results.json and results.csv, and printed sorted by the main metric."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from ganlab.files import atomic_write, write_json

__all__ = ["STATUSES", "FINISHED", "row_of", "write_results", "read_results", "sort_rows", "table"]

# done, diverged and failed are a trial's ends; stopped: started and not finished (it resumes
# from its checkpoint); pending: not started; running: in a task right now.
STATUSES = ("done", "diverged", "failed", "running", "stopped", "pending")
FINISHED = ("done", "diverged")  # not trained again when the sweep runs again (failed ones are)


def row_of(
    name: str,
    settings: dict[str, Any],
    status: str,
    iterations: int = 0,
    elapsed_s: float = 0.0,
    metrics: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """One trial's row: name, settings, status, iterations, training time, iterations a second,
    its final numbers, and the one-line error of a trial that diverged or failed."""
    speed = iterations / elapsed_s if elapsed_s > 0 else None
    return {
        "trial": name,
        **settings,
        "status": status,
        "iterations": int(iterations),
        "wall_s": round(float(elapsed_s), 3),
        "its_per_s": round(speed, 1) if speed is not None else None,
        **{k: _finite(v) for k, v in (metrics or {}).items()},
        "error": error,
    }


def _finite(value: Any) -> Any:
    """A number for JSON: None in place of NaN or infinity."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    # the fixed columns and the settings first (as rows hold them), the error last
    return [c for c in columns if c != "error"] + ["error"]


def write_results(out: Path, rows: list[dict[str, Any]]) -> None:
    """results.json (a list of the rows) and results.csv (a column per key), each written whole."""
    write_json(out / "results.json", rows)
    columns = _columns(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    atomic_write(out / "results.csv", buf.getvalue().encode())


def read_results(out: Path) -> list[dict[str, Any]]:
    """The rows of results.json (none when there is no such file or it is not a list of rows)."""
    try:
        rows = json.loads((out / "results.json").read_text())
    except (OSError, ValueError):
        return []
    return [r for r in rows if isinstance(r, dict) and "trial" in r] if isinstance(rows, list) else []


def sort_rows(rows: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Finished trials by ``metric``, lowest first; then the diverged, failed and unfinished."""

    def key(row: dict[str, Any]) -> tuple[int, float]:
        value = row.get(metric)
        ok = row["status"] == "done" and isinstance(value, (int, float)) and math.isfinite(value)
        return (0 if ok else 1 + STATUSES.index(row["status"]), value if ok else math.inf)

    return sorted(rows, key=key)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(rows: list[dict[str, Any]], metric: str, settings: list[str]) -> str:
    """The rows as a text table, sorted by ``metric`` (see sort_rows)."""
    extra = [c for c in ("modes_covered",) if any(c in r for r in rows)]
    columns = [*settings, "status", metric, *extra, "iterations", "wall_s", "its_per_s"]
    body = [[_cell(row.get(c)) for c in columns] for row in sort_rows(rows, metric)]
    widths = [max(len(c), *(len(line[i]) for line in body)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(line, widths)) for line in body]
    errors = [f"{r['trial']}: {r['error']}" for r in rows if r.get("error")]
    return "\n".join(lines + (["", *errors] if errors else []))
