"""Generator and discriminator builders. Each receives the config that describes it."""

from __future__ import annotations

from torch import nn

from ganlab.config import ToyConfig

__all__ = ["Generator", "Discriminator", "Maxout", "mlp"]


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

    def __init__(self, n_in: int, n_out: int, pieces: int) -> None:
        super().__init__()
        self.n_out, self.pieces = n_out, pieces
        self.linear = nn.Linear(n_in, n_out * pieces)

    def forward(self, x):
        return self.linear(x).view(*x.shape[:-1], self.n_out, self.pieces).amax(-1)


G_ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2)}


class Generator(nn.Module):
    """G: z (batch, latent_dim) -> x (batch, data_dim). SiLU (the default) keeps G smooth, and
    so p_g, without tanh's saturation, which piles p_g up at the ends of a uniform z; ReLU's
    kinks let G jump between separated modes more sharply."""

    def __init__(self, cfg: ToyConfig) -> None:
        super().__init__()
        activation = G_ACTIVATIONS[cfg.g_activation]
        self.net = mlp(cfg.latent_dim, cfg.data_dim, cfg.hidden, cfg.depth, activation)

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    """D: x (batch, pack * data_dim) -> logit (batch, 1); D = sigmoid(logit), the probability
    that x is real. With PacGAN packing (pack > 1) each input is `pack` samples side by side,
    all real or all fake, so D can see a lack of variety that one sample cannot show."""

    def __init__(self, cfg: ToyConfig) -> None:
        super().__init__()
        n_in = cfg.data_dim * cfg.pack
        if cfg.maxout > 1:  # maxout hidden units, as in the paper's discriminators
            widths = [n_in] + [cfg.hidden] * cfg.depth
            layers: list[nn.Module] = [Maxout(a, b, cfg.maxout) for a, b in zip(widths, widths[1:])]
            self.net = nn.Sequential(*layers, nn.Linear(cfg.hidden, 1))
        else:
            self.net = mlp(n_in, 1, cfg.hidden, cfg.depth, lambda: nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.net(x)
