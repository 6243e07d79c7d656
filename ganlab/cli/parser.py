"""The `ganlab` command line's parser: every command and its options, with its handler.

Light imports only (no torch): a mistyped argument or --help answers at once. A new command
adds its module beside this one (a ``cmd_*`` function) and its sub-parser here.
"""

from __future__ import annotations

import argparse

from ganlab.cli.bench import cmd_bench
from ganlab.cli.classroom import cmd_classroom
from ganlab.cli.common import MAX_SAMPLES, MAX_STEPS, RUN_HELP
from ganlab.cli.dashboard import cmd_dashboard
from ganlab.cli.dynamics import cmd_dirac, cmd_map
from ganlab.cli.evaluate import cmd_eval, cmd_judge
from ganlab.cli.pictures import cmd_animate, cmd_figure1, cmd_figures, cmd_plot
from ganlab.cli.runs import cmd_average, cmd_sample, cmd_train
from ganlab.cli.sweep import cmd_sweep
from ganlab.presets import BENCH_PRESETS, PRESETS
from ganlab.runs import KEPT_DIR

__all__ = ["build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        self.exit(2, f"ganlab: error: {message}\n")


def _int_in(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer from {lo} to {hi}, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer from {lo} to {hi}, got {value}")
        return value

    return parse


def _float_in(lo: float, hi: float):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number from {lo:g} to {hi:g}, got {text!r}"
            ) from None
        if not lo <= value <= hi:  # NaN fails this test too
            raise argparse.ArgumentTypeError(f"expected a number from {lo:g} to {hi:g}, got {text}")
        return value

    return parse


MNIST_DIR_HELP = "a directory of MNIST IDX files (gz or raw) instead of the shipped copy"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ganlab")
    except PackageNotFoundError:  # run from a source tree without installing
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    """Every command, with its handler (``args.handler(args)`` runs it)."""
    parser = _Parser(prog="ganlab", description="Watch a GAN learn (Goodfellow et al. 2014).")
    parser.add_argument("--version", action="version", version=f"ganlab {_version()}")
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{train,average,sample,eval,judge,figures,plot,figure1,animate,dirac,map,sweep,bench,dashboard,classroom}",
    )
    devices = ["auto", "cpu", "cuda"]

    p = sub.add_parser("train", help="train a preset and write config.json, metrics.jsonl, checkpoint.pt")
    p.add_argument("--preset", help=f"one of: {', '.join(PRESETS)} (default paper-1d)")
    p.add_argument("--steps", type=_int_in(1, MAX_STEPS), help="iterations to reach (k D + 1 G update each)")
    p.add_argument(
        "--resume", metavar="DIR", help="go on training the run in DIR (to --steps; --set for live values)"
    )
    p.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override one config value (repeatable)"
    )
    p.add_argument("--device", choices=devices)
    p.add_argument("--data", metavar="FILE.csv", help="train on your own 2D points (a CSV of x,y)")
    p.add_argument(
        "--log-every", type=_int_in(1, MAX_STEPS), default=100, help="iterations between metrics lines"
    )
    p.add_argument("--out", help="run directory (with --resume: that run's, unless named)")
    p.add_argument(
        "--keep-every",
        type=_int_in(1, MAX_STEPS),
        metavar="N",
        help=f"also keep the state of every Nth iteration in DIR/{KEPT_DIR}/ (for `ganlab average`; "
        "each is a whole checkpoint: 66 MB for mnist-paper, 0.05-1.4 MB for the toy presets)",
    )
    p.add_argument("--mnist-dir", help=MNIST_DIR_HELP)
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("average", help="a run whose generator is the mean of saved states' generators")
    p.add_argument(
        "state", nargs="+", help="states of one run: run directories, .zip exports or kept .pt files"
    )
    p.add_argument("--out", required=True, help="the run directory to write")
    p.add_argument("--device", choices=devices)
    p.add_argument("--mnist-dir", help=MNIST_DIR_HELP)
    p.set_defaults(handler=cmd_average)

    p = sub.add_parser("sample", help="draw N generator samples from a run into a .npy file")
    p.add_argument("--run", required=True, help=RUN_HELP)
    p.add_argument("--n", type=_int_in(1, MAX_SAMPLES), required=True)
    p.add_argument("--out", required=True, help="output .npy file")
    p.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=0)
    p.add_argument("--device", choices=devices)
    p.add_argument("--mnist-dir", help=MNIST_DIR_HELP)
    p.set_defaults(handler=cmd_sample)

    p = sub.add_parser("eval", help="evaluate an MNIST run: the paper's Parzen-window log-likelihood")
    p.add_argument(
        "metric",
        choices=["parzen", "digits"],
        help="parzen: Table 1's protocol; digits: the judge's class shares, confidence, Fréchet distance",
    )
    p.add_argument("--run", help=f"an MNIST run: {RUN_HELP}")
    p.add_argument("--real", action="store_true", help="score real training images instead (the ceiling)")
    p.add_argument("--n", type=_int_in(100, 60_000), default=10_000, help="samples (default 10,000)")
    p.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=0)
    p.add_argument("--device", choices=devices)
    p.add_argument("--mnist-dir", help=MNIST_DIR_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_eval)

    p = sub.add_parser("judge", help="train the MNIST classifier that judges generated digits")
    p.add_argument("--out", help="where to write its weights (default: the shipped assets/mnist_judge.pt)")
    p.add_argument("--epochs", type=_int_in(1, 50), default=2)
    p.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=0)
    p.add_argument("--mnist-dir", help=MNIST_DIR_HELP)
    p.set_defaults(handler=cmd_judge)

    p = sub.add_parser("figures", help="the paper's Figures 2 and 3 from an MNIST run (PNG)")
    p.add_argument("--run", required=True, help=f"an MNIST run: {RUN_HELP}")
    p.add_argument("--out", required=True, help="directory for figure2.png and figure3.png")
    p.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=0)
    p.add_argument("--device", choices=devices)
    p.add_argument("--mnist-dir", help=MNIST_DIR_HELP)
    p.set_defaults(handler=cmd_figures)

    p = sub.add_parser("plot", help="draw 2D runs side by side (D, samples, gradients, manifold) as PNG/SVG")
    p.add_argument("--run", required=True, action="append", help=f"a 2D run (repeatable): {RUN_HELP}")
    p.add_argument("--label", action="append", help="a title per --run, in order (default: its name)")
    p.add_argument("--out", required=True, help="output .png or .svg file")
    p.add_argument("--device", choices=devices)
    p.set_defaults(handler=cmd_plot)

    p = sub.add_parser("animate", help="a run's pictures over its iterations as a GIF or MP4 (for slides)")
    p.add_argument("--run", required=True, help=f"a run: {RUN_HELP}")
    p.add_argument("--out", required=True, help="output .gif or .mp4 file")
    p.add_argument("--view", choices=["1d", "2d", "mnist"], help="what to draw (default: the run's kind)")
    p.add_argument("--fps", type=_int_in(1, 60), default=12, help="frames a second (default 12)")
    p.add_argument(
        "--seconds", type=_float_in(0.5, 600), default=6.0, help="length of the animation (default 6)"
    )
    p.add_argument(
        "--replay", action="store_true", help="replay the run from its seed even where it kept states"
    )
    p.add_argument("--device", choices=devices)
    p.add_argument("--mnist-dir", help=MNIST_DIR_HELP)
    p.set_defaults(handler=cmd_animate)

    p = sub.add_parser("figure1", help="reproduce the paper's Figure 1 from one real training run")
    p.add_argument("--out", required=True, help="directory for figure1.png and figure1.json")
    p.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=0)
    p.add_argument("--device", choices=devices)
    p.set_defaults(handler=cmd_figure1)

    p = sub.add_parser(
        "dirac", help="the two-parameter GAN (Dirac-GAN): a trajectory, and the eigenvalues at (0, 0)"
    )
    p.add_argument("--rule", required=True, choices=["simultaneous", "alternating"], help="how θ and ψ step")
    p.add_argument("--lr", required=True, type=_float_in(1e-6, 10), help="learning rate h (of both, or of D)")
    p.add_argument("--lr-g", type=_float_in(1e-6, 10), help="G's learning rate (default: --lr)")
    p.add_argument("--k", type=_int_in(1, 20), default=1, help="alternating: ψ steps per θ step (default 1)")
    p.add_argument("--loss", choices=["minimax", "non-saturating"], default="minimax", help="G's loss")
    p.add_argument("--r1", type=_float_in(0, 100), default=0.0, help="γ of the R1 penalty on D (default 0)")
    p.add_argument(
        "--instance-noise", type=_float_in(0, 5), default=0.0, help="σ of the noise on D's inputs (default 0)"
    )
    p.add_argument("--theta0", type=_float_in(-100, 100), default=1.0, help="θ at the start (default 1)")
    p.add_argument("--psi0", type=_float_in(-100, 100), default=1.0, help="ψ at the start (default 1)")
    p.add_argument("--steps", type=_int_in(1, 1_000_000), default=500, help="iterations (default 500)")
    p.add_argument(
        "--json", action="store_true", help='print {"trajectory": [[θ, ψ], ...], "eigenvalues": ...}'
    )
    p.set_defaults(handler=cmd_dirac)

    axes = ["lr_d", "lr_g", "lr", "k", "momentum", "r1"]
    p = sub.add_parser("map", help="a stability map: GANs differing in two settings, trained at once")
    p.add_argument("--preset", default="paper-1d", help="a 1D or 2D preset (default paper-1d)")
    p.add_argument("--x", default="lr_d", choices=axes, help="the setting across (default lr_d)")
    p.add_argument("--y", default="lr_g", choices=axes, help="the setting up (default lr_g)")
    p.add_argument("--x-range", metavar="LO:HI", help="x's range (log scale for rates and r1)")
    p.add_argument("--y-range", metavar="LO:HI", help="y's range")
    p.add_argument("--n", type=_int_in(2, 64), default=16, help="values per axis (default 16)")
    p.add_argument("--steps", type=_int_in(1, MAX_STEPS), default=2000, help="iterations (default 2000)")
    p.add_argument(
        "--seeds",
        type=_int_in(1, 16),
        default=1,
        help="GANs per cell, with seeds from the preset's on (default 1)",
    )
    p.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a setting every GAN shares (repeatable)"
    )
    p.add_argument("--device", choices=devices)
    p.add_argument("--out", required=True, help="a new directory for map.json and map.png")
    p.add_argument(
        "--address",
        metavar="HOST:PORT",
        help="split the map into batches run as Ray tasks on the cluster there (default: one batch here)",
    )
    p.add_argument(
        "--batch", type=_int_in(1, 4096), default=256, help="with --address: GANs per Ray task (default 256)"
    )
    p.set_defaults(handler=cmd_map)

    p = sub.add_parser(
        "sweep", help="a preset over a grid of settings and seeds on Ray, a run directory each"
    )
    p.add_argument("--preset", default="paper-1d", help=f"one of: {', '.join(PRESETS)} (default paper-1d)")
    p.add_argument(
        "--grid",
        action="append",
        metavar="NAME=V1,V2",
        help="a setting and its values (repeatable: every combination is one trial)",
    )
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a setting every trial shares")
    p.add_argument(
        "--seeds", type=_int_in(1, 100), default=1, help="trials per combination, seeds from the preset's on"
    )
    p.add_argument("--steps", type=_int_in(1, MAX_STEPS), help="iterations per trial (default: the preset's)")
    p.add_argument(
        "--log-every", type=_int_in(1, MAX_STEPS), default=100, help="iterations between metrics lines"
    )
    p.add_argument("--device", choices=devices)
    p.add_argument("--parzen", action="store_true", help="MNIST: also Table 1's Parzen window at the end")
    p.add_argument(
        "--address",
        metavar="HOST:PORT",
        help="join the Ray cluster there (default: $RAY_ADDRESS, else a local Ray on this machine)",
    )
    p.add_argument(
        "--workers",
        type=_int_in(1, 10_000),
        help="trials at once (default: the CPUs of the machine or cluster)",
    )
    p.add_argument(
        "--gpus-per-trial",
        type=_float_in(0, 8),
        default=0.0,
        help="GPUs each trial asks Ray for (0.25: four trials share one; default 0)",
    )
    p.add_argument(
        "--save-every",
        type=_float_in(0, 3600),
        default=30.0,
        metavar="SECONDS",
        help="how often a running trial's state comes back to --out (what Ctrl-C can lose; default 30)",
    )
    p.add_argument("--yes", action="store_true", help="allow more than 10,000 trials")
    p.add_argument("--out", help="the sweep's folder: a run directory per trial, results.json and .csv")
    p.add_argument("--report", metavar="S", help="print sweep S's table and write S/report.png (no training)")
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("bench", help="trainer vs textbook loop steps/s, and dashboard frame time")
    p.add_argument("--device", choices=devices)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--seconds", type=float, default=2.0, help="measuring time per loop (default 2)")
    p.add_argument(
        "--preset", action="append", choices=BENCH_PRESETS, help="only this preset (repeatable; default all)"
    )
    p.add_argument(
        "--ensemble",
        type=_int_in(0, 4096),
        default=256,
        metavar="N",
        help="also time N paper-1d GANs trained at once against one trainer (default 256; 0: skip)",
    )
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser("dashboard", help="start the Streamlit dashboard")
    p.add_argument("--port", type=_int_in(1, 65535), default=8501)
    p.add_argument("--headless", action="store_true", help="do not open a browser")
    p.add_argument("--address", help="the address to listen on (default: every interface)")
    p.set_defaults(handler=cmd_dashboard)

    p = sub.add_parser(
        "classroom", help="several dashboard processes behind HAProxy: one address for a whole class"
    )
    p.add_argument(
        "--processes", type=_int_in(1, 256), help="dashboard processes (default: the CPU cores, at least 2)"
    )
    p.add_argument(
        "--seats",
        type=_int_in(1, 1000),
        default=16,
        help="browser sessions each process trains at once (default 16)",
    )
    p.add_argument("--port", type=_int_in(1, 65535), default=8500, help="the class's port (default 8500)")
    p.add_argument(
        "--host", default="0.0.0.0", help="the address HAProxy listens on (default: every interface)"
    )
    p.add_argument(
        "--restart",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start a dashboard process again when it dies (default: yes)",
    )
    p.add_argument("--write-config", metavar="FILE", help="only write the HAProxy configuration to FILE")
    p.set_defaults(handler=cmd_classroom)
    return parser
