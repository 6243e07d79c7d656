"""Many GANs of one architecture trained at once: the batched trainer of the stability maps.

Each GAN is a ``Trainer`` run in miniature. Its networks are built from its own seed by the
same code (``seeded_networks``), so it starts from the Trainer's weights; it draws its
minibatches and noise from its own generator, seeded as the Trainer seeds its own, in the
same order; and it follows Algorithm 1 with its own learning rates, k, momentum and R1 γ. The
weights of all GANs sit in one flat tensor per player, (GANs, parameters), viewed layer by
layer as stacked matrices: one batched matrix product serves a layer of every GAN (on the CPU,
each GAN's whole gradient is computed by fused C passes instead: ganlab.train.native), and
one optimiser step every GAN's weights. A GAN whose step would make a weight non-finite is
frozen at its last finite state: its NaNs never reach another GAN, since nothing is shared
but the batched kernels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import fields

import torch
from torch.nn.functional import softplus

from ganlab.config import Config, ConfigError
from ganlab.data import get_distribution
from ganlab.models import seeded_networks
from ganlab.train import native
from ganlab.train.batched import BatchedOptimizer, Stack, memory_friendly_malloc
from ganlab.train.device import resolve_device
from ganlab.train.ema import warmed_ema
from ganlab.train.optim import lr_factor
from ganlab.train.trainer import N_FIXED, prior_noise

__all__ = ["Ensemble", "BATCHED_FIELDS", "memory_friendly_malloc"]

# Settings each GAN of an ensemble may have its own (the axes of a map); all others are shared.
BATCHED_FIELDS = ("lr_d", "lr_g", "k", "momentum", "r1", "seed")


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
        # (mean, std) when p_data is the Gaussian, whose minibatches are drawn as N(0, 1) in place
        self.affine = getattr(self.dist, "gaussian_affine", lambda: None)()
        nets = [seeded_networks(cfg, torch.device("cpu")) for cfg in configs]
        self.G = Stack([g.net for g, _ in nets], device)
        self.D = Stack([d.net for _, d in nets], device)
        # each GAN's D and G gradients fused in C on the CPU (ganlab.train.native), or None
        self.native = (
            native.load(self.G.shapes, self.G.slopes, self.D.shapes, self.D.slopes)
            if device.type == "cpu"
            else None
        )
        column = lambda name: torch.tensor(  # noqa: E731  (each GAN's own value of a setting, (n, 1))
            [float(getattr(c, name)) for c in configs], device=device
        ).view(n, 1)
        self.lr_d, self.lr_g, self.k, self.r1 = column("lr_d"), column("lr_g"), column("k"), column("r1")
        self.any_r1 = bool(self.r1.any())  # read once: a D step with R1 takes autograd's passes
        self.max_k = int(max(c.k for c in configs))
        momentum = column("momentum")
        self.opt_d = BatchedOptimizer(base.optimizer, self.D.flat, momentum)
        self.opt_g = BatchedOptimizer(base.optimizer, self.G.flat, momentum)
        self.G_ema = self.G.flat.detach().clone() if base.ema else None
        self.rngs = [torch.Generator(device=device).manual_seed(c.seed) for c in configs]
        fixed = [torch.Generator(device=device).manual_seed(c.seed + 1) for c in configs]
        # each GAN's fixed noise and data (n, N_FIXED, latent_dim) and (n, N_FIXED, data_dim)
        self.fixed_z = torch.stack([prior_noise(base, N_FIXED, g, device) for g in fixed])
        self.fixed_x = torch.stack([self.dist.sample(N_FIXED, g, device) for g in fixed])
        self.iterations = 0
        self.frozen = torch.zeros(n, 1, dtype=torch.bool, device=device)
        self.diverged_at = [None] * n  # the iteration in which each GAN diverged
        self.loss_d = torch.full((n,), math.nan, device=device)
        self.loss_g = torch.full((n,), math.nan, device=device)
        self.one_draw = self._one_draw_sizes()

    @staticmethod
    def check(cfg: Config) -> None:
        """ConfigError (one line) when the batched trainer cannot train runs of ``cfg``."""
        why = _unsupported(cfg)
        if why:
            raise ConfigError(f"the batched trainer does not train {why} yet")

    def _one_draw_sizes(self) -> list[int] | None:
        """The sizes of one iteration's draws (k times real then noise, then G's noise) when
        each GAN may make them as one draw of their sum; None when it may not.

        It may when every GAN has the same k, p_data is the Gaussian and p_z the normal (all
        three are ``normal_`` calls), and one call of the sum gives the numbers that the
        separate calls give: torch's CPU ``normal_`` makes its numbers in blocks of 16, so it
        does for sizes that are multiples of 16. That is checked here on this device, not
        assumed. One call instead of 2k + 1 a GAN saves 1 to 2 of 40 ms a step (256 GANs of
        paper-1d)."""
        if self.affine is None or self.base.noise != "normal" or bool((self.k != self.max_k).any()):
            return None
        m = self.base.batch_size
        sizes = [m * self.base.data_dim, m * self.base.latent_dim] * self.max_k + [m * self.base.latent_dim]
        apart, together = (torch.Generator(device=self.device).manual_seed(1) for _ in range(2))
        each = [torch.empty(size, device=self.device).normal_(generator=apart) for size in sizes]
        whole = torch.empty(sum(sizes), device=self.device).normal_(generator=together)
        return sizes if torch.equal(torch.cat(each), whole) else None

    def iteration(self) -> None:
        """Algorithm 1 for every GAN that has not diverged: its k D updates, then one G update."""
        factor = lr_factor(self.base, self.iterations)
        drawn = self._draw_iteration(~self.frozen) if self.one_draw is not None else None
        for j in range(self.max_k):
            mask = (self.k > j) & ~self.frozen
            if bool(mask.any()):
                self._d_step(mask, factor, drawn[2 * j : 2 * j + 2] if drawn else ())
        self._g_step(~self.frozen, factor, drawn[-1] if drawn else None)
        self.iterations += 1

    def advance(self, n: int = 1) -> None:
        """n iterations of every GAN (the diverged ones stay as they were)."""
        for _ in range(n):
            self.iteration()

    # -- draws ----------------------------------------------------------------------------
    def _draw(
        self,
        mask: torch.Tensor,
        shape: tuple[int, ...],
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
        base = self.base
        uniform = base.noise == "uniform"

        # normal_ and uniform_ are what randn and rand call: the same numbers, without the
        # shape parsing (256 GANs draw three minibatches an iteration, one call each)
        def draw(row: torch.Tensor, generator: torch.Generator) -> None:
            (row.uniform_ if uniform else row.normal_)(generator=generator)

        z = self._draw(mask, (base.batch_size, base.latent_dim), draw)
        return z.mul_(2).sub_(1) if uniform else z

    def _draw_real(self, mask: torch.Tensor) -> torch.Tensor:
        """x ~ p_data: each GAN's minibatch of data (Trainer.draw_real)."""
        m, shape = self.base.batch_size, (self.base.batch_size, self.base.data_dim)
        if self.affine is None:
            return self._draw(mask, shape, lambda row, g: row.copy_(self.dist.sample(m, g, self.device)))
        mean, std = self.affine
        eps = self._draw(mask, shape, lambda row, g: row.normal_(generator=g))
        return eps.mul_(std).add_(mean)  # (the rows of GANs that drew nothing: unused)

    def _draw_iteration(self, mask: torch.Tensor) -> list[torch.Tensor]:
        """One iteration's minibatches for every GAN of ``mask``, one draw each (see
        Ensemble._one_draw_sizes): real and z for each D step, then z for the G step."""
        base, sizes = self.base, self.one_draw
        assert sizes is not None
        mean, std = self.affine
        whole = self._draw(mask, (sum(sizes),), lambda row, g: row.normal_(generator=g))
        pieces = whole.split(sizes, 1)
        out = []
        for j in range(self.max_k):
            out.append(pieces[2 * j].view(self.n, base.batch_size, base.data_dim).mul_(std).add_(mean))
            out.append(pieces[2 * j + 1].view(self.n, base.batch_size, base.latent_dim))
        out.append(pieces[-1].view(self.n, base.batch_size, base.latent_dim))
        return out

    # -- the players' updates ---------------------------------------------------------------
    def _d_step(self, mask: torch.Tensor, factor: float, drawn: Sequence[torch.Tensor] = ()) -> None:
        """Every GAN of ``mask``: one D update on its own minibatches (Trainer.d_step), or on
        ``drawn`` ([real, z]) when they were drawn already."""
        real, z = drawn or (self._draw_real(mask), self._draw_noise(mask))
        m = self.base.batch_size
        if self.any_r1:
            losses, grad = self._d_grad_r1(real, self.G.forward(z), self.r1.view(-1))
        elif self.native is not None:
            grad, logits = self.native.d_grad(self.G.flat, self.D.flat, real, z)
            losses = _d_losses(logits[:, :m], logits[:, m:])
        else:  # the hand-written passes: no graph to build, gradients written over one another
            # real and fake minibatches through D one after the other, not joined: activations
            # half the size stay in the cache between the passes (30.6-31.7 against 33.7-34.6 ms a
            # step of 256 paper-1d GANs, alternating in one process)
            layers = self.D.layers(self.D.flat.detach())
            on_real, saved = self.D.forward_saving(real, layers)  # (n, m, 1)
            _, grad = self.D.backward(saved, layers, _softplus_grad(-on_real, m).neg_())
            on_fake, saved = self.D.forward_saving(self.G.forward(z), layers)
            grad += self.D.backward(saved, layers, _softplus_grad(on_fake, m))[1]
            losses = _d_losses(on_real, on_fake)
        self._freeze(self.opt_d.step(self.D.flat.data, grad, self.lr_d * factor, mask))
        self.loss_d = torch.where(mask.view(-1), losses, self.loss_d)

    def _d_grad_r1(
        self, real: torch.Tensor, fake: torch.Tensor, gamma: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's losses and gradient with R1, each GAN's own γ on its own slope at real data
        (through autograd: R1's gradient is a gradient of a gradient)."""
        m = self.base.batch_size
        real = real.detach().requires_grad_(True)
        layers = self.D.layers(self.D.flat)
        logits = self.D.run(torch.cat([real, fake], 1), layers)  # (n, 2m, 1)
        losses = _d_losses(logits[:, :m], logits[:, m:])
        (slope,) = torch.autograd.grad(logits[:, :m].sum(), real, create_graph=True)
        total = losses.sum() + (gamma / 2 * slope.pow(2).sum(2).mean(1)).sum()
        return losses.detach(), self.D.grad(total, layers)

    @torch.no_grad()
    def _g_step(self, mask: torch.Tensor, factor: float, z: torch.Tensor | None = None) -> None:
        """Every GAN of ``mask``: one G update against its own (fixed) D (Trainer.g_step), on
        its noise ``z`` when that was drawn already."""
        z = self._draw_noise(mask) if z is None else z
        minimax = self.base.g_loss == "minimax"
        if self.native is not None:
            grad, logits = self.native.g_grad(self.G.flat, self.D.flat, z, minimax)
            losses = _g_losses(logits, minimax)
        else:
            losses, grad = self._g_grad(z, minimax)
        self._freeze(self.opt_g.step(self.G.flat.data, grad, self.lr_g * factor, mask))
        self.loss_g = torch.where(mask.view(-1), losses, self.loss_g)
        if self.G_ema is not None:  # the average of G's weights, warmed up as the trainer's
            beta = warmed_ema(self.base.ema, self.iterations)
            averaged = torch.lerp(self.G_ema, self.G.flat.detach(), 1 - beta)
            self.G_ema.copy_(torch.where(self.frozen, self.G_ema, averaged))  # a frozen GAN's stays

    def _g_grad(self, z: torch.Tensor, minimax: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """G's losses and gradient through the PyTorch passes."""
        m = self.base.batch_size
        g_layers = self.G.layers(self.G.flat.detach())
        d_layers = self.D.layers(self.D.flat.detach())
        fake, g_saved = self.G.forward_saving(z, g_layers)
        logits, d_saved = self.D.forward_saving(fake, d_layers)
        # minimax: minimise log(1 - D(G(z))) = -softplus(logit); else -log D(G(z)) = softplus(-logit)
        dlogits = (_softplus_grad(logits, m) if minimax else _softplus_grad(-logits, m)).neg_()
        losses = _g_losses(logits, minimax)
        dx, _ = self.D.backward(d_saved, d_layers, dlogits, weights=False, inputs=True)
        _, grad = self.G.backward(g_saved, g_layers, dx)
        return losses, grad

    def _freeze(self, bad: torch.Tensor) -> None:
        if bool(bad.any()):
            for i in torch.nonzero(bad.view(-1)).view(-1).tolist():
                self.diverged_at[i] = self.iterations + 1
            self.frozen |= bad

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


def _d_losses(on_real: torch.Tensor, on_fake: torch.Tensor) -> torch.Tensor:
    """Each GAN's D loss from its logits on real and fake data, (n, m) or (n, m, 1):
    -log D(x) - log(1 - D(G(z))), the means over the minibatch."""
    return softplus(-on_real).flatten(1).mean(1) + softplus(on_fake).flatten(1).mean(1)


def _g_losses(logits: torch.Tensor, minimax: bool) -> torch.Tensor:
    """Each GAN's G loss from D's logits on its fakes, (n, m) or (n, m, 1): log(1 - D(G(z)))
    (minimax) or -log D(G(z)), the mean over the minibatch."""
    return (-softplus(logits) if minimax else softplus(-logits)).flatten(1).mean(1)


def _softplus_grad(x: torch.Tensor, m: int) -> torch.Tensor:
    """d/dx of softplus(x).mean over a minibatch of m, as autograd makes it (torch's own
    softplus_backward on the mean's 1/m)."""
    return torch.ops.aten.softplus_backward(torch.full_like(x, 1 / m), x, 1.0, 20.0)


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
