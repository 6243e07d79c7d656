"""The trainer: Algorithm 1 of Goodfellow et al. 2014, one method per line of the paper."""

from __future__ import annotations

import contextlib
import copy
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import fields

import torch

from ganlab.config import ToyConfig
from ganlab.cudagraph import WARMUP, IterationGraph, capture, cuda_lock, graph_blocker, tf32, warm_up
from ganlab.data import get_distribution
from ganlab.losses import d_loss, g_loss
from ganlab.models import Discriminator, Dropout, Generator, init_output_bias

__all__ = ["Trainer", "resolve_device", "warmed_ema", "ema_step", "LIVE_FIELDS"]

# Settings a running trainer takes without losing its models.
LIVE_FIELDS = frozenset(
    {"p_data", "points", "batch_size", "k", "lr_d", "lr_g", "momentum", "g_loss", "ema", "decay_steps"}
    | {"instance_noise", "instance_noise_steps", "r1"}
)
# Settings that only need fresh optimisers; everything else rebuilds the models.
OPTIMIZER_FIELDS = frozenset({"optimizer"})
LR_FLOOR = 0.02  # with decay_steps, learning rates fall to this fraction and stay there
N_FIXED = 4096  # fixed noise vectors for snapshots, so pictures move smoothly between frames


def warmed_ema(ema: float, n: int) -> float:
    """The averaging weight of an EMA's update after ``n`` updates: min(ema, (1 + n) / (10 + n)).

    Without the warm-up the average would sit near G's random start for ~1 / (1 - ema)
    updates (1,000 at 0.999), and the pictures would look frozen at the start of a run.
    """
    return min(ema, (1 + n) / (10 + n))


@torch.no_grad()
def ema_step(average: torch.nn.Module, live: torch.nn.Module, beta: float) -> None:
    """average <- beta * average + (1 - beta) * live for the weights; live's buffers (BatchNorm's
    running statistics: the average must draw with the statistics of G's current layers, not
    those of its start) are copied."""
    torch._foreach_lerp_(list(average.parameters()), list(live.parameters()), 1 - beta)
    _copy_buffers(average, live)


def _copy_buffers(average: torch.nn.Module, live: torch.nn.Module) -> None:
    buffers = list(average.buffers())
    if buffers:
        torch._foreach_copy_(buffers, list(live.buffers()))


def resolve_device(name: str) -> torch.device:
    """ "auto" -> CUDA when available, else CPU; "cuda" without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but no CUDA GPU is available; use auto or cpu")
    return torch.device(name)


def device_label(device: torch.device) -> str:
    """'CPU' or the CUDA device's name."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"


class Trainer:
    """Owns G, D, their optimisers and the counters of one GAN run.

    >>> t = Trainer(ToyConfig(k=2)); t.step(); (t.d_updates, t.g_updates)
    (2, 1)
    """

    def __init__(self, cfg: ToyConfig) -> None:
        # Held by advance() and evaluating(): another thread (a download of the run) holds it
        # to read a consistent state while the dashboard trains.
        self.lock = getattr(self, "lock", None) or threading.RLock()
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.dist = get_distribution(cfg.p_data, cfg.points)
        self.rng = torch.Generator(device=self.device).manual_seed(cfg.seed)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching global RNG
            # The models are made on the CPU: seed its generator only. torch.manual_seed would
            # also seed every CUDA device, and without CUDA record a stack trace for later
            # (12 ms of a 40 ms rebuild).
            torch.default_generator.manual_seed(cfg.seed)
            self.G = Generator(cfg).to(self.device)
            self.D = Discriminator(cfg).to(self.device)
        for module in self.D.modules():  # mnist-paper's dropout: masks from this run's generator
            if isinstance(module, Dropout):
                module.generator = self.rng
        if cfg.model == "paper":  # as the released model: G starts from the mean training image
            init_output_bias(self.G, self.dist.images(self.device).float().mean(0) / 255)
        self.opt_d, self.opt_g = self._optimizers()
        self._constrained = [m for m in self.D.modules() if getattr(m, "max_norm", None) is not None]
        self.G_ema = self._ema_copy()
        fixed_rng = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        self.fixed_z = self.noise(N_FIXED, fixed_rng)  # (N_FIXED, latent_dim)
        self.fixed_x = self.dist.sample(N_FIXED, fixed_rng, self.device)  # (N_FIXED, data_dim)
        self.d_updates = 0
        self.g_updates = 0
        # One run's states share this id, through resumes and live changes; new models get a
        # new one (ganlab average refuses states of different runs). None: a state saved before.
        self.run_id: str | None = uuid.uuid4().hex[:16]
        self.loss_d = torch.tensor(math.nan)  # last minibatch losses, read once per frame
        self.loss_g = torch.tensor(math.nan)
        self.diverged: str | None = None  # why the last advance() was rolled back
        # The CUDA graph of one iteration (ganlab.cudagraph), and what it was captured for.
        self.capturing = False  # True while an iteration is being recorded, not run
        self.ema_weight = torch.zeros((), device=self.device)  # 1 - beta of the next EMA update, in a graph
        self.generation = 0  # bumped when optimiser state is replaced: a captured graph is then stale
        self._graph: IterationGraph | None = None

    # -- construction ---------------------------------------------------------------
    def _optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        cfg = self.cfg

        def make(params, lr):
            params = list(params)
            if cfg.optimizer == "sgd":
                kind, settings = torch.optim.SGD, {"momentum": cfg.momentum}
            else:
                kind, settings = torch.optim.Adam, {"betas": (cfg.momentum, 0.999)}
            if self.device.type == "cuda" and kind is torch.optim.Adam:
                # lr and step count on the device: a CUDA graph can hold them
                lr = torch.tensor(float(lr), device=self.device)
                opt = kind(params, lr=lr, foreach=True, capturable=True, **settings)
                opt._warned_capturable_if_run_uncaptured = True  # eager steps between graphs are expected
                return opt
            if self.device.type == "cpu":
                # One pass over the weights: Adam 2.7x faster than foreach, which on the CPU
                # loops over tensors op by op (2.07M weights: 3.0 against 8.0 ms a step).
                with contextlib.suppress(RuntimeError):  # torch < 2.4 has no fused CPU kernels
                    return kind(params, lr=lr, fused=True, **settings)
            return kind(params, lr=lr, foreach=True, **settings)

        return make(self.D.parameters(), cfg.lr_d), make(self.G.parameters(), cfg.lr_g)

    def _ema_copy(self) -> torch.nn.Module | None:
        self.ema_updates = 0
        if not self.cfg.ema:
            return None
        return copy.deepcopy(self.G).requires_grad_(False)

    def ema_beta(self) -> float:
        """This update's averaging weight: ``warmed_ema(cfg.ema, ema_updates)``."""
        return warmed_ema(self.cfg.ema, self.ema_updates)

    @contextlib.contextmanager
    def evaluating(self):
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

    @property
    def G_eval(self) -> torch.nn.Module:
        """The generator that pictures, metrics and samples use: G, or its weight average."""
        return self.G_ema if self.G_ema is not None else self.G

    def noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n noise vectors z ~ p_z from ``generator``, shape (n, latent_dim) (the training
        minibatches draw from the trainer's own rng: draw_noise)."""
        shape = (n, self.cfg.latent_dim)
        if self.cfg.noise == "uniform":
            return torch.rand(shape, generator=generator, device=self.device) * 2 - 1
        return torch.randn(shape, generator=generator, device=self.device)

    def changed_fields(self, cfg: ToyConfig) -> set[str]:
        """The settings ``cfg`` changes; with a change of p_data's dimension, that too."""
        changed = {f.name for f in fields(cfg) if getattr(cfg, f.name) != getattr(self.cfg, f.name)}
        if cfg.data_dim != self.cfg.data_dim:
            changed.add(f"p_data ({self.cfg.data_dim}D to {cfg.data_dim}D)")
        return changed

    def rebuild_fields(self, cfg: ToyConfig) -> set[str]:
        """The changed settings that need new models (empty: ``apply`` keeps G and D)."""
        return self.changed_fields(cfg) - LIVE_FIELDS - OPTIMIZER_FIELDS

    def apply(self, cfg: ToyConfig) -> str:
        """Switch to ``cfg``; returns what happened, in words, for the user.

        Learning rates, k, batch size, G loss and p_data (of the same dimension) change
        live; the optimiser kind gives fresh optimisers; anything else (latent dimension,
        widths, packing, noise, seed, device) rebuilds the models from scratch.
        """
        changed = self.changed_fields(cfg)
        if not changed:
            return "no change"
        if not self.rebuild_fields(cfg):
            if (cfg.ema > 0) != (self.cfg.ema > 0):
                self.cfg = cfg
                self.G_ema = self._ema_copy()  # starts from the current G
            self.cfg = cfg
            if changed & {"p_data", "points"}:  # a new object only for new data (a CUDA graph reads the old)
                self.dist = get_distribution(cfg.p_data, cfg.points)
            if changed & OPTIMIZER_FIELDS:
                self.opt_d, self.opt_g = self._optimizers()
                return f"new {cfg.optimizer} optimisers; models kept"
            for opt, lr in ((self.opt_d, cfg.lr_d), (self.opt_g, cfg.lr_g)):
                for group in opt.param_groups:
                    _set_lr(group, lr * self.lr_factor())
                    if "betas" in group:
                        group["betas"] = (cfg.momentum, group["betas"][1])
                    elif "momentum" in group:
                        group["momentum"] = cfg.momentum
            return "applied live: " + ", ".join(sorted(changed))
        self.__init__(cfg)
        return "rebuilt G and D (" + ", ".join(sorted(changed - LIVE_FIELDS)) + " changed); training restarts"

    # -- Algorithm 1 -------------------------------------------------------------------
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
        for layer in self._constrained:
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

    @torch.no_grad()
    def _ema_update(self) -> None:
        """G_ema <- beta * G_ema + (1 - beta) * G (see ema_step)."""
        ema, live = list(self.G_ema.parameters()), list(self.G.parameters())
        if self.capturing:  # 1 - beta from a device tensor, filled before each replay of the graph
            step = torch._foreach_sub(live, ema)
            torch._foreach_mul_(step, self.ema_weight)
            torch._foreach_add_(ema, step)
            _copy_buffers(self.G_ema, self.G)
        else:
            ema_step(self.G_ema, self.G, self.ema_beta())
        self.ema_updates += 1

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
        """The learning-rate multiplier now: 1, or falling linearly to LR_FLOOR over decay_steps."""
        if not self.cfg.decay_steps:
            return 1.0
        return max(LR_FLOOR, 1.0 - (1.0 - LR_FLOOR) * self.g_updates / self.cfg.decay_steps)

    def decaying(self) -> bool:
        """True while decay_steps is still lowering the learning rates."""
        return self.g_updates < self.cfg.decay_steps

    def set_decayed_lr(self) -> None:
        """At the start of an iteration: the learning rates of this G update (with decay_steps)."""
        if self.cfg.decay_steps:
            f = self.lr_factor()
            for opt, lr in ((self.opt_d, self.cfg.lr_d), (self.opt_g, self.cfg.lr_g)):
                for group in opt.param_groups:
                    _set_lr(group, lr * f)

    def iteration(self) -> None:
        """Algorithm 1's loop body: k D updates on fresh minibatches, then one G update."""
        for _ in range(self.cfg.k):
            self.d_step()
        self.g_step()

    def step(self) -> None:
        """One training iteration, eagerly: this G update's learning rates, then ``iteration``."""
        self.set_decayed_lr()
        self.iteration()

    # -- the fast path on CUDA (ganlab.cudagraph) ----------------------------------------------
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
    def device_text(self) -> str:
        """The device for captions: "CPU", or the GPU's name and how iterations run on it."""
        if self.device.type != "cuda":
            return device_label(self.device)
        return f"{device_label(self.device)}, {self.fast_path}"

    @property
    def fast_path(self) -> str:
        """How iterations run now, in words: "CUDA graph" or "eager (why)"."""
        blocker = graph_blocker(self)
        if blocker:
            return f"eager ({blocker})"
        if self._graph is not None and self._graph.matches(self):
            return "CUDA graph"
        return f"CUDA graph (recorded at the next run of more than {WARMUP} iterations)"

    def _iterations(self, n: int) -> None:
        """n iterations: replays of the captured graph where possible, else eager steps."""
        if graph_blocker(self):
            self._graph = None
        elif self._graph is None or not self._graph.matches(self):
            self._graph = None  # stale: let its memory go before a new capture
            if n > WARMUP:
                warm_up(self)
                n -= WARMUP
                self._graph = capture(self)
        if self._graph is not None:
            self._graph.replay(self, n)
            return
        for _ in range(n):
            self.step()

    # -- guarded running -----------------------------------------------------------------
    def advance(self, n: int = 1, what: str = "iteration") -> bool:
        """Run n iterations (or n lone "d" / "g" updates); False if it diverged.

        A non-finite loss or weight rolls everything back to the state before this call,
        sets ``diverged`` to a message, and returns False: the last good state is kept.
        """
        if what == "iteration":
            return self.guarded(lambda: self._iterations(n))
        run = {"d": self.d_step, "g": self.g_step}[what]

        def updates() -> None:
            for _ in range(n):
                run()

        return self.guarded(updates)

    def guarded(self, update: Callable[[], object]) -> bool:
        """Run ``update`` (any training updates) under the lock, with TF32 products on CUDA; a
        non-finite result rolls back to the state before it, as in advance(). False if it diverged."""
        with self.lock, cuda_lock(self.device), tf32(self.device):
            return self._checked(update)

    def _checked(self, update: Callable[[], object]) -> bool:
        self._keep_good_state()
        update()
        if self.is_finite():
            self.diverged = None
            return True
        at = self.g_updates
        self._restore_good_state()
        self.diverged = (
            f"training diverged (non-finite loss) within G update {at}; rolled back to "
            f"G update {self.g_updates}. Lower the learning rates and continue."
        )
        return False

    def _live_tensors(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Every tensor a training step changes: (weights and buffers, optimiser state)."""
        nets = [net for net in (self.G, self.G_ema, self.D) if net is not None]
        weights = [t.data for net in nets for t in net.state_dict(keep_vars=True).values()]
        opt = [v for o in (self.opt_d, self.opt_g) for st in o.state.values() for v in st.values()]
        return weights, [v for v in opt if isinstance(v, torch.Tensor)]

    def _keep_good_state(self) -> None:
        """Copy the state into buffers kept between calls (no new allocations: for the paper's
        MNIST networks a fresh clone of ~70 MB took 16 ms per call, a copy into buffers far less)."""
        tensors = [t for group in self._live_tensors() for t in group]
        kept = getattr(self, "_good_tensors", None)
        if kept is None or [t.shape for t in kept] != [t.shape for t in tensors]:
            self._good_tensors = [t.clone() for t in tensors]
        else:
            torch._foreach_copy_(kept, tensors)
        counters = (self.d_updates, self.g_updates, self.ema_updates, self.loss_d, self.loss_g)
        had_opt_state = any(o.state for o in (self.opt_d, self.opt_g))
        self._good_rest = (counters, self.rng.get_state(), had_opt_state)

    def _restore_good_state(self) -> None:
        counters, rng, had_opt_state = self._good_rest
        weights, opt = self._live_tensors()
        if not had_opt_state:  # the optimisers had no state yet: start them afresh
            for o in (self.opt_d, self.opt_g):
                o.state.clear()
            opt = []
            self.generation += 1  # a captured graph holds the cleared state's tensors
        torch._foreach_copy_(weights + opt, self._good_tensors)
        self.d_updates, self.g_updates, self.ema_updates, self.loss_d, self.loss_g = counters
        self.rng.set_state(rng)

    def is_finite(self) -> bool:
        """True when the last losses and every weight are finite (one host sync)."""
        values = [p.sum() for p in (*self.G.parameters(), *self.D.parameters())]
        values += [loss for loss, n in ((self.loss_d, self.d_updates), (self.loss_g, self.g_updates)) if n]
        return bool(torch.isfinite(torch.stack(values)).all())

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Copies of everything needed to resume (tensors and plain numbers only)."""

        def clone(obj):
            if isinstance(obj, torch.Tensor):
                return obj.detach().clone()
            if isinstance(obj, dict):
                return {k: clone(v) for k, v in obj.items()}
            if isinstance(obj, list):
                return [clone(v) for v in obj]
            return obj

        return {
            "config": self.cfg.to_dict(),
            "generator": clone(self.G.state_dict()),
            "generator_ema": clone(self.G_ema.state_dict()) if self.G_ema is not None else None,
            "discriminator": clone(self.D.state_dict()),
            "opt_g": _portable(clone(self.opt_g.state_dict())),
            "opt_d": _portable(clone(self.opt_d.state_dict())),
            "rng": self.rng.get_state(),
            "d_updates": self.d_updates,
            "g_updates": self.g_updates,
            "ema_updates": self.ema_updates,
            "run_id": self.run_id,
            "loss_d": self.loss_d.clone(),
            "loss_g": self.loss_g.clone(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned (same architecture)."""
        self.G.load_state_dict(state["generator"])
        if self.G_ema is not None:
            self.G_ema.load_state_dict(state.get("generator_ema") or state["generator"])
        self.D.load_state_dict(state["discriminator"])
        for opt, saved in ((self.opt_g, state["opt_g"]), (self.opt_d, state["opt_d"])):
            opt.load_state_dict(_fitted(saved, opt))
        self.generation += 1
        # The sampling RNG's state is device-specific: a CPU state cannot seed CUDA.
        with contextlib.suppress(KeyError, RuntimeError, TypeError, ValueError):
            self.rng.set_state(state["rng"])
        self.d_updates, self.g_updates = state["d_updates"], state["g_updates"]
        self.ema_updates = state.get("ema_updates", self.g_updates)
        run_id = state.get("run_id")
        self.run_id = run_id if isinstance(run_id, str) else None
        self.loss_d, self.loss_g = state["loss_d"].to(self.device), state["loss_g"].to(self.device)


def _set_lr(group: dict, value: float) -> None:
    """Set a parameter group's learning rate, in place where it is a device tensor."""
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(value)
    else:
        group["lr"] = value


def _portable(opt_state: dict) -> dict:
    """An optimiser's state_dict that loads on any device: learning rates as numbers, Adam's
    step counts on the CPU, not marked capturable (a CUDA trainer's Adam is)."""
    for group in opt_state["param_groups"]:
        if isinstance(group.get("lr"), torch.Tensor):
            group["lr"] = float(group["lr"])
        if "capturable" in group:
            group["capturable"] = False
    for st in opt_state["state"].values():
        if isinstance(st.get("step"), torch.Tensor):
            st["step"] = st["step"].float().cpu()
    return opt_state


def _fitted(saved: dict, opt: torch.optim.Optimizer) -> dict:
    """``saved`` (an optimiser state_dict, from any device) in the form ``opt`` runs in: its
    implementation (capturable, fused or foreach: a CPU run's fused Adam resumes on a GPU as
    that trainer's Adam) and its kind of learning rate (number or device tensor)."""
    groups = []
    for theirs, ours in zip(saved["param_groups"], opt.param_groups):
        group = dict(theirs)
        for key in ("capturable", "fused", "foreach"):
            if key in ours:
                group[key] = ours[key]
        if isinstance(ours["lr"], torch.Tensor):
            group["lr"] = torch.tensor(float(theirs["lr"]), device=ours["lr"].device)
        groups.append(group)
    return {**saved, "param_groups": groups}
