"""Named, tested configurations. Each says what it shows."""

from __future__ import annotations

from dataclasses import dataclass

from ganlab.config import ConfigError, ToyConfig

__all__ = ["Preset", "PRESETS", "get_preset"]


@dataclass(frozen=True)
class Preset:
    name: str
    config: ToyConfig
    steps: int  # training iterations for `ganlab train` when --steps is not given
    about: str


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "paper-1d",
            ToyConfig(),
            3000,
            "Figure 1's setting: a Gaussian p_data, 1D z, k = 1. p_g slides onto p_data.",
        ),
        Preset(
            "paper-1d-k5",
            ToyConfig(k=5),
            2000,
            "As paper-1d with k = 5: D stays near D*, so G follows a better-informed gradient.",
        ),
        Preset(
            "bimodal-1d",
            ToyConfig(p_data="mixture", k=5, hidden=64),
            4000,
            "Two separated modes: watch G stretch across the gap (the density it leaves there "
            "is the price of a continuous G).",
        ),
        Preset(
            "saturating-1d",
            ToyConfig(g_loss="minimax", lr_d=1e-2, k=5),
            1500,
            "The minimax G loss log(1 - D(G(z))) with a strong D: D rejects the fakes, G's "
            "gradient vanishes, and p_g hardly moves (the paper's Section 3). Switch the G loss "
            "to non-saturating to see it move.",
        ),
        # -- 2D: the mode benchmarks of VEEGAN and PacGAN, and what they teach ----------------
        Preset(
            "ring8",
            ToyConfig(p_data="ring8", latent_dim=2, hidden=128, depth=3, lr_d=1e-3, lr_g=1e-3, ema=0.999),
            8000,
            "Our best recipe for the ring of 8 Gaussians (std 0.01).",
        ),
        Preset(
            "grid25",
            ToyConfig(p_data="grid25", latent_dim=2, hidden=128, depth=3, lr_d=1e-3, lr_g=1e-3, ema=0.999),
            8000,
            "Our best recipe for the 5 x 5 grid of Gaussians (std 0.05).",
        ),
        Preset(
            "ring8-collapse",
            ToyConfig(p_data="ring8", latent_dim=2, hidden=64, depth=2, lr_d=5e-3, lr_g=5e-3, batch_size=64),
            3000,
            "Mode collapse: G piles onto a few modes of the ring.",
        ),
        Preset(
            "ring8-saturating",
            ToyConfig(p_data="ring8", latent_dim=2, hidden=128, depth=3, g_loss="minimax", lr_d=1e-2, k=5),
            2000,
            "The minimax G loss log(1 - D(G(z))) saturates: once D rejects the fakes, the gradient "
            "arrows shrink to nothing and G stalls (the paper's Section 3). Switch the G loss to "
            "non-saturating and watch the arrows come back.",
        ),
        Preset(
            "ring8-strong-d",
            ToyConfig(p_data="ring8", latent_dim=2, hidden=128, depth=3, k=10, lr_d=1e-2, lr_g=1e-4),
            2000,
            "D too strong: k = 10 D steps at a high learning rate per slow G step.",
        ),
    ]
}


def get_preset(name: str) -> Preset:
    """The named preset; ConfigError listing the known names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None
