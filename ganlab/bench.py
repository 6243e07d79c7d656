"""`ganlab bench`: the trainer against a textbook PyTorch loop of the same model, same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from ganlab.config import ToyConfig
from ganlab.models import Discriminator, Generator
from ganlab.presets import get_preset
from ganlab.train import Trainer, device_label, resolve_device

__all__ = ["run_bench", "format_table", "textbook_loop", "BENCH_PRESETS"]

BENCH_PRESETS = ("paper-1d", "paper-1d-k5")


def _rate(step: Callable[[], None], seconds: float, sync: Callable[[], None]) -> float:
    """Calls of ``step`` per second, timed for about ``seconds`` after a short warm-up."""
    for _ in range(20):
        step()
    sync()
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10):
            step()
        n += 10
        sync()
    return n / elapsed


def textbook_loop(cfg: ToyConfig) -> Callable[[], None]:
    """One Algorithm-1 iteration written as the common tutorials write it (pytorch/examples
    dcgan): a DataLoader, per-step ``.to(device)``, two D passes, separate
    zero_grad/backward/step, and ``.item()`` for logging every step."""
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    from ganlab.data import get_distribution

    data = get_distribution(cfg.p_data).sample(
        100_000, torch.Generator().manual_seed(cfg.seed), torch.device("cpu")
    )
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data), batch_size=cfg.batch_size, shuffle=True, drop_last=True
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

    def step() -> None:
        for _ in range(cfg.k):
            real = next_batch().to(device)
            m = real.size(0)
            netD.zero_grad()
            err_real = criterion(netD(real), torch.ones(m, 1, device=device))
            err_real.backward()
            fake = netG(noise(m))
            err_fake = criterion(netD(fake.detach()), torch.zeros(m, 1, device=device))
            err_fake.backward()
            optD.step()
        netG.zero_grad()
        fake = netG(noise(cfg.batch_size))
        err_g = criterion(netD(fake), torch.ones(cfg.batch_size, 1, device=device))
        err_g.backward()
        optG.step()
        log.append(((err_real + err_fake).item(), err_g.item()))

    return step


def _frame_ms(trainer: Trainer, repeats: int = 15) -> float:
    """Median time of one dashboard frame: snapshot, then the main chart's figure JSON."""
    from ganlab.plots import figure1_chart
    from ganlab.snapshot import take_snapshot

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        figure1_chart(take_snapshot(trainer)).to_json()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def run_bench(
    device: str = "auto", seconds: float = 2.0, progress: Callable[[str, float], None] | None = None
) -> dict:
    """Steps per second of the trainer and of the textbook loop for each preset, same run."""
    dev = resolve_device(device)
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    results = []
    for i, name in enumerate(BENCH_PRESETS):
        cfg = get_preset(name).config.replace(device=device)
        if progress:
            progress(f"benchmarking {name}", i / len(BENCH_PRESETS))
        trainer = Trainer(cfg)
        trainer_rate = _rate(lambda t=trainer: t.advance(10), seconds / 10, sync) * 10
        textbook_rate = _rate(textbook_loop(cfg), seconds, sync)
        results.append(
            {
                "preset": name,
                "batch": cfg.batch_size,
                "k": cfg.k,
                "trainer_steps_per_s": round(trainer_rate, 1),
                "textbook_steps_per_s": round(textbook_rate, 1),
                "ratio": round(trainer_rate / textbook_rate, 3),
                "frame_ms": round(_frame_ms(trainer), 2),
            }
        )
    if progress:
        progress("done", 1.0)
    return {
        "device": "cpu" if dev.type == "cpu" else device_label(dev),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "results": results,
    }


def format_table(report: dict) -> str:
    """The report as an aligned text table."""
    head = f"device: {report['device']}   torch {report['torch']}   threads {report['threads']}\n"
    cols = ("preset", "batch", "k", "trainer_steps_per_s", "textbook_steps_per_s", "ratio", "frame_ms")
    rows = [cols] + [tuple(str(r[c]) for c in cols) for r in report["results"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    return head + "\n".join("  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows)
