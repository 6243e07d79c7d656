"""The fast step on CUDA: one Algorithm-1 iteration (k D updates, then one G update)
captured once as a CUDA graph and replayed, so an iteration costs one launch instead of
hundreds of small kernels, each queued by Python.

The same ``Trainer`` methods run eagerly on the CPU, and on CUDA whenever an iteration
cannot be captured (``graph_blocker`` says why). A change of settings, a rollback that
clears the optimisers, or a loaded checkpoint makes the graph stale; the next ``advance``
captures a new one, once.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
from torch.torch_version import TorchVersion

if TYPE_CHECKING:
    from ganlab.train import Trainer

__all__ = [
    "GRAPHS_ENV",
    "WARMUP",
    "IterationGraph",
    "capture",
    "cuda_lock",
    "graph_blocker",
    "tf32",
    "warm_up",
]

GRAPHS_ENV = "GANLAB_CUDA_GRAPHS"  # "0" turns the graphs off (eager steps on CUDA too)
WARMUP = 3  # eager iterations on a side stream before a capture (real, counted iterations)

# One trainer at a time works on the GPU (dashboard sessions share a process): while one
# records a graph, the caching allocator is in capture mode, and another thread's allocation
# would break the recording or itself.
_CUDA_LOCK = threading.RLock()
_failed_here: str | None = None  # a capture failed in this process: no more tries in it


def cuda_lock(device: torch.device) -> contextlib.AbstractContextManager:
    """The process-wide lock for GPU work, on CUDA; no lock on the CPU."""
    return _CUDA_LOCK if device.type == "cuda" else contextlib.nullcontext()


def graph_blocker(trainer: Trainer) -> str | None:
    """Why the trainer's iterations run eagerly now, in words; None when they can be captured."""
    cfg = trainer.cfg
    if trainer.device.type != "cuda":
        return "not on CUDA"
    if os.environ.get(GRAPHS_ENV, "1") == "0":
        return f"{GRAPHS_ENV}=0"
    if TorchVersion(torch.__version__) < (2, 4):
        return f"PyTorch {torch.__version__} cannot record a seeded generator in a graph (2.4 can)"
    if _failed_here:
        return f"a CUDA graph capture failed in this process: {_failed_here}"
    if cfg.r1:
        return "the R1 penalty needs a double backward"
    if cfg.instance_noise:
        return "instance noise changes its strength every step"
    if cfg.optimizer == "sgd" and trainer.decaying():
        return "SGD's learning rate is a number fixed in the graph, and it is decaying"
    return None


@contextlib.contextmanager
def tf32(device: torch.device) -> Iterator[None]:
    """TensorFloat-32 matrix products on CUDA while training (10-bit mantissas in the products,
    float32 accumulation: the pictures do not change), restored afterwards so that metrics
    computed elsewhere keep full float32."""
    if device.type != "cuda":
        yield
        return
    old = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(old)


def warm_up(trainer: Trainer) -> None:
    """WARMUP ordinary iterations on a side stream, as a capture needs before it (cuBLAS
    handles, optimiser state, autograd's streams); they train and count like any other."""
    side = torch.cuda.Stream(trainer.device)
    side.wait_stream(torch.cuda.current_stream(trainer.device))
    with torch.cuda.stream(side):
        for _ in range(WARMUP):
            trainer.step()
    torch.cuda.current_stream(trainer.device).wait_stream(side)


class IterationGraph:
    """One captured iteration of ``trainer``; ``replay`` runs it again on fresh minibatches.

    Minibatches, noise and dropout masks are drawn inside the graph from the trainer's
    generator, registered with the graph, so no data crosses from the host. Numbers that
    change from one iteration to the next (Adam's learning rates under decay, the EMA weight)
    live in device tensors that are filled before each replay. The graph keeps the networks,
    optimisers and data it was recorded with alive, and is used only while the trainer still
    has those very objects.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.key, self.parts = trainer.graph_key(), trainer.graph_parts()
        self.graph = torch.cuda.CUDAGraph()
        register = getattr(self.graph, "register_generator_state", None)
        if register is not None:  # needed before PyTorch 2.14, a no-op (deprecated) from then on
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning))
                register(trainer.rng)
        names = ("d_updates", "g_updates", "ema_updates", "loss_d", "loss_g")
        counters = [getattr(trainer, name) for name in names]
        trainer.capturing = True
        try:
            with torch.cuda.graph(self.graph, capture_error_mode="thread_local"):
                trainer.iteration()
            self.loss_d, self.loss_g = trainer.loss_d, trainer.loss_g  # the graph's outputs
        finally:  # the capture ran nothing: undo its counting
            trainer.capturing = False
            for name, value in zip(names, counters):
                setattr(trainer, name, value)

    def matches(self, trainer: Trainer) -> bool:
        """True while the trainer's settings and objects are the ones this graph recorded."""
        return self.key == trainer.graph_key() and all(
            a is b for a, b in zip(self.parts, trainer.graph_parts(), strict=True)
        )

    def replay(self, trainer: Trainer, n: int) -> None:
        """n more iterations; the losses are copied out once, after the last."""
        if n <= 0:
            return
        k, ema = trainer.cfg.k, trainer.G_ema is not None
        for _ in range(n):
            trainer.set_decayed_lr()
            if ema:
                trainer.ema_weight.fill_(1 - trainer.ema_beta())
            self.graph.replay()
            trainer.d_updates += k
            trainer.g_updates += 1
            trainer.ema_updates += ema
        trainer.loss_d, trainer.loss_g = self.loss_d.clone(), self.loss_g.clone()


def capture(trainer: Trainer) -> IterationGraph | None:
    """A new graph of the trainer's iteration, or None when CUDA or PyTorch refuses it: then a
    warning, no more captures in this process (a failed capture can leave PyTorch's generators
    and allocator in capture mode), and the run goes on eagerly, with nothing lost."""
    global _failed_here
    stream = torch.cuda.current_stream(trainer.device)
    try:
        return IterationGraph(trainer)
    except Exception as err:  # e.g. an operation that synchronises with the host
        torch.cuda.set_stream(stream)  # torch.cuda.graph does not restore it when its end fails
        trainer.D.requires_grad_(True)  # in case the capture stopped inside the G update
        for opt in (trainer.opt_d, trainer.opt_g):
            opt.zero_grad(set_to_none=True)  # gradients may point into the abandoned graph's memory
        _unstick_generators(trainer)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        _failed_here = first[:200]
        warnings.warn(f"CUDA graph capture failed, training eagerly: {first}", RuntimeWarning, stacklevel=2)
        return None


def _unstick_generators(trainer: Trainer) -> None:
    """Give the trainer's generator and CUDA's default one fresh states at the same seed and
    offset: up to PyTorch 2.11 a capture that fails leaves them marked as capturing, and every
    later random draw on them raises."""
    index = trainer.device.index if trainer.device.index is not None else torch.cuda.current_device()
    for gen in (trainer.rng, torch.cuda.default_generators[index]):
        with contextlib.suppress(Exception):  # best effort: the eager steps say if it did not work
            fresh = torch.Generator(device=trainer.device)
            fresh.set_state(gen.get_state())
            gen.graphsafe_set_state(fresh)
