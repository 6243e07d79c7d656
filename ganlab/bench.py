"""`ganlab bench`: the trainer against a textbook PyTorch loop of the same model, same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ganlab.config import Config
from ganlab.data import get_distribution
from ganlab.figures.kinds import FIGURES
from ganlab.figures.spec import spec_json
from ganlab.models import Discriminator, Generator
from ganlab.presets import BENCH_PRESETS, get_preset
from ganlab.snapshot import take_snapshot
from ganlab.train import Trainer
from ganlab.train.device import device_label, resolve_device

__all__ = [
    "run_bench",
    "ensemble_rate",
    "format_table",
    "textbook_loop",
    "frame_ms",
    "device_sync",
    "BENCH_PRESETS",
]


ROUNDS = 6  # each loop is timed in this many slices, the loops taking turns


def _rates(steps: Sequence[Callable[[], None]], seconds: float, sync: Callable[[], None]) -> list[float]:
    """Calls per second of each of ``steps`` over about ``seconds`` each, after a warm-up of
    a few calls (at most a fifth of that time: an MNIST step takes a tenth of a second on a
    CPU). The loops take turns in short slices, in the order A B B A A B ..., so a machine
    whose speed drifts during the run (a shared VM: ±30 % within minutes here) slows them
    alike and their ratio holds."""
    for step in steps:
        start = time.perf_counter()
        for _ in range(20):
            step()
            if time.perf_counter() - start > seconds / 5:
                break
        sync()
    calls, spent = [0] * len(steps), [0.0] * len(steps)
    for turn in range(ROUNDS):
        for i in range(len(steps)) if turn % 2 == 0 else reversed(range(len(steps))):
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds / ROUNDS:
                steps[i]()
                n += 1
                if n % 10 == 0:
                    sync()
            sync()
            calls[i] += n
            spent[i] += time.perf_counter() - start
    return [n / t for n, t in zip(calls, spent)]


def _four_figures(x: float) -> float:
    """``x`` to four significant figures: 608.1 and 8.712 alike (a fixed 0.1 lost 1 % at 8 steps/s)."""
    return float(f"{x:.4g}")


def textbook_loop(cfg: Config) -> Callable[[], None]:
    """One Algorithm-1 iteration written as the common tutorials write it (pytorch/examples
    dcgan): a DataLoader, per-step ``.to(device)``, two D passes, separate
    zero_grad/backward/step, and ``.item()`` for logging every step."""
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    n = cfg.batch_size * cfg.pack  # a minibatch of m packs of D's inputs, as the trainer's
    dist = get_distribution(cfg.p_data)
    if cfg.kind == "mnist":  # the 50,000 training images as floats, as a tutorial's Dataset gives them
        data = dist.images("cpu").float().div(255.0)
    else:
        data = dist.sample(100_000, torch.Generator().manual_seed(cfg.seed), torch.device("cpu"))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data), batch_size=n, shuffle=True, drop_last=True
    )
    netG, netD = Generator(cfg).to(device), Discriminator(cfg).to(device)
    criterion = nn.BCEWithLogitsLoss()
    optD = torch.optim.Adam(netD.parameters(), lr=cfg.lr_d, betas=(cfg.momentum, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=cfg.lr_g, betas=(cfg.momentum, 0.999))
    batches = iter(loader)
    log: list[tuple[float, float]] = []

    def next_batch() -> torch.Tensor:
        nonlocal batches
        try:
            return next(batches)[0]
        except StopIteration:
            batches = iter(loader)
            return next(batches)[0]

    def noise(m: int) -> torch.Tensor:
        return (
            torch.randn(m, cfg.latent_dim) if cfg.noise == "normal" else torch.rand(m, cfg.latent_dim) * 2 - 1
        ).to(device)

    def packed(x: torch.Tensor) -> torch.Tensor:  # PacGAN: D sees cfg.pack samples at once
        return x.reshape(-1, cfg.pack * x.shape[1])

    def step() -> None:
        for _ in range(cfg.k):
            real = next_batch().to(device)
            m = real.size(0) // cfg.pack
            netD.zero_grad()
            err_real = criterion(netD(packed(real)), torch.ones(m, 1, device=device))
            err_real.backward()
            fake = netG(noise(real.size(0)))
            err_fake = criterion(netD(packed(fake.detach())), torch.zeros(m, 1, device=device))
            err_fake.backward()
            optD.step()
        netG.zero_grad()
        fake = netG(noise(n))
        err_g = criterion(netD(packed(fake)), torch.ones(cfg.batch_size, 1, device=device))
        err_g.backward()
        optG.step()
        log.append(((err_real + err_fake).item(), err_g.item()))

    return step


def frame_ms(trainer: Trainer, repeats: int = 15) -> float:
    """Median time to build one dashboard frame as the live view does while playing: a light
    snapshot (the costly metrics come once a second, not every frame) and its chart JSON."""
    specs = FIGURES[trainer.cfg.kind].frame

    def frame() -> None:
        for spec in specs(take_snapshot(trainer, metrics=False, densities=False)):
            spec_json(spec)

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        frame()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times[1:])


def device_sync(dev: torch.device) -> Callable[[], None]:
    """A function that waits until the device has done the work queued on it (CPU: nothing)."""
    return (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)


def _peak_memory_mib(dev: torch.device) -> float:
    """Peak device memory since the last reset (CUDA), or the process's peak RSS (CPU)."""
    if dev.type == "cuda":
        return torch.cuda.max_memory_allocated(dev) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def ensemble_rate(gans: int, device: str = "auto", seconds: float = 2.0, preset: str = "paper-1d") -> dict:
    """The batched trainer of ``gans`` GANs of ``preset`` (seeds 0..) against one Trainer of it,
    the two taking turns in the same run: GAN-iterations per second of each, their ratio, and
    the memory the ensemble holds per GAN (its process's resident memory before and after)."""
    from ganlab.train.ensemble import Ensemble, memory_friendly_malloc

    memory_friendly_malloc()
    cfg = get_preset(preset).config.replace(device=device)
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.cuda.init()  # so that `before` reads the device's memory, as the reading after does
    before = _resident_mib()
    ensemble = Ensemble([cfg.replace(seed=s) for s in range(gans)])
    trainer = Trainer(cfg)
    batch_calls, trainer_calls = _rates(
        [lambda: ensemble.advance(1), lambda: trainer.advance(10)], seconds, device_sync(dev)
    )
    gan_rate, single = batch_calls * gans, trainer_calls * 10
    return {
        "preset": preset,
        "gans": gans,
        "gan_steps_per_s": _four_figures(gan_rate),
        "trainer_steps_per_s": _four_figures(single),
        "ratio": round(gan_rate / single, 2),
        "mib_per_gan": round(max(_resident_mib() - before, 0.0) / gans, 3),
        "passes": _passes(ensemble, dev),
    }


def _passes(ensemble, dev: torch.device) -> str:
    """Which passes the batched trainer ran: fused C (ganlab.train.native) or PyTorch's, and why."""
    from ganlab.train import native

    if ensemble.native is not None:
        return f"fused C passes ({native.describe()})"
    return "PyTorch passes" + (f" (fused C passes {native.describe()})" if dev.type == "cpu" else "")


def _resident_mib() -> float:
    """The process's resident memory now (Linux; 0 elsewhere), or on CUDA the memory allocated."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.memory_allocated() / 2**20
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20
    except OSError:
        return 0.0


def run_bench(
    device: str = "auto",
    seconds: float = 2.0,
    progress: Callable[[str, float], None] | None = None,
    presets: Sequence[str] = BENCH_PRESETS,
    ensemble: int = 0,
) -> dict:
    """Steps per second of the trainer and of the textbook loop for each preset, same run;
    one dashboard frame's build time; peak memory; with ``ensemble`` GANs, the batched trainer
    against one Trainer (ensemble_rate)."""
    dev = resolve_device(device)
    sync = device_sync(dev)
    results = []
    for i, name in enumerate(presets):
        cfg = get_preset(name).config.replace(device=device)
        if progress:
            progress(f"benchmarking {name}", i / len(presets))
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(dev)
        trainer = Trainer(cfg)
        # Iterations per guarded call (the guard syncs once per call). On CUDA, enough that the
        # iteration is captured (a capture warms up on a few eager iterations first).
        per_call = 10 if cfg.kind != "mnist" or dev.type == "cuda" else 2
        calls, textbook_rate = _rates(
            [lambda t=trainer, n=per_call: t.advance(n), textbook_loop(cfg)], seconds, sync
        )
        trainer_rate = calls * per_call
        results.append(
            {
                "preset": name,
                "batch": cfg.batch_size,
                "k": cfg.k,
                "trainer_steps_per_s": _four_figures(trainer_rate),
                "textbook_steps_per_s": _four_figures(textbook_rate),
                "ratio": round(trainer_rate / textbook_rate, 3),
                "frame_ms": round(frame_ms(trainer), 2),
                "peak_mib": round(_peak_memory_mib(dev), 1),
                "fast_path": trainer.fast_path,
            }
        )
    report = {
        "device": "cpu" if dev.type == "cpu" else device_label(dev),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "peak_memory": "peak RSS of the process" if dev.type == "cpu" else "peak CUDA memory allocated",
        "results": results,
    }
    if ensemble:
        if progress:
            progress(f"benchmarking {ensemble} GANs at once", 0.95)
        report["ensemble"] = ensemble_rate(ensemble, device, seconds)
    if progress:
        progress("done", 1.0)
    return report


def format_table(report: dict) -> str:
    """The report as an aligned text table."""
    head = (
        f"device: {report['device']}   torch {report['torch']}   threads {report['threads']}   "
        f"peak_mib: {report['peak_memory']}\n"
    )
    cols = (
        "preset",
        "batch",
        "k",
        "trainer_steps_per_s",
        "textbook_steps_per_s",
        "ratio",
        "frame_ms",
        "peak_mib",
        "fast_path",
    )
    rows = [cols] + [tuple(str(r[c]) for c in cols) for r in report["results"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    table = head + "\n".join("  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows)
    if "ensemble" in report:
        e = report["ensemble"]
        table += (
            f"\n\n{e['gans']} GANs of {e['preset']} at once: {e['gan_steps_per_s']:,.0f} GAN-iterations/s "
            f"against {e['trainer_steps_per_s']:,.0f} iterations/s of one trainer ({e['ratio']}x), "
            f"{e['mib_per_gan']} MiB per GAN; {e['passes']}"
        )
    return table
