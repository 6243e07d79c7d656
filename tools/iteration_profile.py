"""What one training iteration costs: kernels (or CPU ops) launched per eager iteration, and
the time per iteration of eager steps and of the trainer's own path (CUDA graph replays on a
GPU), with the device idle in between only where the host is the bottleneck.

    python tools/iteration_profile.py --preset paper-1d --device cuda [--fused-adam]

``--fused-adam`` swaps the trainer's Adam for PyTorch's fused one (one kernel per step
instead of a dozen foreach ones; the trainer already uses it on the CPU), to measure whether
the GPU path should too.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ganlab.bench import device_sync  # noqa: E402
from ganlab.presets import get_preset  # noqa: E402
from ganlab.train import Trainer  # noqa: E402


def per_iteration_s(trainer: Trainer, n: int, eager: bool) -> float:
    """Seconds per iteration over n iterations (after the device has finished them)."""
    sync = device_sync(trainer.device)
    sync()
    start = time.perf_counter()
    if eager:
        for _ in range(n):
            trainer.step()
    else:
        assert trainer.advance(n)
    sync()
    return (time.perf_counter() - start) / n


def use_fused_adam(trainer: Trainer) -> None:
    """Replace the trainer's Adam optimisers by fused ones with the same settings (a captured
    graph holds the optimisers it recorded, so the next advance records a new one)."""
    for name in ("opt_d", "opt_g"):
        kind = type(getattr(trainer, name)).__name__
        if kind != "Adam":
            raise SystemExit(f"--fused-adam: this preset's optimiser is {kind}")
        group = getattr(trainer, name).param_groups[0]
        opt = torch.optim.Adam(
            group["params"], lr=group["lr"], betas=group["betas"], fused=True, capturable=group["capturable"]
        )
        opt._warned_capturable_if_run_uncaptured = True
        setattr(trainer, name, opt)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="paper-1d")
    p.add_argument("--device", default="auto")
    p.add_argument("--n", type=int, default=200, help="iterations per timing")
    p.add_argument("--fused-adam", action="store_true", help="PyTorch's fused Adam in place of the trainer's")
    args = p.parse_args()
    trainer = Trainer(get_preset(args.preset).config.replace(device=args.device))
    if args.fused_adam:
        use_fused_adam(trainer)
    assert trainer.advance(10)  # warm: optimiser state, a graph where one applies
    cuda = trainer.device.type == "cuda"
    activities = [ProfilerActivity.CUDA] if cuda else [ProfilerActivity.CPU]
    sync = device_sync(trainer.device)
    with profile(activities=activities) as prof:
        for _ in range(5):
            trainer.step()
        sync()  # the kernels of all five have run
    events = [e for e in prof.events() if (e.device_type.name == "CUDA") == cuda]
    kernels = [e for e in events if not cuda or "Memcpy" not in e.name]
    adam = type(trainer.opt_g).__name__, "fused" if trainer.opt_g.param_groups[0].get("fused") else "foreach"
    print(f"{args.preset} on {trainer.device_text} ({' '.join(adam)})")
    print(f"  {'kernels' if cuda else 'CPU ops'} per eager iteration: {len(kernels) / 5:.0f}")
    eager = per_iteration_s(trainer, args.n, eager=True)
    fast = per_iteration_s(trainer, args.n, eager=False)
    print(f"  eager steps:       {1e6 * eager:8.1f} us per iteration ({1 / eager:8.0f} /s)")
    print(f"  trainer.advance(): {1e6 * fast:8.1f} us per iteration ({1 / fast:8.0f} /s)")
    print(f"  path: {trainer.fast_path}")


if __name__ == "__main__":
    main()
