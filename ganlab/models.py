"""Generator and discriminator builders. Each receives the config that describes it."""

from __future__ import annotations

import torch
from torch import nn

from ganlab.config import Config

__all__ = ["Generator", "Discriminator", "Maxout", "Dropout", "mlp", "init_output_bias", "seeded_networks"]


def mlp(n_in: int, n_out: int, hidden: int, depth: int, activation: type[nn.Module]) -> nn.Sequential:
    """``depth`` hidden layers of width ``hidden`` with ``activation`` between linear maps."""
    layers: list[nn.Module] = []
    width = n_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), activation()]
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


class Maxout(nn.Module):
    """A maxout layer (Goodfellow et al. 2013, the paper's discriminator): each of ``n_out``
    units is the max over ``pieces`` linear functions of the input."""

    def __init__(self, n_in: int, n_out: int, pieces: int, max_norm: float | None = None) -> None:
        super().__init__()
        self.n_out, self.pieces, self.max_norm = n_out, pieces, max_norm
        self.linear = nn.Linear(n_in, n_out * pieces)

    def forward(self, x):
        return self.linear(x).view(*x.shape[:-1], self.n_out, self.pieces).amax(-1)

    @torch.no_grad()
    def constrain(self) -> None:
        """Rescale any piece's weight vector longer than ``max_norm`` back to that length."""
        if self.max_norm is not None:
            w = self.linear.weight  # (n_out * pieces, n_in)
            w.mul_((self.max_norm / w.norm(dim=1, keepdim=True).clamp_min(1e-12)).clamp(max=1.0))


class Dropout(nn.Dropout):
    """nn.Dropout whose masks come from ``generator`` (the trainer sets its own), so that a
    seed fixes the whole run whatever else draws random numbers in the process (other
    dashboard sessions), and a resumed run goes on exactly as an unbroken one; the global
    generator while none is set."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # never in place (``inplace`` is ignored)
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return torch.zeros_like(x)
        keep = 1 - self.p
        return x * torch.empty_like(x).bernoulli_(keep, generator=self.generator).div_(keep)


G_ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2)}


class Generator(nn.Module):
    """G: z (batch, latent_dim) -> x (batch, data_dim). SiLU (the default) keeps G smooth, and
    so p_g, without tanh's saturation, which piles p_g up at the ends of a uniform z; ReLU's
    kinks let G jump between separated modes more sharply."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        if cfg.model == "mlp":
            self.net = mlp(
                cfg.latent_dim, cfg.data_dim, cfg.hidden, cfg.depth, G_ACTIVATIONS[cfg.g_activation]
            )
        else:
            self.net = MNIST_GENERATORS[cfg.model](cfg.latent_dim)
        self.images = cfg.data_dim == 784  # pixels in [0, 1]: a sigmoid on the last layer

    def forward(self, z):
        x = self.net(z)
        return torch.sigmoid(x) if self.images else x


class Discriminator(nn.Module):
    """D: x (batch, pack * data_dim) -> logit (batch, 1); D = sigmoid(logit), the probability
    that x is real. With PacGAN packing (pack > 1) each input is `pack` samples side by side,
    all real or all fake, so D can see a lack of variety that one sample cannot show."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        n_in = cfg.data_dim * cfg.pack
        if cfg.model != "mlp":
            self.net = MNIST_DISCRIMINATORS[cfg.model](n_in)
        elif cfg.maxout > 1:  # maxout hidden units, as in the paper's discriminators
            widths = [n_in] + [cfg.hidden] * cfg.depth
            layers: list[nn.Module] = [Maxout(a, b, cfg.maxout) for a, b in zip(widths, widths[1:])]
            self.net = nn.Sequential(*layers, nn.Linear(cfg.hidden, 1))
        else:
            self.net = mlp(n_in, 1, cfg.hidden, cfg.depth, lambda: nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.net(x)


# -- MNIST networks (fixed architectures; G ends in a logit per pixel, D in one logit) ------
def _uniform_init(net: nn.Module, bound: float) -> nn.Module:
    """Weights and biases uniform on [-bound, bound], as in the paper's released model."""
    for layer in net.modules():
        if isinstance(layer, nn.Linear):
            nn.init.uniform_(layer.weight, -bound, bound)
            nn.init.uniform_(layer.bias, -bound, bound)
    return net


def paper_generator(latent: int) -> nn.Module:
    """The paper's MNIST G: z -> ReLU 1200 -> ReLU 1200 -> 784 (sigmoid applied by Generator)."""
    return _uniform_init(mlp(latent, 784, 1200, 2, nn.ReLU), 0.05)


PAPER_MAX_NORM = 1.9365  # the released model's max_col_norm on D's maxout layers


def paper_discriminator(n_in: int) -> nn.Module:
    """The paper's MNIST D: maxout 240 x 5 pieces, twice, then one logit; dropout keeps 80 %
    of the inputs and 50 % of the hidden units (only while training); each maxout piece's
    weight vector is kept within length 1.9365 (the trainer calls ``constrain`` after each step)."""
    return _uniform_init(
        nn.Sequential(
            Dropout(0.2),
            Maxout(n_in, 240, 5, max_norm=PAPER_MAX_NORM),
            Dropout(0.5),
            Maxout(240, 240, 5, max_norm=PAPER_MAX_NORM),
            Dropout(0.5),
            nn.Linear(240, 1),
        ),
        0.005,
    )


def tutorial_generator(latent: int) -> nn.Module:
    """The seed tutorial's G: blocks of Linear + BatchNorm + ReLU, 128 to 1024 wide, then 784."""
    widths = [latent, 128, 256, 512, 1024]
    blocks = [m for a, b in zip(widths, widths[1:]) for m in (nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU())]
    return nn.Sequential(*blocks, nn.Linear(1024, 784))


def tutorial_discriminator(n_in: int) -> nn.Module:
    """The seed tutorial's D: Linear + LeakyReLU(0.2) blocks 512, 256, 128, then one logit."""
    widths = [n_in, 512, 256, 128]
    blocks = [m for a, b in zip(widths, widths[1:]) for m in (nn.Linear(a, b), nn.LeakyReLU(0.2))]
    return nn.Sequential(*blocks, nn.Linear(128, 1))


def dcgan_generator(latent: int) -> nn.Module:
    """A small DCGAN G for 28 x 28: z -> 64 x 7 x 7 -> 32 x 14 x 14 -> 1 x 28 x 28 (flattened)."""
    return nn.Sequential(
        nn.Linear(latent, 64 * 7 * 7),
        nn.BatchNorm1d(64 * 7 * 7),
        nn.ReLU(),
        nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),  # (32, 14, 14)
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1),  # (1, 28, 28)
        nn.Flatten(),
    )


def dcgan_discriminator(n_in: int) -> nn.Module:
    """A small DCGAN D: 1 x 28 x 28 -> 32 x 14 x 14 -> 64 x 7 x 7 -> one logit."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 32, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, stride=2, padding=1),
        nn.BatchNorm2d(64),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 1),
    )


MNIST_GENERATORS = {"paper": paper_generator, "tutorial": tutorial_generator, "dcgan": dcgan_generator}
MNIST_DISCRIMINATORS = {
    "paper": paper_discriminator,
    "tutorial": tutorial_discriminator,
    "dcgan": dcgan_discriminator,
}


@torch.no_grad()
def init_output_bias(G: Generator, pixel_mean: torch.Tensor) -> None:
    """Start G at the data's mean image: its last layer's biases are the logits of the
    per-pixel means (the paper's released model did this). Convolutional G: left as is."""
    last = [m for m in G.net.modules() if isinstance(m, nn.Linear)][-1]
    if last.out_features == pixel_mean.numel():
        last.bias.copy_(torch.logit(pixel_mean.clamp(1e-3, 1 - 1e-3)).to(last.bias))


def seeded_networks(cfg: Config, device: torch.device) -> tuple[Generator, Discriminator]:
    """G and D for ``cfg``, initialised from ``cfg.seed`` alone (the process's other random
    draws neither change nor see their initialisation), moved to ``device``."""
    with torch.random.fork_rng(devices=[]):
        # The models are made on the CPU: seed its generator only. torch.manual_seed would
        # also seed every CUDA device, and without CUDA record a stack trace for later
        # (12 ms of a 40 ms rebuild).
        torch.default_generator.manual_seed(cfg.seed)
        return Generator(cfg).to(device), Discriminator(cfg).to(device)
