"""`ganlab eval` and `ganlab judge`: Table 1's Parzen window and the MNIST judge, on runs or on
real images."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np

from ganlab.cli.common import UsageError, progress, run_path

__all__ = ["cmd_eval", "cmd_judge"]


def cmd_eval(args: argparse.Namespace) -> int:
    """`ganlab eval parzen|digits`: Table 1's Parzen-window log-likelihood, or the judge's view
    (digit classes, confidence, Fréchet distance) of a run's MNIST samples."""
    if args.real and args.run:
        raise UsageError(
            "--real scores real images in place of a run's samples: give --run or --real, not both"
        )

    from ganlab.data.mnist import MnistError, load_mnist
    from ganlab.files import write_json
    from ganlab.measure.judge import JudgeError, judge_samples, load_judge
    from ganlab.measure.parzen import parzen_mnist
    from ganlab.runs.checkpoint import CheckpointError

    try:
        if args.real:  # real training images in place of samples: the ceiling of each measure
            samples, what = (
                load_mnist("train")[0][: args.n].reshape(-1, 784) / 255.0,
                f"{args.n:,} real training images",
            )
        else:
            samples, what = _run_samples(args)
        judge = load_judge() if args.metric == "digits" else None
    except (CheckpointError, MnistError, JudgeError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    if judge is not None:
        summary = {"samples": what, **judge_samples(judge, samples)}
        text = (
            f"digits judged: class shares {' '.join(f'{v:.1%}' for v in summary['class_share'])} (0-9); "
            f"KL to uniform {summary['kl_to_uniform']:.3f}; "
            f"mean confidence {summary['mean_confidence']:.3f}; "
            f"Fréchet distance to the test set {summary['frechet']:.2f} ({what})"
        )
    else:
        result = parzen_mnist(samples, progress=lambda stage, f: progress(f"Parzen window: {stage}", f))
        summary = {
            "parzen_nats": result.mean,
            "stderr": result.stderr,
            "sigma": result.sigma,
            "samples": what,
            "validation": {f"{s:.4f}": v for s, v in result.validation.items()},
        }
        text = (
            f"Parzen log-likelihood {result.mean:.1f} ± {result.stderr:.1f} nats (σ = {result.sigma:.3f}; "
            f"{what}; 10,000 test images)"
        )
        sys.stderr.write("\n")
    if not args.real and Path(args.run).is_dir():  # a .zip or .pt run: printed only
        write_json(Path(args.run) / f"eval_{args.metric}.json", summary)
    print(json.dumps(summary) if args.json else text)
    return 0


def cmd_judge(args: argparse.Namespace) -> int:
    """`ganlab judge`: train the MNIST classifier that judges generated digits, once."""
    import torch

    from ganlab.data.mnist import MnistError
    from ganlab.files import atomic_write
    from ganlab.measure.judge import JUDGE_PATH, train_judge

    out = Path(args.out) if args.out else JUDGE_PATH
    try:
        judge, accuracy = train_judge(
            epochs=args.epochs, seed=args.seed, progress=lambda m, f: progress(m, f)
        )
    except MnistError as exc:
        raise UsageError(str(exc)) from None
    buf = io.BytesIO()
    torch.save(judge.state_dict(), buf)
    atomic_write(out, buf.getvalue())
    sys.stderr.write(f"\nwrote {out}: test accuracy {accuracy:.2%} on the 10,000 MNIST test images\n")
    return 0


def _run_samples(args: argparse.Namespace) -> tuple[np.ndarray, str]:
    """``args.n`` MNIST samples (n, 784) of ``args.run`` in [0, 1], and a description."""
    from ganlab.runs.load import load_trainer

    if not args.run:
        raise UsageError("--run must name a run directory of `ganlab train` (or give --real)")
    run = run_path(args.run)
    trainer = load_trainer(run, device=args.device)
    if trainer.cfg.kind != "mnist":
        raise UsageError(f"{run} is a {trainer.cfg.p_data} run; this evaluation is for MNIST runs")
    return trainer.sample(args.n, args.seed).double().cpu().numpy(), f"{args.n:,} samples of {run}"
