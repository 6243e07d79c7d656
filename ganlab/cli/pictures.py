"""`ganlab figures`, `ganlab plot` and `ganlab figure1`: pictures of runs, and the paper's figures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ganlab.cli.common import UsageError, out_dir, progress, run_path

__all__ = ["cmd_figures", "cmd_plot", "cmd_figure1", "cmd_animate"]


def cmd_figures(args: argparse.Namespace) -> int:
    """`ganlab figures`: the paper's Figures 2 and 3 from an MNIST run, as PNG files."""
    from ganlab.data.mnist import MnistError
    from ganlab.figures.digits import figure2, figure3
    from ganlab.figures.pixels import to_png
    from ganlab.files import atomic_write
    from ganlab.runs.checkpoint import CheckpointError
    from ganlab.runs.load import load_trainer

    try:
        trainer = load_trainer(run_path(args.run), device=args.device)
    except (CheckpointError, MnistError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    if trainer.cfg.kind != "mnist":
        raise UsageError(f"{args.run} is a {trainer.cfg.p_data} run; Figures 2 and 3 are for MNIST runs")
    out = out_dir(args.out)
    out.mkdir(parents=True, exist_ok=True)
    samples = trainer.sample(24, args.seed).float().cpu().numpy().reshape(-1, 28, 28)
    atomic_write(out / "figure2.png", to_png(figure2(samples), 3))
    seeds = [(args.seed + 2 * i + 1, args.seed + 2 * i + 2) for i in range(5)]
    atomic_write(out / "figure3.png", to_png(figure3(trainer, seeds), 3))
    sys.stderr.write(
        f"wrote {out}/figure2.png (samples and nearest training images), figure3.png (z walks)\n"
    )
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from ganlab.figures.toy2d import render_planes
    from ganlab.files import atomic_write
    from ganlab.runs.checkpoint import CheckpointError
    from ganlab.runs.load import load_trainer
    from ganlab.snapshot import take_snapshot

    if not args.out.endswith((".png", ".svg")):
        raise UsageError(f"--out must name a .png or .svg file, got {args.out!r}")
    if len(args.label or []) > len(args.run):
        raise UsageError(f"{len(args.label)} --label for {len(args.run)} --run: one label per run, in order")
    panels = []
    for i, run in enumerate(map(run_path, args.run)):
        try:
            trainer = load_trainer(run, device=args.device)
        except (CheckpointError, RuntimeError) as exc:
            raise UsageError(str(exc)) from None
        if trainer.cfg.kind != "2d":
            kind, instead = (
                ("an MNIST", "ganlab figures") if trainer.cfg.kind == "mnist" else ("a 1D", "ganlab figure1")
            )
            raise UsageError(f"--run {run} is {kind} run; `ganlab plot` draws 2D runs (see `{instead}`)")
        label = args.label[i] if args.label and i < len(args.label) else run.name
        panels.append((label, take_snapshot(trainer)))
    atomic_write(Path(args.out), render_planes(panels, fmt=args.out.rsplit(".", 1)[1]))
    sys.stderr.write(f"wrote {args.out}: {len(panels)} panel(s)\n")
    return 0


def cmd_figure1(args: argparse.Namespace) -> int:
    from ganlab.figures.figure1 import run_figure1, write_figure1

    out = out_dir(args.out)
    start = time.perf_counter()
    try:
        result = run_figure1(seed=args.seed, device=args.device or "auto", progress=progress)
    except RuntimeError as exc:
        raise UsageError(str(exc)) from None
    files = write_figure1(result, out)
    sys.stderr.write(f"\nwrote {', '.join(str(f) for f in files)} in {time.perf_counter() - start:.1f} s\n")
    jsds = [f"({p}) {s.metrics['jsd']:.4f}" for p, s in zip("abcd", result.snapshots)]
    sys.stderr.write("JSD(p_data || p_g) in nats: " + "  ".join(jsds) + "\n")
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    """`ganlab animate`: a run's pictures over its iterations as a GIF or an MP4, from the
    states it kept, or by replaying it from its seed."""
    from ganlab.figures.animate import VideoMissing, caption, check_format, encode, paint_frames
    from ganlab.files import atomic_write
    from ganlab.runs.checkpoint import CheckpointError
    from ganlab.runs.frames import (
        ReplayError,
        frame_iterations,
        kept_frames,
        kept_states,
        load_run,
        replay_frames,
        walk_frames,
    )

    out = Path(args.out)
    try:
        check_format(out.suffix.lower())
    except ValueError:
        raise UsageError(f"--out must name a .gif or .mp4 file, got {args.out!r}") from None
    except VideoMissing as exc:
        raise UsageError(str(exc)) from None
    if out.is_dir():
        raise UsageError(f"--out {out} is a directory; name a .gif or .mp4 file")
    run = run_path(args.run)
    start = time.perf_counter()
    try:
        final, history = load_run(run, device=args.device)
    except (CheckpointError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    kind = final.cfg.kind
    if args.view and args.view != kind:
        raise UsageError(f"--view {args.view}: {run} is a {kind} run; use --view {kind} (or leave it out)")
    count = round(args.fps * args.seconds)
    kept = kept_states(run)
    name = run.stem if run.suffix == ".zip" else run.name
    if final.trained_from:  # a shipped model: nothing to replay, so a walk through its z space
        if kind != "mnist":
            raise UsageError(f"{run} has no iterations to animate")
        source = f"a walk through z of the trained model ({final.g_updates:,} G updates)"
        snaps = list(walk_frames(final, count))
        captions = [f"{final.trained_from} · G updates {final.g_updates:,} · a walk through z" for _ in snaps]
    elif kept and not args.replay:
        source = f"{min(len(kept), count)} of its {len(kept)} kept states"
        snaps = []
        for i, snap in enumerate(kept_frames(kept, count, args.device)):
            snaps.append(snap)
            progress(f"reading kept states: {i + 1}", (i + 1) / min(len(kept), count))
    else:
        last = final.g_updates
        wanted = frame_iterations(last, count)
        source = f"a replay from its seed to {last:,} iterations"
        try:
            snaps = list(
                replay_frames(
                    final, history, wanted, lambda g: progress(f"replaying: G update {g:,}", g / max(last, 1))
                )
            )
        except ReplayError as exc:
            hint = " Train it with --keep-every N to animate its kept states." if not kept else ""
            raise UsageError(f"cannot replay {run}: {exc}.{hint}") from None
    if len(snaps) < 2:
        raise UsageError(f"{run} has {final.g_updates} iterations: nothing to animate yet")
    if not final.trained_from:
        captions = [caption(s, name) for s in snaps]
    frames = paint_frames(kind, snaps, captions)
    data = encode(frames, out.suffix.lower(), args.fps)
    atomic_write(out, data)
    h, w = frames[0].shape[:2]
    sys.stderr.write(
        f"\nwrote {out}: {len(frames)} frames ({w}×{h}) at {args.fps} fps from {source}, "
        f"{len(data) / 1e6:.1f} MB, in {time.perf_counter() - start:.1f} s\n"
    )
    return 0
