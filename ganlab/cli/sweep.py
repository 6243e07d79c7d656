"""`ganlab sweep`: a preset over a grid of settings and seeds on Ray, each trial a run directory;
and `ganlab sweep --report S`: its table, sorted, and a plot of its metric against each setting."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

from ganlab.cli.common import UsageError, make_dir, out_dir, progress

__all__ = ["cmd_sweep"]


def _spec(args: argparse.Namespace):
    """The SweepSpec of the command line (no Ray, no torch: bad input answers at once)."""
    from ganlab.config import ConfigError
    from ganlab.sweep.grid import MAX_TRIALS, SweepSpec, parse_grid

    try:
        spec = SweepSpec(
            preset=args.preset,
            grid=tuple(parse_grid(g) for g in args.grid or ()),
            sets=tuple(args.set or ()),
            seeds=args.seeds,
            steps=args.steps or 0,
            device=args.device,
            parzen=args.parzen,
            log_every=args.log_every,
            save_every=args.save_every,
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if spec.size > MAX_TRIALS and not args.yes:
        raise UsageError(
            f"this grid makes {spec.size:,} trials (more than {MAX_TRIALS:,}): add --yes if you mean it"
        )
    return spec


def _report(path: Path, spec, rows, quiet: bool = False) -> None:
    """Print the table sorted by the main metric, and write report.png beside it."""
    from ganlab.figures.sweep import render_sweep
    from ganlab.files import atomic_write
    from ganlab.sweep.results import table
    from ganlab.sweep.trial import main_metric

    metric = main_metric(spec.base_config().kind)
    settings = [name for name, _ in spec.grid] + (["seed"] if spec.seeds > 1 else [])
    title = f"{spec.preset}: {len(rows)} trials, {spec.total_steps:,} iterations each"
    atomic_write(path / "report.png", render_sweep(rows, settings, metric, title))
    print(table(rows, metric, settings))
    if not quiet:
        sys.stderr.write(f"wrote {path}/report.png\n")


def _report_only(args: argparse.Namespace) -> int:
    from ganlab.config import ConfigError
    from ganlab.sweep.results import read_results
    from ganlab.sweep.run import SweepFolder

    path = Path(args.report)
    try:
        spec = SweepFolder.stored_spec(path) if path.is_dir() else None
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    rows = read_results(path)
    if spec is None or not rows:
        raise UsageError(f"--report {path}: not a sweep's folder (no sweep.json and results.json there)")
    _report(path, spec, rows)
    return 0


def _counts(states) -> Counter[str]:
    return Counter(state.status for state in states.values())


def cmd_sweep(args: argparse.Namespace) -> int:
    """`ganlab sweep`: train every trial of the grid as Ray tasks, writing S/<trial>/ and the table."""
    if args.report:
        given = [flag for flag in ("grid", "set", "out") if getattr(args, flag)]
        if given:
            raise UsageError(f"--report reads a finished sweep: drop --{given[0]}")
        return _report_only(args)
    if not args.out:
        raise UsageError("--out is required: the folder for the trials' run directories and results")
    spec = _spec(args)
    out = out_dir(args.out)

    from ganlab.config import ConfigError
    from ganlab.sweep.cluster import Cluster
    from ganlab.sweep.run import SweepFolder

    folder = SweepFolder(out, spec)
    try:
        folder.check()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    address = args.address or os.environ.get("RAY_ADDRESS") or None
    start = time.perf_counter()
    try:
        cluster = Cluster(address, args.workers)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    try:
        make_dir(out)
        with folder.lock():
            return _sweep(args, spec, folder, cluster, start)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    finally:
        cluster.close()


def _sweep(args: argparse.Namespace, spec, folder, cluster, start: float) -> int:
    from ganlab.sweep.run import SweepInterrupted, run_sweep

    out = folder.path
    total = spec.size
    kept = sum(folder.finished(s) for s in folder.states(spec.trials()).values())
    sys.stderr.write(
        f"{total} trials of {spec.preset}, {spec.total_steps:,} iterations each, on {cluster.where}, "
        f"{cluster.workers} at a time (Ray ready in {time.perf_counter() - start:.1f} s)"
        + (f"; {kept} finished before, kept as they are" if kept else "")
        + "\n"
    )

    def on_change(states) -> None:
        counts = _counts(states)
        ended = sum(counts.get(s, 0) for s in ("done", "diverged", "failed"))
        notes = ", ".join(f"{counts[s]} {s}" for s in ("diverged", "failed") if counts.get(s))
        progress(f"{ended}/{total} trials finished{f' ({notes})' if notes else ''}", ended / total)

    def terminate(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, terminate)
    try:
        states = run_sweep(spec, folder, cluster, on_change, args.gpus_per_trial)
    except SweepInterrupted:
        rows = [s.row() for s in folder.states(spec.trials()).values()]
        ended = sum(r["status"] in ("done", "diverged") for r in rows)
        sys.stderr.write(
            f"\nganlab: interrupted: {ended} of {total} trials finished and kept in {out}; "
            "run the same command again to go on\n"
        )
        return 130
    finally:
        signal.signal(signal.SIGTERM, old)
    counts = _counts(states)
    sys.stderr.write(
        f"\nwrote {out}: {total} trials in {time.perf_counter() - start:.1f} s ("
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + "); results.json, results.csv, report.png\n"
    )
    _report(out, spec, [s.row() for s in states.values()], quiet=True)
    if counts.get("failed"):
        sys.stderr.write(
            f"ganlab: {counts['failed']} trials failed (their error is in the table); "
            "run the same command again to try them again\n"
        )
        return 1
    return 0
