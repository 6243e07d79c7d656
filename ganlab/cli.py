"""The `ganlab` command line. Bad input: one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]

MAX_STEPS = 10_000_000
MAX_SAMPLES = 10_000_000


class UsageError(Exception):
    """Bad input: printed as one line on stderr, exit code 2."""


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


def _progress(message: str, fraction: float) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    sys.stderr.write(f"[{fraction:4.0%}] {message}{' ' * 10}{end}")
    sys.stderr.flush()


def _out_dir(path: str) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    return out


def _make_dir(path: Path, flag: str = "--out") -> None:
    """mkdir -p, with an OSError (a file on the way, no permission) as a one-line UsageError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot make that directory ({exc.strerror or exc})") from None


@contextlib.contextmanager
def _new_dir(out: Path):
    """Yields a hidden folder beside ``out`` to write into; renamed to ``out`` once everything
    is written (``out`` must not exist or be empty), removed if anything fails."""
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"--out {out} already holds files; name a new directory")
    _make_dir(out.parent)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    _make_dir(partial)
    try:
        yield partial
        if out.is_dir():
            out.rmdir()  # empty, as checked
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


# -- commands ----------------------------------------------------------------------------
SAVE_EVERY_S = 60.0  # ganlab train rewrites its run directory at least this often
KEPT_DIR = "kept"  # ganlab train --keep-every: the run directory's folder of kept states
RUN_HELP = "the --out of `ganlab train` or `ganlab average`, a .zip from the dashboard, or a kept .pt state"
AVERAGE_JSON = "average.json"  # ganlab average: the states behind an averaged run


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
    """The Trainer of the run in ``run``, with --set applied as live changes, and its metrics lines."""
    from ganlab.checkpoint import load_trainer
    from ganlab.config import parse_assignment

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
    metrics = run / "metrics.jsonl"
    lines = metrics.read_text(errors="replace").splitlines() if metrics.is_file() else []
    return trainer, [line for line in lines if line.strip()]


def _run_path(text: str, flag: str = "--run ") -> Path:
    """A --run value: the directory `ganlab train` wrote, a run exported as a .zip, or a state
    kept by --keep-every (.pt)."""
    run = Path(text)
    if run.is_dir() or (run.suffix in (".zip", ".pt") and run.is_file()):
        return run
    raise UsageError(
        f"{flag}{run} is neither a directory (the --out of `ganlab train`) nor a run exported as .zip "
        "nor a kept .pt state"
    )


def _elapsed(lines: list[str]) -> float:
    """The elapsed_s of a run's last metrics line (0 if there is none or it is unreadable)."""
    try:
        value = float(json.loads(lines[-1])["elapsed_s"])
    except (IndexError, ValueError, KeyError, TypeError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def cmd_train(args: argparse.Namespace) -> int:
    from ganlab.config import ConfigError

    # What can be checked without torch is checked first: a typo answers at once.
    if not (args.out or args.resume):
        raise UsageError("--out is required: the run directory to write")
    try:
        run = _check_resume(args) if args.resume else None
        cfg, preset_steps = (None, 0) if run else _new_config(args)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    out = _out_dir(args.out or args.resume)
    if not run and (out / "checkpoint.pt").exists():
        raise UsageError(
            f"--out {out} already holds a run: go on with --resume {out} --steps N, or name a new directory"
        )

    from ganlab.checkpoint import CheckpointError, atomic_write, save_checkpoint, write_json
    from ganlab.data.mnist import MnistError
    from ganlab.snapshot import take_snapshot
    from ganlab.train import Trainer

    lines: list[str] = []
    try:
        if run:
            trainer, lines = _resumed_trainer(args, run)
            steps = args.steps
        else:
            trainer, steps = Trainer(cfg), args.steps or preset_steps
    except (ConfigError, MnistError, CheckpointError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    log_every = min(args.log_every, steps)
    _make_dir(out)
    offset = _elapsed(lines)  # a resumed run's clock goes on from where it stopped
    start = saved = time.perf_counter()

    def save() -> None:
        write_json(out / "config.json", trainer.cfg.to_dict())
        atomic_write(out / "metrics.jsonl", ("\n".join(lines) + "\n").encode() if lines else b"")
        save_checkpoint(trainer, out / "checkpoint.pt")

    keep = args.keep_every or MAX_STEPS + 1
    if args.keep_every:
        _make_dir(out / KEPT_DIR, "--keep-every needs")

    status = 0
    on_term = _terminate_as_interrupt()
    try:
        while trainer.g_updates < steps:
            g = trainer.g_updates  # steps end at multiples of log_every and of keep, and at steps
            n = min(log_every - g % log_every, keep - g % keep, steps - g)
            if not trainer.advance(n):
                sys.stderr.write(f"\nganlab: {trainer.diverged}; saved that state to {out}\n")
                status = 1
                break
            if trainer.g_updates % keep == 0:  # a state for `ganlab average`
                save_checkpoint(trainer, out / KEPT_DIR / f"iteration-{trainer.g_updates:07d}.pt")
            if trainer.g_updates % log_every == 0 or trainer.g_updates == steps:
                record = {
                    "d_updates": trainer.d_updates,
                    "g_updates": trainer.g_updates,
                    **take_snapshot(trainer).metrics,
                    "elapsed_s": round(offset + time.perf_counter() - start, 3),
                }
                lines.append(json.dumps(record))
                progress = f"G update {trainer.g_updates}/{steps}  {_summary(record)}"
                _progress(progress, trainer.g_updates / steps)
            if time.perf_counter() - saved > SAVE_EVERY_S:  # a long run keeps a recent state on disk
                save()
                saved = time.perf_counter()
    except KeyboardInterrupt:
        status = 130
        sys.stderr.write(
            f"\nganlab: interrupted at G update {trainer.g_updates}; saved that state to {out}\n"
        )
    finally:
        if on_term is not None:
            signal.signal(signal.SIGTERM, on_term)
    save()
    if status == 0:
        sys.stderr.write(
            f"\nwrote {out}/config.json, metrics.jsonl, checkpoint.pt "
            f"({steps} iterations in {time.perf_counter() - start:.1f} s on {trainer.device})\n"
        )
    return status


def cmd_sample(args: argparse.Namespace) -> int:
    from ganlab.checkpoint import CheckpointError, atomic_write, load_trainer
    from ganlab.data.mnist import MnistError

    run = _run_path(args.run)
    if not args.out.endswith(".npy"):
        raise UsageError(f"--out must name a .npy file, got {args.out!r}")
    try:
        trainer = load_trainer(run, device=args.device)
    except (CheckpointError, MnistError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    samples = trainer.sample(args.n, args.seed).float().cpu().numpy()  # (n, data_dim)
    if trainer.cfg.data_dim == 784:
        samples = samples.reshape(-1, 28, 28)  # pixel values in [0, 1]
    buf = io.BytesIO()
    np.save(buf, samples)
    atomic_write(Path(args.out), buf.getvalue())
    sys.stderr.write(f"wrote {args.out}: {samples.shape[0]} samples, shape {samples.shape}\n")
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    """`ganlab average STATE STATE ... --out DIR`: one run whose generator is the mean of theirs."""
    from ganlab.average import TOO_FEW, AverageError, average_generators
    from ganlab.checkpoint import CheckpointError, atomic_write, load_trainer, save_checkpoint, write_json
    from ganlab.data.mnist import MnistError

    paths = [_run_path(text, flag="") for text in args.state]  # first: a glob that matched nothing
    if len(paths) < 2:
        raise UsageError(TOO_FEW)
    out = _out_dir(args.out)
    with _new_dir(out) as partial:
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


def cmd_eval(args: argparse.Namespace) -> int:
    """`ganlab eval parzen|digits`: Table 1's Parzen-window log-likelihood, or the judge's view
    (digit classes, confidence, Fréchet distance) of a run's MNIST samples."""
    if args.real and args.run:
        raise UsageError(
            "--real scores real images in place of a run's samples: give --run or --real, not both"
        )

    from ganlab.checkpoint import CheckpointError, write_json
    from ganlab.data.mnist import MnistError, load_mnist
    from ganlab.judge import JudgeError, judge_samples, load_judge
    from ganlab.parzen import parzen_mnist

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
        result = parzen_mnist(samples, progress=lambda stage, f: _progress(f"Parzen window: {stage}", f))
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

    from ganlab.checkpoint import atomic_write
    from ganlab.data.mnist import MnistError
    from ganlab.judge import JUDGE_PATH, train_judge

    out = Path(args.out) if args.out else JUDGE_PATH
    try:
        judge, accuracy = train_judge(
            epochs=args.epochs, seed=args.seed, progress=lambda m, f: _progress(m, f)
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

    from ganlab.checkpoint import load_trainer

    if not args.run:
        raise UsageError("--run must name a run directory of `ganlab train` (or give --real)")
    run = _run_path(args.run)
    trainer = load_trainer(run, device=args.device)
    if trainer.cfg.data_dim != 784:
        raise UsageError(f"{run} is a {trainer.cfg.p_data} run; this evaluation is for MNIST runs")
    return trainer.sample(args.n, args.seed).double().cpu().numpy(), f"{args.n:,} samples of {run}"


def cmd_figures(args: argparse.Namespace) -> int:
    """`ganlab figures`: the paper's Figures 2 and 3 from an MNIST run, as PNG files."""
    from ganlab.checkpoint import CheckpointError, atomic_write, load_trainer
    from ganlab.data.mnist import MnistError
    from ganlab.images import figure2, figure3, to_png

    try:
        trainer = load_trainer(_run_path(args.run), device=args.device)
    except (CheckpointError, MnistError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    if trainer.cfg.data_dim != 784:
        raise UsageError(f"{args.run} is a {trainer.cfg.p_data} run; Figures 2 and 3 are for MNIST runs")
    out = _out_dir(args.out)
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
    from ganlab.checkpoint import CheckpointError, atomic_write, load_trainer
    from ganlab.render2d import render_planes
    from ganlab.snapshot2d import take_snapshot_2d

    if not args.out.endswith((".png", ".svg")):
        raise UsageError(f"--out must name a .png or .svg file, got {args.out!r}")
    if len(args.label or []) > len(args.run):
        raise UsageError(f"{len(args.label)} --label for {len(args.run)} --run: one label per run, in order")
    panels = []
    for i, run in enumerate(map(_run_path, args.run)):
        try:
            trainer = load_trainer(run, device=args.device)
        except (CheckpointError, RuntimeError) as exc:
            raise UsageError(str(exc)) from None
        if trainer.cfg.data_dim != 2:
            kind, instead = (
                ("an MNIST", "ganlab figures") if trainer.cfg.data_dim == 784 else ("a 1D", "ganlab figure1")
            )
            raise UsageError(f"--run {run} is {kind} run; `ganlab plot` draws 2D runs (see `{instead}`)")
        label = args.label[i] if args.label and i < len(args.label) else run.name
        panels.append((label, take_snapshot_2d(trainer)))
    atomic_write(Path(args.out), render_planes(panels, fmt=args.out.rsplit(".", 1)[1]))
    sys.stderr.write(f"wrote {args.out}: {len(panels)} panel(s)\n")
    return 0


def cmd_figure1(args: argparse.Namespace) -> int:
    from ganlab.figure1 import run_figure1, write_figure1

    out = _out_dir(args.out)
    start = time.perf_counter()
    try:
        result = run_figure1(seed=args.seed, device=args.device or "auto", progress=_progress)
    except RuntimeError as exc:
        raise UsageError(str(exc)) from None
    files = write_figure1(result, out)
    sys.stderr.write(f"\nwrote {', '.join(str(f) for f in files)} in {time.perf_counter() - start:.1f} s\n")
    jsds = [f"({p}) {s.metrics['jsd']:.4f}" for p, s in zip("abcd", result.snapshots)]
    sys.stderr.write("JSD(p_data || p_g) in nats: " + "  ".join(jsds) + "\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from ganlab.bench import BENCH_PRESETS, format_table, run_bench
    from ganlab.data.mnist import MnistError

    try:
        report = run_bench(
            device=args.device or "auto",
            seconds=args.seconds,
            progress=None if args.json else _progress,
            presets=args.preset or BENCH_PRESETS,
        )
    except (RuntimeError, MnistError) as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(report) if args.json else format_table(report))
    return 0


# Streamlit settings the dashboard needs, however it is started (`ganlab dashboard`, the
# browser tests, tools/liveperf.py); .streamlit/config.toml repeats them for `streamlit run`.
STREAMLIT_SETTINGS = {
    # A gc.collect(2) after every script run, fragment ticks included: ~200 ms with torch loaded.
    "runner.postScriptGC": "false",
    # No ForwardMsg cache. Under frequent fragment reruns the browser sometimes evicted a
    # message that the server then sent by reference ("Cached ForwardMsg MISS"): the page lost
    # its connection for good (3 of 4 MNIST runs of tools/liveperf.py, 10 slider changes each).
    "global.minCachedMessageSize": "1e15",
    "browser.gatherUsageStats": "false",
}


def dashboard_app() -> Path:
    """dashboard/app.py beside the ganlab package (a clone), or of the installed dashboard package."""
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    if not app.is_file():
        import dashboard

        app = Path(dashboard.__file__).resolve().parent / "app.py"
    return app


def streamlit_command(app: Path | None = None, **settings: str) -> list[str]:
    """`python -m streamlit run APP` (default: dashboard_app()) with STREAMLIT_SETTINGS and
    ``settings`` (``server_port="8501"`` for --server.port 8501)."""
    command = [sys.executable, "-m", "streamlit", "run", str(app or dashboard_app())]
    chosen = {name.replace("_", "."): value for name, value in settings.items()}
    for name, value in {**STREAMLIT_SETTINGS, **chosen}.items():
        command += [f"--{name}", value]
    return command


def cmd_dashboard(args: argparse.Namespace) -> int:
    """`ganlab dashboard`: this process becomes the Streamlit server (exec), so that stopping
    it (Ctrl-C, kill) stops the server too; a port in use is one line, exit 2."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(("", args.port))
        except OSError:
            raise UsageError(
                f"port {args.port} is in use (another dashboard?): stop it, or choose --port"
            ) from None
    extra = {"server_port": str(args.port)} | ({"server_headless": "true"} if args.headless else {})
    command = streamlit_command(**extra)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
    return 0  # not reached


# -- parser --------------------------------------------------------------------------------
MNIST_DIR_HELP = "a directory of MNIST IDX files (gz or raw) instead of the shipped copy"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ganlab")
    except PackageNotFoundError:  # run from a source tree without installing
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    # Light imports only (no torch): a mistyped argument or --help answers at once.
    from ganlab.presets import BENCH_PRESETS, PRESETS

    parser = _Parser(prog="ganlab", description="Watch a GAN learn (Goodfellow et al. 2014).")
    parser.add_argument("--version", action="version", version=f"ganlab {_version()}")
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{train,average,sample,eval,judge,figures,plot,figure1,bench,dashboard}",
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

    p = sub.add_parser("figure1", help="reproduce the paper's Figure 1 from one real training run")
    p.add_argument("--out", required=True, help="directory for figure1.png and figure1.json")
    p.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=0)
    p.add_argument("--device", choices=devices)
    p.set_defaults(handler=cmd_figure1)

    p = sub.add_parser("bench", help="trainer vs textbook loop steps/s, and dashboard frame time")
    p.add_argument("--device", choices=devices)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--seconds", type=float, default=2.0, help="measuring time per loop (default 2)")
    p.add_argument(
        "--preset", action="append", choices=BENCH_PRESETS, help="only this preset (repeatable; default all)"
    )
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser("dashboard", help="start the Streamlit dashboard")
    p.add_argument("--port", type=_int_in(1, 65535), default=8501)
    p.add_argument("--headless", action="store_true", help="do not open a browser")
    p.set_defaults(handler=cmd_dashboard)
    return parser


@contextlib.contextmanager
def _mnist_dir(directory: str | None):
    """--mnist-dir: MNIST comes from ``directory`` for this command (and the environment's
    setting comes back afterwards)."""
    if not directory:
        yield
        return
    from ganlab.data.mnist import ENV_VAR

    before = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = directory
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = before


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # bare `ganlab`: what it can do
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    if args.command == "bench" and not (0.1 <= args.seconds <= 600 and math.isfinite(args.seconds)):
        sys.stderr.write("ganlab: error: --seconds must be between 0.1 and 600\n")
        return 2
    try:
        with _mnist_dir(getattr(args, "mnist_dir", None)):
            return args.handler(args)
    except UsageError as exc:
        sys.stderr.write(f"ganlab: error: {exc}\n")
        return 2
    except OSError as exc:  # a file in the way, no permission, a full disk: one line too
        where = f"{exc.filename}: " if exc.filename else ""
        sys.stderr.write(f"ganlab: error: {where}{exc.strerror or exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("\nganlab: interrupted; nothing more was written\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
