"""`ganlab train`, `ganlab average` and `ganlab sample`: making runs, and drawing samples from them."""

from __future__ import annotations

import argparse
import io
import signal
import sys
import time
from pathlib import Path

import numpy as np

from ganlab.cli.common import UsageError, make_dir, new_dir, out_dir, progress, run_path

__all__ = ["cmd_train", "cmd_average", "cmd_sample"]


def _summary(record: dict) -> str:
    """The progress line's numbers: JSD and modes for toy data, D's outputs for images."""
    if "jsd" in record:
        modes = (
            f"  modes {record['modes_covered']}/{record['modes_total']}" if "modes_covered" in record else ""
        )
        return f"JSD {record['jsd']:.4f} nats{modes}"
    digits = f"  digits KL {record['digit_kl']:.2f}" if "digit_kl" in record else ""
    return f"D(real) {record['mean_d_real']:.2f}  D(fake) {record['mean_d_fake']:.2f}{digits}"


def _terminate_as_interrupt():
    """Make SIGTERM (`kill`, a stopping container) save the run as Ctrl-C does; a run started in
    the background by a script ignores Ctrl-C's SIGINT. Returns the old handler (None if this
    is not the main thread)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals cannot be handled here
        return None


def _new_config(args: argparse.Namespace):
    """The config of a fresh run from --preset, --set, --device and --data; the preset's run length."""
    from ganlab.config import parse_assignment
    from ganlab.presets import get_preset

    preset = get_preset(args.preset or "paper-1d")
    cfg = preset.config
    for assignment in args.set or []:
        cfg = parse_assignment(cfg, assignment)
    if args.device:
        cfg = cfg.replace(device=args.device)
    if args.data:
        from ganlab.data.points import PointsError, read_points_csv

        try:
            points = read_points_csv(Path(args.data).read_bytes())
        except OSError as exc:
            raise UsageError(f"--data {args.data}: {exc.strerror or exc}") from None
        except PointsError as exc:
            raise UsageError(f"--data {args.data}: {exc}") from None
        if cfg.p_data == "mnist":
            raise UsageError(
                f"--data gives 2D points, and preset {args.preset} trains on MNIST: "
                "choose a 2D preset such as ring8"
            )
        cfg = cfg.replace(p_data="custom", points=tuple(map(tuple, points.tolist())))
    return cfg, preset.steps


def _check_resume(args: argparse.Namespace) -> Path:
    """--resume DIR's arguments, checked before anything is loaded; the run directory."""
    from ganlab.runs import AVERAGE_JSON  # a name only: no torch before the checks

    if args.preset or args.data:
        raise UsageError("--resume continues a run with its own settings; drop --preset and --data")
    if not args.steps:
        raise UsageError("--resume needs --steps: the total iterations the run should reach")
    run = Path(args.resume)
    if not run.is_dir():
        raise UsageError(f"--resume {run} is not a directory (expected the --out of `ganlab train`)")
    if (run / AVERAGE_JSON).is_file():
        raise UsageError(
            f"--resume {run} is an average of saved states ({AVERAGE_JSON}), for sampling and "
            "evaluation: resume the run they came from"
        )
    return run


def _resumed_trainer(args: argparse.Namespace, run: Path):
    """The Trainer of the run in ``run``, with --set applied as live changes."""
    from ganlab.config import parse_assignment
    from ganlab.runs.load import load_trainer

    trainer = load_trainer(run, device=args.device)
    cfg = trainer.cfg
    for assignment in args.set or []:
        cfg = parse_assignment(cfg, assignment)
    rebuilt = trainer.rebuild_fields(cfg)
    if rebuilt:
        raise UsageError(f"--resume cannot change {', '.join(sorted(rebuilt))} (that needs new models)")
    trainer.apply(cfg)
    if args.steps <= trainer.g_updates:
        raise UsageError(f"--steps {args.steps}: the run is already at iteration {trainer.g_updates}")
    return trainer


def cmd_train(args: argparse.Namespace) -> int:
    """`ganlab train`: a new run from a preset, or --resume one, written as a run directory."""
    from ganlab.config import ConfigError

    # What can be checked without torch is checked first: a typo answers at once.
    if not (args.out or args.resume):
        raise UsageError("--out is required: the run directory to write")
    try:
        resume = _check_resume(args) if args.resume else None
        cfg, preset_steps = (None, 0) if resume else _new_config(args)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    out = out_dir(args.out or args.resume)
    if not resume and (out / "checkpoint.pt").exists():
        raise UsageError(
            f"--out {out} already holds a run: go on with --resume {out} --steps N, or name a new directory"
        )

    from ganlab.data.mnist import MnistError
    from ganlab.runs import KEPT_DIR
    from ganlab.runs.checkpoint import CheckpointError
    from ganlab.runs.rundir import RunDirectory, train_run
    from ganlab.train import Trainer

    try:
        if resume:
            trainer, steps = _resumed_trainer(args, resume), args.steps
            run = RunDirectory.open(resume)
            run.path = out
        else:
            trainer, steps = Trainer(cfg), args.steps or preset_steps
            run = RunDirectory(out)
    except (ConfigError, MnistError, CheckpointError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    make_dir(out)
    if args.keep_every:
        make_dir(out / KEPT_DIR, "--keep-every needs")

    def logged(record: dict) -> None:
        progress(f"G update {record['g_updates']}/{steps}  {_summary(record)}", record["g_updates"] / steps)

    start = time.perf_counter()
    on_term = _terminate_as_interrupt()
    status = 0
    try:
        if not train_run(trainer, run, steps, args.log_every, args.keep_every, on_log=logged):
            status = 1
            sys.stderr.write(f"\nganlab: {trainer.diverged}; saved that state to {out}\n")
    except KeyboardInterrupt:
        status = 130
        sys.stderr.write(
            f"\nganlab: interrupted at G update {trainer.g_updates}; saved that state to {out}\n"
        )
    finally:
        if on_term is not None:  # before the last save: a `kill` during it stops the process
            signal.signal(signal.SIGTERM, on_term)
    run.save(trainer)
    if status:
        return status
    sys.stderr.write(
        f"\nwrote {out}/config.json, metrics.jsonl, checkpoint.pt "
        f"({steps} iterations in {time.perf_counter() - start:.1f} s on {trainer.device})\n"
    )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """`ganlab sample`: N samples of a run's generator as a .npy file."""
    from ganlab.data.mnist import MnistError
    from ganlab.files import atomic_write
    from ganlab.runs.checkpoint import CheckpointError
    from ganlab.runs.load import load_trainer

    run = run_path(args.run)
    if not args.out.endswith(".npy"):
        raise UsageError(f"--out must name a .npy file, got {args.out!r}")
    try:
        trainer = load_trainer(run, device=args.device)
    except (CheckpointError, MnistError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    samples = trainer.sample(args.n, args.seed).float().cpu().numpy()  # (n, data_dim)
    if trainer.cfg.kind == "mnist":
        samples = samples.reshape(-1, 28, 28)  # pixel values in [0, 1]
    buf = io.BytesIO()
    np.save(buf, samples)
    atomic_write(Path(args.out), buf.getvalue())
    sys.stderr.write(f"wrote {args.out}: {samples.shape[0]} samples, shape {samples.shape}\n")
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    """`ganlab average STATE STATE ... --out DIR`: one run whose generator is the mean of theirs."""
    from ganlab.data.mnist import MnistError
    from ganlab.files import atomic_write, write_json
    from ganlab.runs import AVERAGE_JSON
    from ganlab.runs.average import TOO_FEW, AverageError, average_generators
    from ganlab.runs.checkpoint import CheckpointError, save_checkpoint
    from ganlab.runs.load import load_trainer

    paths = [run_path(text, flag="") for text in args.state]  # first: a glob that matched nothing
    if len(paths) < 2:
        raise UsageError(TOO_FEW)
    out = out_dir(args.out)
    with new_dir(out) as partial:
        try:
            trainers = [load_trainer(p, device=args.device) for p in paths]
            trainer = average_generators(trainers, [str(p) for p in paths])
        except (AverageError, CheckpointError, MnistError, RuntimeError) as exc:
            raise UsageError(str(exc)) from None
        metrics = paths[trainers.index(trainer)] / "metrics.jsonl"  # the latest state's run's
        atomic_write(partial / "metrics.jsonl", metrics.read_bytes() if metrics.is_file() else b"")
        write_json(partial / "config.json", trainer.cfg.to_dict())
        write_json(
            partial / AVERAGE_JSON,
            {
                "generator": "the mean of the weights of these states' sampling generators",
                "states": [{"path": str(p), "g_updates": t.g_updates} for p, t in zip(paths, trainers)],
            },
        )
        save_checkpoint(trainer, partial / "checkpoint.pt")
    its = ", ".join(f"{t.g_updates:,}" for t in sorted(trainers, key=lambda t: t.g_updates))
    sys.stderr.write(f"wrote {out}: the generators of iterations {its} averaged\n")
    return 0
