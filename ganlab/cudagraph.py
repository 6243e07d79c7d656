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
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from ganlab.train import Trainer

__all__ = ["GRAPHS_ENV", "IterationGraph", "graph_blocker", "tf32"]

GRAPHS_ENV = "GANLAB_CUDA_GRAPHS"  # "0" turns the graphs off (eager steps on CUDA too)
WARMUP = 3  # eager iterations on a side stream before a capture (real, counted iterations)


def graph_blocker(trainer: Trainer) -> str | None:
    """Why the trainer's iterations run eagerly now, in words; None when they can be captured."""
    cfg = trainer.cfg
    if trainer.device.type != "cuda":
        return "not on CUDA"
    if os.environ.get(GRAPHS_ENV, "1") == "0":
        return f"{GRAPHS_ENV}=0"
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
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


class IterationGraph:
    """One captured iteration of ``trainer``; ``replay`` runs it again on fresh minibatches.

    Minibatches, noise and dropout masks are drawn inside the graph (from the trainer's
    generator, registered with the graph, and CUDA's default one), so no data crosses from the
    host. Numbers that change from one iteration to the next (Adam's learning rates under
    decay, the EMA weight) live in device tensors that are filled before each replay.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.key = trainer.graph_key()
        side = torch.cuda.Stream(trainer.device)
        side.wait_stream(torch.cuda.current_stream(trainer.device))
        with torch.cuda.stream(side):  # warm-up: cuBLAS handles, optimiser state, autograd's streams
            for _ in range(WARMUP):
                trainer.step()
        torch.cuda.current_stream(trainer.device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        register = getattr(self.graph, "register_generator_state", None)
        if register is not None:  # older PyTorch needs this; newer registers generators lazily
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

    def replay(self, trainer: Trainer, n: int) -> None:
        """n (>= 1) more iterations; the losses are copied out once, after the last."""
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
    """A new graph of the trainer's iteration, or None (with a warning, once per key) when
    the capture fails: the run then goes on eagerly, and nothing is lost."""
    try:
        return IterationGraph(trainer)
    except Exception as err:  # a capture refused by CUDA or PyTorch: fall back to eager steps
        for opt in (trainer.opt_d, trainer.opt_g):
            opt.zero_grad(set_to_none=True)  # gradients may point into the abandoned graph's memory
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        warnings.warn(f"CUDA graph capture failed, training eagerly: {first}", RuntimeWarning, stacklevel=2)
        return None
