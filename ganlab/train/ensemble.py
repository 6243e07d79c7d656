"""Many GANs of one architecture trained at once: the batched trainer of the stability maps.

Each GAN is a ``Trainer`` run in miniature. Its networks are built from its own seed by the
same code (``seeded_networks``), so it starts from the Trainer's weights; it draws its
minibatches and noise from its own generator, seeded as the Trainer seeds its own, in the
same order; and it follows Algorithm 1 with its own learning rates, k, momentum and R1 γ. The
weights of all GANs sit in one flat tensor per player, (GANs, parameters), viewed layer by
layer as stacked matrices: one batched matrix product serves a layer of every GAN, and one
optimiser step every GAN's weights. A GAN whose step would make a weight non-finite is
frozen at its last finite state: its NaNs never reach another GAN, since nothing is shared
but the batched kernels.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import fields

import torch
from torch import nn
from torch.nn.functional import leaky_relu, silu, softplus

from ganlab.config import Config, ConfigError
from ganlab.data import get_distribution
from ganlab.models import seeded_networks
from ganlab.train.device import resolve_device
from ganlab.train.ema import warmed_ema
from ganlab.train.optim import lr_factor
from ganlab.train.trainer import N_FIXED

__all__ = ["Ensemble", "BATCHED_FIELDS", "memory_friendly_malloc"]

# Settings each GAN of an ensemble may have its own (the axes of a map); all others are shared.
BATCHED_FIELDS = ("lr_d", "lr_g", "k", "momentum", "r1", "seed")
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


class _InputLayer(torch.autograd.Function):
    """x (n, B, 1) times w (n, 1, out) plus b: a layer with one input as an outer product
    (a matrix product with an inner size of 1 wastes most of its time)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return torch.addcmul(b, x, w)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        # the products in these orientations run 1.7x (dx) faster here than bmm(dy, w^T)
        dx = torch.bmm(w, dy.transpose(1, 2)).transpose(1, 2) if ctx.needs_input_grad[0] else None
        dw = torch.bmm(x.transpose(1, 2), dy) if ctx.needs_input_grad[1] else None
        db = dy.sum(1, keepdim=True) if ctx.needs_input_grad[2] else None
        return dx, dw, db


class _OutputLayer(torch.autograd.Function):
    """h (n, B, in) @ w (n, in, 1) plus b: a layer with one output, whose gradient for h is an
    elementwise product (as a matrix product it was an outer product: twice the time).

    Both products are taken as a row times a matrix, w^T h^T and dy^T h: MKL's batched
    matrix-times-column ran 3.7x (forward) and 15x (dw) slower here (256 GANs, B = 512)."""

    @staticmethod
    def forward(ctx, h, w, b):
        ctx.save_for_backward(h, w)
        return torch.bmm(w.transpose(1, 2), h.transpose(1, 2)).transpose(1, 2).add_(b)

    @staticmethod
    def backward(ctx, dy):
        h, w = ctx.saved_tensors
        dh = dy * w.transpose(1, 2) if ctx.needs_input_grad[0] else None
        dw = torch.bmm(dy.transpose(1, 2), h).transpose(1, 2) if ctx.needs_input_grad[1] else None
        db = dy.sum(1, keepdim=True) if ctx.needs_input_grad[2] else None
        return dh, dw, db


def _activation(module: nn.Module, inplace: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    if isinstance(module, nn.SiLU):
        return silu
    if isinstance(module, nn.ReLU):
        return lambda x: torch.relu_(x) if inplace else torch.relu(x)
    if isinstance(module, nn.LeakyReLU):
        slope = module.negative_slope
        return lambda x: leaky_relu(x, slope, inplace=inplace)
    raise ConfigError(f"the batched trainer has no {type(module).__name__} units")


class _Stack:
    """One player's networks of every GAN: their weights in one flat (n, parameters) tensor,
    seen layer by layer as (n, in, out) matrices and (n, 1, out) biases."""

    def __init__(self, nets: Sequence[nn.Sequential], device: torch.device, inplace: bool) -> None:
        linear = [m for m in nets[0] if isinstance(m, nn.Linear)]
        self.shapes = [(m.in_features, m.out_features) for m in linear]
        acts = [m for m in nets[0] if not isinstance(m, nn.Linear)]
        self.acts = [_activation(m, inplace) for m in acts]
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

    def forward(self, x: torch.Tensor, flat: torch.Tensor | None = None) -> torch.Tensor:
        """x (n, B, in) -> (n, B, out) through every GAN's own network."""
        layers = self.layers(self.flat if flat is None else flat)
        for j, (w, b) in enumerate(layers):
            last = j == len(layers) - 1
            if w.shape[1] == 1:
                x = _InputLayer.apply(x, w, b)
            elif w.shape[2] == 1:
                x = _OutputLayer.apply(x, w, b)
            else:
                x = torch.baddbmm(b, x, w)
            if not last:
                x = self.acts[j](x)
        return x


class _Optimizer:
    """Adam or SGD with momentum on a flat (n, parameters) tensor, each GAN with its own learning
    rate and beta1 / momentum, as torch.optim's make each step; a step leaves the GANs outside
    ``mask``, and any whose weights it would make non-finite, as they were."""

    def __init__(self, kind: str, flat: torch.Tensor, beta1: torch.Tensor) -> None:
        self.kind, self.beta1 = kind, beta1  # beta1: (n, 1)
        self.m = torch.zeros_like(flat, requires_grad=False)
        self.v = torch.zeros_like(self.m) if kind == "adam" else None
        self.steps = torch.zeros_like(beta1)  # each GAN's own count (k differs between GANs)

    @torch.no_grad()
    def step(self, p: torch.Tensor, grad: torch.Tensor, lr: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Step the rows of ``mask`` (n, 1); returns the rows that became non-finite (not applied)."""
        steps = self.steps + 1
        if self.kind == "adam":
            m = torch.lerp(self.m, grad, 1 - self.beta1)
            v = self.v * ADAM_BETA2 + (1 - ADAM_BETA2) * grad * grad
            bc1, bc2 = 1 - self.beta1**steps, 1 - ADAM_BETA2**steps
            new = p - (lr / bc1) * m / (v.sqrt() / bc2.sqrt() + ADAM_EPS)
        else:
            first = self.steps == 0  # torch's SGD: the first velocity is the gradient itself
            m = torch.where(first, grad, self.beta1 * self.m + grad)
            v = None
            new = p - lr * m
        bad = mask & ~torch.isfinite(new).all(1, keepdim=True)
        ok = mask & ~bad
        if bool(ok.all()):
            p.copy_(new)
            self.m.copy_(m)
            if v is not None:
                self.v.copy_(v)
        else:
            p.copy_(torch.where(ok, new, p))
            self.m.copy_(torch.where(ok, m, self.m))
            if v is not None:
                self.v.copy_(torch.where(ok, v, self.v))
        self.steps += ok
        return bad


class Ensemble:
    """N GANs that share a configuration but for BATCHED_FIELDS, trained together.

    >>> e = Ensemble([Config(lr_d=1e-3), Config(lr_d=1e-2)]); e.advance(2); e.iterations
    2
    """

    def __init__(self, configs: Sequence[Config]) -> None:
        if not configs:
            raise ConfigError("an ensemble needs at least one configuration")
        self.configs = list(configs)
        base = self.base = configs[0]
        shared = [f.name for f in fields(Config) if f.name not in BATCHED_FIELDS]
        for cfg in configs:
            differ = [name for name in shared if getattr(cfg, name) != getattr(base, name)]
            if differ:
                raise ConfigError(
                    f"GANs trained together may differ in {', '.join(BATCHED_FIELDS)} only, "
                    f"not in {', '.join(differ)}"
                )
        self.check(base)
        self.n = n = len(configs)
        self.device = device = resolve_device(base.device)
        self.dist = get_distribution(base.p_data, base.points)
        nets = [seeded_networks(cfg, torch.device("cpu")) for cfg in configs]
        self.G = _Stack([g.net for g, _ in nets], device, inplace=True)
        self.D = _Stack([d.net for _, d in nets], device, inplace=True)
        column = lambda name: torch.tensor(  # noqa: E731  (each GAN's own value of a setting, (n, 1))
            [float(getattr(c, name)) for c in configs], device=device
        ).view(n, 1)
        self.lr_d, self.lr_g, self.k, self.r1 = column("lr_d"), column("lr_g"), column("k"), column("r1")
        self.max_k = int(max(c.k for c in configs))
        momentum = column("momentum")
        self.opt_d = _Optimizer(base.optimizer, self.D.flat, momentum)
        self.opt_g = _Optimizer(base.optimizer, self.G.flat, momentum)
        self.G_ema = self.G.flat.detach().clone() if base.ema else None
        self.rngs = [torch.Generator(device=device).manual_seed(c.seed) for c in configs]
        fixed = [torch.Generator(device=device).manual_seed(c.seed + 1) for c in configs]
        self.fixed_z = torch.stack([self._noise(N_FIXED, g) for g in fixed])  # (n, N_FIXED, latent)
        self.fixed_x = torch.stack([self.dist.sample(N_FIXED, g, device) for g in fixed])  # (n, N_FIXED, dim)
        self.iterations = 0
        self.frozen = torch.zeros(n, 1, dtype=torch.bool, device=device)
        self.diverged_at = [None] * n  # the iteration in which each GAN diverged
        self.loss_d = torch.full((n,), math.nan, device=device)
        self.loss_g = torch.full((n,), math.nan, device=device)

    @staticmethod
    def check(cfg: Config) -> None:
        """ConfigError (one line) when the batched trainer cannot train runs of ``cfg``."""
        why = _unsupported(cfg)
        if why:
            raise ConfigError(f"the batched trainer does not train {why} yet")

    # -- Algorithm 1, for every GAN at once -------------------------------------------------
    def _noise(self, count: int, generator: torch.Generator) -> torch.Tensor:
        shape = (count, self.base.latent_dim)
        if self.base.noise == "uniform":
            return torch.rand(shape, generator=generator, device=self.device) * 2 - 1
        return torch.randn(shape, generator=generator, device=self.device)

    def _draw(
        self,
        mask: torch.Tensor,
        shape: tuple[int, int],
        draw: Callable[[torch.Tensor, torch.Generator], object],
    ) -> torch.Tensor:
        """(n, *shape): each GAN of ``mask`` draws its row from its own generator (the order of
        the Trainer's draws); the others draw nothing (their rows are not used), keeping their
        generators' streams as their Trainer's would be."""
        out = torch.zeros(self.n, *shape, device=self.device)
        for row, generator, on in zip(out, self.rngs, mask.view(-1).tolist()):
            if on:
                draw(row, generator)
        return out

    def _draw_noise(self, mask: torch.Tensor) -> torch.Tensor:
        """z ~ p_z: each GAN's minibatch of noise (Trainer.draw_noise), drawn in place."""
        uniform = self.base.noise == "uniform"

        # normal_ and uniform_ are what randn and rand call: the same numbers, without the
        # shape parsing (256 GANs draw three minibatches an iteration, one call each)
        def draw(row: torch.Tensor, generator: torch.Generator) -> None:
            (row.uniform_ if uniform else row.normal_)(generator=generator)

        z = self._draw(mask, (self.base.batch_size, self.base.latent_dim), draw)
        return z.mul_(2).sub_(1) if uniform else z

    def _draw_real(self, mask: torch.Tensor) -> torch.Tensor:
        """x ~ p_data: each GAN's minibatch of data (Trainer.draw_real)."""
        m, shape = self.base.batch_size, (self.base.batch_size, self.base.data_dim)
        affine = getattr(self.dist, "gaussian_affine", lambda: None)()
        if affine is None:
            return self._draw(mask, shape, lambda row, g: row.copy_(self.dist.sample(m, g, self.device)))
        eps = self._draw(mask, shape, lambda row, g: row.normal_(generator=g))
        return eps.mul_(affine[1]).add_(affine[0])  # (the rows of GANs that drew nothing: unused)

    def _d_step(self, mask: torch.Tensor, factor: float) -> None:
        """Every GAN of ``mask``: one D update on its own minibatches (Trainer.d_step)."""
        m = self.base.batch_size
        real = self._draw_real(mask)
        z = self._draw_noise(mask)
        with torch.no_grad():
            fake = self.G.forward(z, self.G.flat.detach())
        gamma = self.r1.view(-1)
        real.requires_grad_(bool(gamma.any()))
        logits = self.D.forward(torch.cat([real, fake], 1))  # (n, 2m, 1)
        losses = softplus(-logits[:, :m]).mean((1, 2)) + softplus(logits[:, m:]).mean((1, 2))
        total = losses.sum()
        if real.requires_grad:  # R1: each GAN's own γ on its own slope at real data
            (slope,) = torch.autograd.grad(logits[:, :m].sum(), real, create_graph=True)
            total = total + (gamma / 2 * slope.pow(2).sum(2).mean(1)).sum()
        (grad,) = torch.autograd.grad(total, self.D.flat)
        bad = self.opt_d.step(self.D.flat.data, grad, self.lr_d * factor, mask)
        self._freeze(bad)
        self.loss_d = torch.where(mask.view(-1), losses.detach(), self.loss_d)

    def _g_step(self, mask: torch.Tensor, factor: float) -> None:
        """Every GAN of ``mask``: one G update against its own (fixed) D (Trainer.g_step)."""
        logits = self.D.forward(self.G.forward(self._draw_noise(mask)), self.D.flat.detach())
        if self.base.g_loss == "minimax":
            losses = -softplus(logits).mean((1, 2))
        else:
            losses = softplus(-logits).mean((1, 2))
        (grad,) = torch.autograd.grad(losses.sum(), self.G.flat)
        bad = self.opt_g.step(self.G.flat.data, grad, self.lr_g * factor, mask)
        self._freeze(bad)
        self.loss_g = torch.where(mask.view(-1), losses.detach(), self.loss_g)
        if self.G_ema is not None:  # the average of G's weights, warmed up as the trainer's
            beta = warmed_ema(self.base.ema, self.iterations)
            averaged = torch.lerp(self.G_ema, self.G.flat.detach(), 1 - beta)
            self.G_ema.copy_(torch.where(self.frozen, self.G_ema, averaged))  # a frozen GAN's stays

    def _freeze(self, bad: torch.Tensor) -> None:
        if bool(bad.any()):
            for i in torch.nonzero(bad.view(-1)).view(-1).tolist():
                self.diverged_at[i] = self.iterations + 1
            self.frozen |= bad

    def iteration(self) -> None:
        """Algorithm 1 for every GAN that has not diverged: its k D updates, then one G update."""
        factor = lr_factor(self.base, self.iterations)
        for j in range(self.max_k):
            mask = (self.k > j) & ~self.frozen
            if bool(mask.any()):
                self._d_step(mask, factor)
        self._g_step(~self.frozen, factor)
        self.iterations += 1

    def advance(self, n: int = 1) -> None:
        """n iterations of every GAN (the diverged ones stay as they were)."""
        for _ in range(n):
            self.iteration()

    # -- reading the GANs --------------------------------------------------------------------
    @property
    def G_eval(self) -> torch.Tensor:
        """The generators' weights that samples use: G's, or their average."""
        return self.G_ema if self.G_ema is not None else self.G.flat.detach()

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G_eval of each GAN on its own noise: z (n, count, latent) -> (n, count, data_dim)."""
        return self.G.forward(z, self.G_eval)

    def trainer_weights(self, i: int) -> dict[str, torch.Tensor]:
        """GAN i's G and D weights as the state dicts of the Trainer's networks (G_eval's for G)."""
        out = {}
        for name, stack, flat in (
            ("generator", self.G, self.G_eval),
            ("discriminator", self.D, self.D.flat.detach()),
        ):
            state, index = {}, 0
            for w, b in stack.layers(flat[i : i + 1]):
                state[f"net.{index}.weight"] = w[0].t().clone()
                state[f"net.{index}.bias"] = b[0, 0].clone()
                index += 2
            out[name] = state
        return out


def _unsupported(cfg: Config) -> str | None:
    """What of ``cfg`` the batched trainer does not train yet, in words; None when it does."""
    if cfg.kind == "mnist":
        return "MNIST"
    if cfg.maxout > 1:
        return "maxout units"
    if cfg.pack > 1:
        return "packing (PacGAN)"
    if cfg.instance_noise:
        return "instance noise"
    return None
