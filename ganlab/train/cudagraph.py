"""The fast step on CUDA: one Algorithm-1 iteration (k D updates, then one G update)
captured once as a CUDA graph and replayed, so an iteration costs one launch instead of
hundreds of small kernels, each queued by Python.

The same ``Trainer`` methods run eagerly on the CPU, and on CUDA whenever an iteration
cannot be captured (``graph_blocker`` says why). A change of settings, a rollback that
clears the optimisers, or a loaded checkpoint makes the graph stale; the next ``advance``
captures a new one, once. This module reads and drives the trainer through ``Capturable``,
the part of it that a graph needs; the trainer does its own counting.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from typing import Any, Protocol

import torch
from torch.torch_version import TorchVersion

from ganlab.config import Config
from ganlab.train.device import device_label

__all__ = [
    "GRAPHS_ENV",
    "WARMUP",
    "Capturable",
    "IterationGraph",
    "capture",
    "graph_blocker",
    "run_iterations",
    "fast_path",
    "device_text",
    "warm_up",
]

GRAPHS_ENV = "GANLAB_CUDA_GRAPHS"  # "0" turns the graphs off (eager steps on CUDA too)
WARMUP = 3  # eager iterations on a side stream before a capture (real, counted iterations)

_failed_here: str | None = None  # a capture failed in this process: no more tries in it


class Capturable(Protocol):
    """What a CUDA graph needs of a trainer (ganlab.train.Trainer is one)."""

    cfg: Config
    device: torch.device
    rng: torch.Generator
    G_ema: torch.nn.Module | None
    D: torch.nn.Module
    opt_d: torch.optim.Optimizer
    opt_g: torch.optim.Optimizer
    loss_d: torch.Tensor
    loss_g: torch.Tensor
    capturing: bool  # True while an iteration is being recorded: the EMA then reads ema_weight
    ema_weight: torch.Tensor  # 1 - beta of the next EMA update, filled before each replay
    _graph: Any  # the trainer's IterationGraph, or None

    def iteration(self) -> None: ...
    def step(self) -> None: ...
    def set_decayed_lr(self) -> None: ...
    def ema_beta(self) -> float: ...
    def decaying(self) -> bool: ...
    def graph_key(self) -> tuple: ...
    def graph_parts(self) -> tuple: ...
    def uncounted(self) -> contextlib.AbstractContextManager: ...
    def count_iteration(self) -> None: ...


def graph_blocker(trainer: Capturable) -> str | None:
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


def run_iterations(trainer: Capturable, n: int) -> None:
    """n iterations: replays of the captured graph where possible, else eager steps."""
    graph = trainer._graph
    if graph_blocker(trainer):
        graph = None
    elif graph is None or not graph.matches(trainer):
        trainer._graph = graph = None  # stale: let its memory go before a new capture
        if n > WARMUP:
            warm_up(trainer)
            n -= WARMUP
            graph = capture(trainer)
    trainer._graph = graph
    if graph is not None:
        graph.replay(trainer, n)
        return
    for _ in range(n):
        trainer.step()


def fast_path(trainer: Capturable) -> str:
    """How iterations run now, in words: "CUDA graph" or "eager (why)"."""
    blocker = graph_blocker(trainer)
    if blocker:
        return f"eager ({blocker})"
    if trainer._graph is not None and trainer._graph.matches(trainer):
        return "CUDA graph"
    return f"CUDA graph (recorded at the next run of more than {WARMUP} iterations)"


def device_text(trainer: Capturable) -> str:
    """The device for captions: "CPU", or the GPU's name and how iterations run on it."""
    if trainer.device.type != "cuda":
        return device_label(trainer.device)
    return f"{device_label(trainer.device)}, {fast_path(trainer)}"


def warm_up(trainer: Capturable) -> None:
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

    def __init__(self, trainer: Capturable) -> None:
        self.key, self.parts = trainer.graph_key(), trainer.graph_parts()
        self.graph = torch.cuda.CUDAGraph()
        register = getattr(self.graph, "register_generator_state", None)
        if register is not None:  # needed before PyTorch 2.14, a no-op (deprecated) from then on
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning))
                register(trainer.rng)
        trainer.capturing = True
        try:
            with trainer.uncounted():  # the capture runs nothing: it is not an iteration
                with torch.cuda.graph(self.graph, capture_error_mode="thread_local"):
                    trainer.iteration()
                self.loss_d, self.loss_g = trainer.loss_d, trainer.loss_g  # the graph's outputs
        finally:
            trainer.capturing = False

    def matches(self, trainer: Capturable) -> bool:
        """True while the trainer's settings and objects are the ones this graph recorded."""
        return self.key == trainer.graph_key() and all(
            a is b for a, b in zip(self.parts, trainer.graph_parts(), strict=True)
        )

    def replay(self, trainer: Capturable, n: int) -> None:
        """n more iterations; the losses are copied out once, after the last."""
        if n <= 0:
            return
        ema = trainer.G_ema is not None
        for _ in range(n):
            trainer.set_decayed_lr()
            if ema:
                trainer.ema_weight.fill_(1 - trainer.ema_beta())
            self.graph.replay()
            trainer.count_iteration()
        trainer.loss_d, trainer.loss_g = self.loss_d.clone(), self.loss_g.clone()


def capture(trainer: Capturable) -> IterationGraph | None:
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


def _unstick_generators(trainer: Capturable) -> None:
    """Give the trainer's generator and CUDA's default one fresh states at the same seed and
    offset: up to PyTorch 2.11 a capture that fails leaves them marked as capturing, and every
    later random draw on them raises."""
    index = trainer.device.index if trainer.device.index is not None else torch.cuda.current_device()
    for gen in (trainer.rng, torch.cuda.default_generators[index]):
        with contextlib.suppress(Exception):  # best effort: the eager steps say if it did not work
            fresh = torch.Generator(device=trainer.device)
            fresh.set_state(gen.get_state())
            gen.graphsafe_set_state(fresh)
