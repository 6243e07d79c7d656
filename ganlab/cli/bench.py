"""`ganlab bench`: the trainer against a textbook loop, and a dashboard frame's cost."""

from __future__ import annotations

import argparse
import json

from ganlab.cli.common import UsageError, progress
from ganlab.presets import BENCH_PRESETS

__all__ = ["cmd_bench"]


def cmd_bench(args: argparse.Namespace) -> int:
    from ganlab.bench import format_table, run_bench
    from ganlab.data.mnist import MnistError

    try:
        report = run_bench(
            device=args.device or "auto",
            seconds=args.seconds,
            progress=None if args.json else progress,
            presets=args.preset or BENCH_PRESETS,
            ensemble=args.ensemble,
        )
    except (RuntimeError, MnistError) as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(report) if args.json else format_table(report))
    return 0
