"""The batched parts of the ensemble (ganlab.train.ensemble): one player's networks of many
GANs as stacked matrices, with hand-written forward and backward passes (autograd's for R1
only), and an optimiser step for every GAN at once."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.functional import leaky_relu, silu

from ganlab.config import ConfigError

__all__ = ["Stack", "BatchedOptimizer", "memory_friendly_malloc"]

ADAM_BETA2, ADAM_EPS = 0.999, 1e-8  # torch.optim.Adam's defaults, as the trainer's


@functools.cache
def memory_friendly_malloc() -> bool:
    """Keep freed memory for reuse instead of giving it back to the system (glibc's mallopt).

    The batched activations are tens of MB; by default glibc maps each such block afresh and
    unmaps it when freed, so every training step faulted in ~7,300 fresh pages (256 GANs of
    paper-1d): 58 against 47 ms a step here. Returns False where there is no glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 1 << 30)) and bool(mallopt(m_trim_threshold, (1 << 31) - 1))


class _Linear(torch.autograd.Function):
    """``_linear`` for autograd (R1's passes), with the products of its backward taken in the
    orientations the hand-written passes use (``_linear_input_grad``, ``_linear_weight_grad``)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return _linear(x, w, b)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        dx = _linear_input_grad(dy, w) if ctx.needs_input_grad[0] else None
        dw = _linear_weight_grad(x, dy, w).reshape(w.shape) if ctx.needs_input_grad[1] else None
        db = dy.sum(1, keepdim=True) if ctx.needs_input_grad[2] else None
        return dx, dw, db


def _slope(module: nn.Module) -> float | None:
    """The units of ``module`` as every pass here takes them: a rectifier's slope below 0
    (LeakyReLU's, 0 for ReLU), or None for SiLU."""
    if isinstance(module, nn.SiLU):
        return None
    if isinstance(module, nn.ReLU):
        return 0.0
    if isinstance(module, nn.LeakyReLU):
        return module.negative_slope
    raise ConfigError(f"the batched trainer has no {type(module).__name__} units")


def _unit(a: torch.Tensor, slope: float | None) -> torch.Tensor:
    """The units on ``a``: SiLU (slope None), or a rectifier written over ``a``."""
    return silu(a) if slope is None else leaky_relu(a, slope, inplace=True)


class Stack:
    """One player's networks of every GAN: their weights in one flat (n, parameters) tensor,
    seen layer by layer as (n, in, out) matrices and (n, 1, out) biases."""

    def __init__(self, nets: Sequence[nn.Sequential], device: torch.device) -> None:
        linear = [m for m in nets[0] if isinstance(m, nn.Linear)]
        self.shapes = [(m.in_features, m.out_features) for m in linear]
        self.slopes = [_slope(m) for m in nets[0] if not isinstance(m, nn.Linear)]
        size = sum(i * o + o for i, o in self.shapes)
        flat = torch.empty(len(nets), size, dtype=torch.float32)
        for row, net in zip(flat, nets):
            at = 0
            for m in (m for m in net if isinstance(m, nn.Linear)):
                w = m.weight.detach().t().reshape(-1)  # stored as (in, out): x @ W
                row[at : at + w.numel()] = w
                at += w.numel()
                row[at : at + m.out_features] = m.bias.detach()
                at += m.out_features
        self.flat = flat.to(device).requires_grad_(True)

    def layers(self, flat: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        n, out, at = flat.shape[0], [], 0
        for i, o in self.shapes:
            out.append(
                (flat[:, at : at + i * o].view(n, i, o), flat[:, at + i * o : at + i * o + o].view(n, 1, o))
            )
            at += i * o + o
        return out

    @torch.no_grad()
    def forward(self, x: torch.Tensor, flat: torch.Tensor | None = None) -> torch.Tensor:
        """x (n, B, in) -> (n, B, out) through every GAN's own network (no gradients)."""
        layers = self.layers((self.flat if flat is None else flat).detach())
        return self.forward_saving(x, layers, save=False)[0]

    def grad(self, total: torch.Tensor, layers: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """d total / d flat, as a new (n, parameters) tensor, from the layers ``total`` used.

        Taken with respect to the layers' views and joined once: through the flat tensor,
        every view's gradient would be a zero (n, parameters) tensor with its slice filled
        in, and these summed (1.2 of 43 ms a step, 256 GANs of paper-1d)."""
        views = [t for pair in layers for t in pair]
        grads = torch.autograd.grad(total, views)
        return torch.cat([g.reshape(g.shape[0], -1) for g in grads], 1)

    def run(self, x: torch.Tensor, layers: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """x (n, B, in) -> (n, B, out) through ``layers`` (as ``layers`` gives them), recorded
        by autograd (for R1, whose gradient is a gradient of a gradient)."""
        for j, (w, b) in enumerate(layers):
            x = _Linear.apply(x, w, b)
            if j < len(layers) - 1:
                x = _unit(x, self.slopes[j])
        return x

    # -- the same networks with hand-written passes (no autograd graph) -----------------------
    def forward_saving(
        self, x: torch.Tensor, layers: list[tuple[torch.Tensor, torch.Tensor]], save: bool = True
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor | None]]]:
        """x (n, B, in) -> (n, B, out), and what ``backward`` needs: each layer's input and its
        units' state (a rectifier's output, SiLU's input). The rectifiers work in place."""
        saved = []
        for j, (w, b) in enumerate(layers):
            a = _linear(x, w, b)
            if j == len(layers) - 1:
                saved.append((x, None))
                return a, saved
            h = _unit(a, self.slopes[j])
            if save:
                saved.append((x, a))
            x = h
        raise AssertionError("a network has at least one layer")

    def backward(
        self,
        saved: list[tuple[torch.Tensor, torch.Tensor | None]],
        layers: list[tuple[torch.Tensor, torch.Tensor]],
        dy: torch.Tensor,
        weights: bool = True,
        inputs: bool = False,
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """From d loss / d output (n, B, out): d loss / d input when ``inputs``, and d loss /
        d flat as a new (n, parameters) tensor when ``weights``.

        No pass over the activations is spent on a product that a small matrix can take: the
        gradient below the one-output layer is carried as g * scale, g (n, B, in) from the units'
        backward of d loss / d output broadcast along the units, scale (n, 1, in) the layer's
        weights, and the scale is applied to the next layer's small weight matrices and
        gradients instead (0.55 against 1.4 ms for 256 x 512 x 32 units here). The units'
        other backward passes write over the gradient they are given."""
        grads: list[torch.Tensor] = []
        scale: torch.Tensor | None = None  # the true gradient is dy * scale
        for j in reversed(range(len(layers))):
            w, b = layers[j]
            x, _ = saved[j]
            if scale is not None:
                w = w * scale
            if weights:
                db = dy.sum(1)
                grads.append(db if scale is None else db * scale.view(db.shape))
                dw = _linear_weight_grad(x, dy, w)
                grads.append(dw if scale is None else dw * scale)
            if j == 0 and not inputs:
                return None, _join(grads) if weights else None
            if j == 0:
                return _linear_input_grad(dy, w), _join(grads) if weights else None
            state, slope = saved[j - 1][1], self.slopes[j - 1]
            if w.shape[2] == 1:  # d/dx of the one-output layer: dy w^T, taken by the next layer
                width = w.shape[1]
                dy, scale = _unit_grad(dy.expand(-1, -1, width), state, slope, False), w.transpose(1, 2)
            else:
                dy, scale = _unit_grad(_linear_input_grad(dy, w), state, slope, True), None
        raise AssertionError("a network has at least one layer")


def _linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x (n, B, in) @ w (n, in, out) + b, in the orientation that runs fastest: a layer with one
    input as an outer product (a matrix product with an inner size of 1 wastes most of its
    time); one with one output as a row times a matrix, w^T x^T (MKL's batched
    matrix-times-column ran 3.7x slower here, and 15x for its weight gradient)."""
    if w.shape[1] == 1:
        return torch.addcmul(b, x, w)
    if w.shape[2] == 1:
        return torch.bmm(w.transpose(1, 2), x.transpose(1, 2)).transpose(1, 2).add_(b)
    return torch.baddbmm(b, x, w)


def _unit_grad(dy: torch.Tensor, state: torch.Tensor, slope: float | None, inplace: bool) -> torch.Tensor:
    """The units' backward: from d loss / d output to d loss / d input, written over ``dy``
    when ``inplace``. ``state``: a rectifier's output (slope), or SiLU's input (slope None)."""
    if slope is None:
        if inplace:
            return torch.ops.aten.silu_backward.grad_input(dy, state, grad_input=dy)
        return torch.ops.aten.silu_backward(dy, state)
    if inplace:
        return torch.ops.aten.leaky_relu_backward.grad_input(dy, state, slope, True, grad_input=dy)
    return torch.ops.aten.leaky_relu_backward(dy, state, slope, True)


def _join(grads: list[torch.Tensor]) -> torch.Tensor:
    """The (n, parameters) flat gradient from each layer's [d bias, d weight], last layer first."""
    n = grads[0].shape[0]
    return torch.cat([g.reshape(n, -1) for g in reversed(grads)], 1)


def _linear_weight_grad(x: torch.Tensor, dy: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """d loss / d w of ``_linear`` (as w's own (in, out) layout, flattened alike)."""
    if w.shape[2] == 1:  # (n, 1, in): the same numbers in the same order as (n, in, 1)
        return torch.bmm(dy.transpose(1, 2), x)
    return torch.bmm(x.transpose(1, 2), dy)


def _linear_input_grad(dy: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """d loss / d x of ``_linear``, as a new tensor (the units' backward writes over it): for
    one input w dy^T (1.7x faster here than dy w^T), for one output an elementwise product
    (as a matrix product it was an outer product: twice the time)."""
    if w.shape[1] == 1:
        return torch.bmm(w, dy.transpose(1, 2)).transpose(1, 2).contiguous()
    if w.shape[2] == 1:
        return dy * w.transpose(1, 2)
    return torch.bmm(dy, w.transpose(1, 2))


def _finite_rows(x: torch.Tensor) -> torch.Tensor:
    """(n, 1): whether every number of each row of x (n, size) is finite.

    A row whose sum is finite is (a NaN or an infinity makes the sum one); only rows whose
    sum is not are looked at number by number (their sum may have overflowed). One pass
    over x where ``isfinite`` takes four."""
    finite = torch.isfinite(x.sum(1, keepdim=True))
    if not bool(finite.all()):
        finite = torch.isfinite(x).all(1, keepdim=True)
    return finite


class BatchedOptimizer:
    """Adam or SGD with momentum on a flat (n, parameters) tensor, each GAN with its own learning
    rate and beta1 / momentum, as torch.optim's make each step; a step leaves the GANs outside
    ``mask``, and any whose weights it would make non-finite, as they were."""

    def __init__(self, kind: str, flat: torch.Tensor, beta1: torch.Tensor) -> None:
        self.beta1 = beta1  # (n, 1)
        self.m = torch.zeros_like(flat, requires_grad=False)
        self.v = torch.zeros_like(self.m) if kind == "adam" else None
        self.steps = torch.zeros_like(beta1)  # each GAN's own count (k differs between GANs)

    @torch.no_grad()
    def step(self, p: torch.Tensor, grad: torch.Tensor, lr: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Step the rows of ``mask`` (n, 1); returns the rows that became non-finite (not applied)."""
        steps = self.steps + 1
        if self.v is not None:  # torch.optim.Adam's arithmetic, in as few passes as it allows
            m = torch.lerp(self.m, grad, 1 - self.beta1)
            v = torch.addcmul(self.v * ADAM_BETA2, grad, grad, value=1 - ADAM_BETA2)
            bc1, bc2 = 1 - self.beta1**steps, 1 - ADAM_BETA2**steps
            new = m / v.sqrt().div_(bc2.sqrt()).add_(ADAM_EPS)
            new = torch.addcmul(p, new, lr / bc1, value=-1)
        else:
            first = self.steps == 0  # torch's SGD: the first velocity is the gradient itself
            m = torch.where(first, grad, self.beta1 * self.m + grad)
            v = None
            new = p - lr * m
        bad = mask & ~_finite_rows(new)
        ok = mask & ~bad
        if not bool(ok.all()):
            new, m = torch.where(ok, new, p), torch.where(ok, m, self.m)
            v = torch.where(ok, v, self.v) if v is not None else None
        p.copy_(new)
        self.m, self.v = m, v
        self.steps += ok
        return bad
