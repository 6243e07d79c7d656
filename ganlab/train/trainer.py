"""The trainer: Algorithm 1 of Goodfellow et al. 2014, one method per line of the paper.

Read it top to bottom: what one run owns, then Algorithm 1 (draw noise, draw data, update D
k times, update G), then how iterations are run. What is not Algorithm 1 lives beside this
file: the optimisers and their schedule (optim.py), the average of G's weights (ema.py),
settings changed while training (live.py), the rollback of a diverged step (guard.py), the
checkpoint state (state.py), and the device and its captured CUDA graph (device.py,
cudagraph.py).
"""

from __future__ import annotations

import contextlib
import math
import threading
import uuid
from collections.abc import Callable, Iterator

import torch

from ganlab.config import Config
from ganlab.data import get_distribution
from ganlab.losses import d_loss, g_loss
from ganlab.models import Dropout, init_output_bias, seeded_networks
from ganlab.train import cudagraph, guard, live, state
from ganlab.train.device import cuda_lock, resolve_device
from ganlab.train.ema import ema_copy, ema_step, ema_step_by, warmed_ema
from ganlab.train.optim import lr_factor, make_optimizers, set_lr

__all__ = ["Trainer", "N_FIXED", "prior_noise"]

N_FIXED = 4096  # fixed noise vectors for snapshots, so pictures move smoothly between frames


def prior_noise(cfg: Config, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """n noise vectors z ~ p_z of ``cfg`` from ``generator``, shape (n, latent_dim)."""
    shape = (n, cfg.latent_dim)
    if cfg.noise == "uniform":
        return torch.rand(shape, generator=generator, device=device) * 2 - 1
    return torch.randn(shape, generator=generator, device=device)


class Trainer:
    """Owns G, D, their optimisers and the counters of one GAN run.

    >>> t = Trainer(Config(k=2)); t.step(); (t.d_updates, t.g_updates)
    (2, 1)
    """

    def __init__(self, cfg: Config) -> None:
        # Held while training (advance) and while reading (snapshots, evaluating): another
        # thread, a download of the run, then reads a consistent state while the dashboard trains.
        self.lock = threading.RLock()
        self.build(cfg)

    def build(self, cfg: Config) -> None:
        """A new run for ``cfg``: new G and D from its seed, optimisers, counters, fixed noise."""
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.dist = get_distribution(cfg.p_data, cfg.points)  # p_data: sample(n, generator, device)
        self.rng = torch.Generator(device=self.device).manual_seed(cfg.seed)  # every training draw
        self.G, self.D = seeded_networks(cfg, self.device)
        for module in self.D.modules():  # mnist-paper's dropout: masks from this run's generator
            if isinstance(module, Dropout):
                module.generator = self.rng
        if cfg.model == "paper":  # as the released model: G starts from the mean training image
            init_output_bias(self.G, self.dist.images(self.device).float().mean(0) / 255)
        self.opt_d, self.opt_g = make_optimizers(cfg, self.device, self.D.parameters(), self.G.parameters())
        self._constrained = [m for m in self.D.modules() if getattr(m, "max_norm", None) is not None]
        self.G_ema = ema_copy(self.G, cfg.ema)  # the average of G's weights, or None
        fixed_rng = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        self.fixed_z = self.noise(N_FIXED, fixed_rng)  # (N_FIXED, latent_dim)
        self.fixed_x = self.dist.sample(N_FIXED, fixed_rng, self.device)  # (N_FIXED, data_dim)
        self.d_updates = self.g_updates = self.ema_updates = 0
        # One run's states share this id, through resumes and live changes; new models get a
        # new one (ganlab average refuses states of different runs). None: a state saved before.
        self.run_id: str | None = uuid.uuid4().hex[:16]
        self.trained_from: str | None = None  # the shipped model its G came from (runs/trained.py)
        self.loss_d = torch.tensor(math.nan)  # last minibatch losses, read once per frame
        self.loss_g = torch.tensor(math.nan)
        self.diverged: str | None = None  # why the last advance() was rolled back
        self.last_good = guard.LastGoodState()
        # The CUDA graph of one iteration (cudagraph.py), and what it was captured for.
        self.capturing = False  # True while an iteration is being recorded, not run
        self.ema_weight = torch.zeros((), device=self.device)  # 1 - beta of the next EMA update, in a graph
        self.generation = 0  # bumped when optimiser state is replaced: a captured graph is then stale
        self._graph: cudagraph.IterationGraph | None = None

    # -- Algorithm 1 -----------------------------------------------------------------------
    def noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n noise vectors z ~ p_z from ``generator``, shape (n, latent_dim)."""
        return prior_noise(self.cfg, n, generator, self.device)

    def draw_noise(self) -> torch.Tensor:
        """Algorithm 1: "sample minibatch of m noise samples z from the noise prior" (m x pack)."""
        return self.noise(self.cfg.batch_size * self.cfg.pack, self.rng)

    def draw_real(self) -> torch.Tensor:
        """Algorithm 1: "sample minibatch of m examples x from the data generating distribution"."""
        return self.dist.sample(self.cfg.batch_size * self.cfg.pack, self.rng, self.device)

    def d_step(self, real: torch.Tensor | None = None, z: torch.Tensor | None = None) -> None:
        """One D update: ascend (1/m) sum [log D(x_i) + log(1 - D(G(z_i)))], on the given
        minibatches (from draw_real / draw_noise) or on fresh ones."""
        m = self.cfg.batch_size
        x = self._blur(self.draw_real() if real is None else real).view(m, -1)  # (m, pack * data_dim)
        with torch.no_grad():
            fake = self._blur(self.G(self.draw_noise() if z is None else z)).view(m, -1)  # G is fixed
        gamma = self.cfg.r1
        x.requires_grad_(gamma > 0)
        logits = self.D(torch.cat([x, fake]))  # one pass over real and fake: (2m, 1)
        loss = d_loss(logits[:m], logits[m:])
        total = loss
        if gamma:  # R1: penalise D's slope at real data, so D cannot rise steeply around the modes
            (grad,) = torch.autograd.grad(logits[:m].sum(), x, create_graph=True)
            total = loss + gamma / 2 * grad.pow(2).sum(1).mean()
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        self.opt_d.step()
        for layer in self._constrained:  # the paper's max column norm on D's maxout layers
            layer.constrain()
        self.loss_d = loss.detach()  # the GAN loss alone, comparable with and without R1
        self.d_updates += 1

    def g_step(self, z: torch.Tensor | None = None) -> None:
        """One G update: descend log(1 - D(G(z))), or -log D(G(z)) when non-saturating (on the
        given noise minibatch, or a fresh one)."""
        self.D.requires_grad_(False)  # D is fixed: no gradients for its weights
        m = self.cfg.batch_size
        fake = self._blur(self.G(self.draw_noise() if z is None else z)).view(m, -1)  # (m, pack * dim)
        loss = g_loss(self.D(fake), self.cfg.g_loss)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        if self.G_ema is not None:
            self._ema_update()
        self.D.requires_grad_(True)
        self.loss_g = loss.detach()
        self.g_updates += 1

    def iteration(self) -> None:
        """Algorithm 1's loop body: k D updates on fresh minibatches, then one G update."""
        for _ in range(self.cfg.k):
            self.d_step()
        self.g_step()

    def step(self) -> None:
        """One training iteration, eagerly: this G update's learning rates, then ``iteration``."""
        self.set_decayed_lr()
        self.iteration()

    # -- the aids beside Algorithm 1: instance noise, learning-rate decay, the average of G ----
    def instance_sigma(self) -> float:
        """The std of the instance noise on D's inputs now (0 when off)."""
        sigma, steps = self.cfg.instance_noise, self.cfg.instance_noise_steps
        return sigma * max(0.0, 1.0 - self.g_updates / steps) if steps else sigma

    def _blur(self, x: torch.Tensor) -> torch.Tensor:
        """x plus instance noise (Sønderby et al. 2016): D then compares p_data and p_g, each
        blurred by the same Gaussian, whose supports overlap, so G gets a gradient towards
        modes it has never visited. Annealed to 0, the game becomes the paper's again."""
        sigma = self.instance_sigma()
        if not sigma:
            return x
        return x + sigma * torch.randn(x.shape, generator=self.rng, device=self.device)

    def lr_factor(self) -> float:
        """The learning-rate multiplier now (see optim.lr_factor)."""
        return lr_factor(self.cfg, self.g_updates)

    def decaying(self) -> bool:
        """True while decay_steps is still lowering the learning rates."""
        return self.g_updates < self.cfg.decay_steps

    def set_decayed_lr(self) -> None:
        """At the start of an iteration: the learning rates of this G update (with decay_steps)."""
        if self.cfg.decay_steps:
            f = self.lr_factor()
            for opt, lr in ((self.opt_d, self.cfg.lr_d), (self.opt_g, self.cfg.lr_g)):
                for group in opt.param_groups:
                    set_lr(group, lr * f)

    def ema_beta(self) -> float:
        """This update's averaging weight: ``warmed_ema(cfg.ema, ema_updates)``."""
        return warmed_ema(self.cfg.ema, self.ema_updates)

    def _ema_update(self) -> None:
        """G_ema <- beta * G_ema + (1 - beta) * G (in a graph, 1 - beta comes from a device tensor)."""
        if self.capturing:
            ema_step_by(self.G_ema, self.G, self.ema_weight)
        else:
            ema_step(self.G_ema, self.G, self.ema_beta())
        self.ema_updates += 1

    # -- running: guarded, and on CUDA replayed ---------------------------------------------
    def advance(self, n: int = 1, what: str = "iteration") -> bool:
        """Run n iterations (or n lone "d" / "g" updates); False if it diverged.

        A non-finite loss or weight rolls everything back to the state before this call,
        sets ``diverged`` to a message, and returns False: the last good state is kept.
        """
        if what == "iteration":
            return self.guarded(lambda: cudagraph.run_iterations(self, n))
        run = {"d": self.d_step, "g": self.g_step}[what]

        def updates() -> None:
            for _ in range(n):
                run()

        return self.guarded(updates)

    def guarded(self, update: Callable[[], object]) -> bool:
        """Run ``update`` (any training updates) as advance() does (see guard.guarded)."""
        return guard.guarded(self, update)

    def is_finite(self) -> bool:
        """True when the last losses and every weight are finite."""
        return guard.is_finite(self)

    def count_iteration(self) -> None:
        """Count one iteration that ran outside d_step and g_step (a replayed CUDA graph)."""
        self.d_updates += self.cfg.k
        self.g_updates += 1
        self.ema_updates += self.G_ema is not None

    @contextlib.contextmanager
    def uncounted(self) -> Iterator[None]:
        """Updates inside leave the counters and losses as they were (recording a CUDA graph
        runs nothing)."""
        saved = (self.d_updates, self.g_updates, self.ema_updates, self.loss_d, self.loss_g)
        try:
            yield
        finally:
            self.d_updates, self.g_updates, self.ema_updates, self.loss_d, self.loss_g = saved

    def graph_key(self) -> tuple:
        """The values a captured graph depends on: the settings (less Adam's learning rates,
        which it reads from device tensors) and the generation of the optimisers' state."""
        tensor_lr = isinstance(self.opt_d.param_groups[0]["lr"], torch.Tensor)
        settings = {k: v for k, v in self.cfg.to_dict().items() if not (tensor_lr and k in ("lr_d", "lr_g"))}
        return settings, self.generation

    def graph_parts(self) -> tuple:
        """The objects a captured graph works on (it must meet these very objects again)."""
        return self.G, self.D, self.G_ema, self.opt_d, self.opt_g, self.dist

    @property
    def fast_path(self) -> str:
        """How iterations run now, in words: "CUDA graph" or "eager (why)"."""
        return cudagraph.fast_path(self)

    @property
    def device_text(self) -> str:
        """The device for captions: "CPU", or the GPU's name and how iterations run on it."""
        return cudagraph.device_text(self)

    # -- reading the run: pictures, metrics and samples ---------------------------------------
    @property
    def G_eval(self) -> torch.nn.Module:
        """The generator that pictures, metrics and samples use: G, or its weight average."""
        return self.G_ema if self.G_ema is not None else self.G

    @contextlib.contextmanager
    def evaluating(self) -> Iterator[Trainer]:
        """G, its average and D in eval mode (no dropout, BatchNorm's running statistics) for
        pictures, metrics and samples; training mode again afterwards."""
        with self.lock, cuda_lock(self.device):
            nets = [net for net in (self.G, self.G_ema, self.D) if net is not None]
            modes = [net.training for net in nets]
            for net in nets:
                net.eval()
            try:
                yield self
            finally:
                for net, mode in zip(nets, modes):
                    net.train(mode)

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, chunk: int = 8192) -> torch.Tensor:
        """n samples of G_eval (n, data_dim) from noise seeded by ``seed``, in eval mode."""
        rng = torch.Generator(device=self.device).manual_seed(seed)
        with self.evaluating():
            return torch.cat([self.G_eval(self.noise(min(chunk, n - i), rng)) for i in range(0, n, chunk)])

    def d_logit(self, x: torch.Tensor) -> torch.Tensor:
        """D's logit for single points x (n, data_dim): with packing, a pack of copies of x."""
        return self.D(x.repeat(1, self.cfg.pack) if self.cfg.pack > 1 else x)

    def mean_d(self, x: torch.Tensor) -> torch.Tensor:
        """Mean D over samples x (n, data_dim), packed `pack` at a time as D sees them."""
        p = self.cfg.pack
        return torch.sigmoid(self.D(x[: len(x) // p * p].reshape(-1, p * x.shape[1]))).mean()

    # -- settings changed while training, and the checkpoint state (live.py, state.py) -----------
    def apply(self, cfg: Config) -> live.Change:
        """Switch to ``cfg``, live where possible; what happened (``str()``: in words)."""
        return live.apply(self, cfg)

    def rebuild_fields(self, cfg: Config) -> set[str]:
        """The settings ``cfg`` changes that would need new models (empty: ``apply`` keeps them)."""
        return live.rebuild_fields(self.cfg, cfg)

    def state_dict(self) -> dict:
        """Copies of everything needed to resume (tensors and plain numbers only)."""
        return state.state_dict(self)

    def load_state_dict(self, saved: dict) -> None:
        """Restore what ``state_dict`` returned (same architecture)."""
        state.load_state_dict(self, saved)
