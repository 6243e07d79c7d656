"""A stability map too large for one machine: its GANs split into batches, each batch trained by
the batched trainer in one Ray task, and the batches' cells joined into one map.json."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ganlab.runs.maprun import MapRun, MapSpec, map_json
from ganlab.train.ensemble import memory_friendly_malloc

__all__ = ["train_map_batch", "run_map_split"]


def train_map_batch(job: dict[str, Any]) -> dict[str, Any]:
    """One batch of a map (``spec``, and its GANs ``start`` to ``stop``), trained to the end:
    its cells' rows, when it was read, its training time and device."""
    memory_friendly_malloc()  # as `ganlab map` does (see ganlab.train.batched)
    run = MapRun(job["spec"], slice(job["start"], job["stop"]))
    while not run.done:
        run.advance(job["spec"].steps)
    return {
        "rows": run.rows(),
        "readings_at": [r.iteration for r in run.readings],
        "seconds": run.seconds,
        "device": str(run.ensemble.device),
    }


def run_map_split(
    spec: MapSpec, cluster: Any, batch: int, on_batch: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """map.json of ``spec``, its GANs trained ``batch`` at a time as Ray tasks on ``cluster``
    (a ``Cluster``); ``on_batch(done, total)`` as each batch ends. Its "seconds" is the wall
    time of the whole map; "gan_seconds" the batches' training time summed."""
    gans = len(spec.cells())
    bounds = [(start, min(gans, start + batch)) for start in range(0, gans, batch)]
    start_time = time.perf_counter()
    parts: dict[int, dict[str, Any]] = {}

    def make_job(index: int) -> dict[str, Any]:
        lo, hi = bounds[index]
        return {"spec": spec, "start": lo, "stop": hi}

    for index, result, error in cluster.run(train_map_batch, deque(range(len(bounds))), make_job):
        if error is not None:
            raise RuntimeError(f"a batch of the map failed on the cluster: {error}")
        parts[index] = result
        if on_batch is not None:
            on_batch(len(parts), len(bounds))
    rows = [row for index in range(len(bounds)) for row in parts[index]["rows"]]
    result = map_json(
        spec,
        rows,
        time.perf_counter() - start_time,
        parts[0]["device"],
        parts[0]["readings_at"],
    )
    result.update(batches=len(bounds), gan_seconds=round(sum(p["seconds"] for p in parts.values()), 2))
    return result
