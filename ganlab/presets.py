"""Named, tested configurations. Each says what it shows."""

from __future__ import annotations

from dataclasses import dataclass

from ganlab.config import Config, ConfigError

__all__ = ["Preset", "PRESETS", "BENCH_PRESETS", "get_preset"]


@dataclass(frozen=True)
class Preset:
    name: str
    config: Config
    steps: int  # training iterations for `ganlab train` when --steps is not given
    about: str


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "paper-1d",
            Config(),
            3000,
            "Figure 1's setting: a Gaussian p_data, 1D z, k = 1. p_g slides onto p_data.",
        ),
        Preset(
            "paper-1d-k5",
            Config(k=5),
            2000,
            "As paper-1d with k = 5: D stays near D*, so G follows a better-informed gradient.",
        ),
        Preset(
            "bimodal-1d",
            Config(p_data="mixture", k=5, hidden=64),
            4000,
            "Two separated modes: watch G stretch across the gap (the density it leaves there "
            "is the price of a continuous G).",
        ),
        Preset(
            "saturating-1d",
            Config(g_loss="minimax", lr_d=1e-2, k=5),
            1500,
            "The minimax G loss log(1 - D(G(z))) with a strong D: D rejects the fakes, G's "
            "gradient vanishes, and p_g hardly moves (the paper's Section 3). Switch the G loss "
            "to non-saturating to see it move.",
        ),
        # -- 2D: the mode benchmarks of VEEGAN and PacGAN, and what they teach ----------------
        Preset(
            "ring8",
            Config(
                p_data="ring8",
                latent_dim=2,
                hidden=128,
                depth=3,
                batch_size=512,
                lr_d=2e-3,
                lr_g=2e-3,
                g_activation="relu",
                ema=0.999,
                decay_steps=10_000,
            ),
            10_000,
            "Our best recipe for the ring of 8 Gaussians (std 0.01): a ReLU generator (its kinks let "
            "G jump between modes), batch 512, learning rates 0.002 decaying to 2 % over 10,000 iterations, "
            "and pictures from an average of G's weights (EMA 0.999). All 8 modes, ~98 % high quality.",
        ),
        Preset(
            "grid25",
            Config(
                p_data="grid25",
                latent_dim=2,
                hidden=128,
                depth=4,
                batch_size=512,
                lr_d=1e-3,
                lr_g=1e-3,
                g_activation="relu",
                ema=0.999,
                decay_steps=15_000,
                r1=1.0,
            ),
            15_000,
            "Our best recipe for the 5 x 5 grid of Gaussians (std 0.05): as ring8's, one layer deeper, "
            "15,000 iterations, and the R1 penalty (gamma 1) on D's slope at real data: without it "
            "some seeds leave a whole row of the grid empty. All 25 modes, ~96 % high quality.",
        ),
        Preset(
            "ring8-collapse",
            Config(
                p_data="ring8", latent_dim=2, hidden=128, depth=3, noise="uniform", k=3, lr_d=1e-3, lr_g=5e-4
            ),
            8000,
            "Mode collapse: D takes 3 steps per G step at twice G's learning rate, so it sharply "
            "rejects wherever G's samples are now; G's whole output then chases whichever mode D "
            "currently rates most real, and ends on 1 to 4 of the 8. The remedy: set the R1 penalty "
            "to 1 (D must stay smooth around the real modes, so it no longer rejects G's one mode "
            "outright and its slope leads G to the empty ones) and G spreads over all 8. PacGAN "
            "packing 4 helps too (7 or 8 of the 8).",
        ),
        Preset(
            "ring8-saturating",
            Config(p_data="ring8", latent_dim=2, hidden=128, depth=3, g_loss="minimax", lr_d=1e-2, k=5),
            2000,
            "The minimax G loss log(1 - D(G(z))) saturates: once D rejects the fakes, the gradient "
            "arrows shrink to nothing and G stalls (the paper's Section 3). Switch the G loss to "
            "non-saturating and watch the arrows come back.",
        ),
        Preset(
            "ring8-strong-d",
            Config(p_data="ring8", latent_dim=2, hidden=128, depth=3, k=10, lr_d=1e-2, lr_g=1e-4),
            2000,
            "D too strong: k = 10 D steps at learning rate 0.01 per G step at 0.0001. D separates "
            "real from fake almost perfectly (mean D(real) near 1, D(fake) near 0, V near its maximum "
            "0), the JSD stays near log 2, and G's samples lurch on huge, erratic gradients instead of "
            "settling. Balance them: ring8 uses k = 1 and equal rates.",
        ),
        # -- MNIST ------------------------------------------------------------------------------
        Preset(
            "mnist-demo",
            Config(
                p_data="mnist",
                model="tutorial",
                latent_dim=64,
                batch_size=128,
                lr_d=5e-4,
                lr_g=5e-4,
                r1=3.0,
                ema=0.999,
            ),
            6_000,
            "MNIST for a demo on a laptop CPU: every digit within two minutes. The tutorial's MLP "
            "networks with the R1 penalty (γ = 3) on D, Adam 5e-4 for both, and samples from an "
            "average of G's weights (EMA 0.999). Measured here by a reader independent of the "
            "project (docs/mnist.md): after 120 s of `ganlab train` on 2 cores (3,494 iterations) "
            "all ten digits at 5.2-18 % each, and after 120 s of Play in the dashboard (1,426) at "
            "6.5-15 %.",
        ),
        Preset(
            "mnist-paper",
            Config(
                p_data="mnist",
                model="paper",
                latent_dim=100,
                noise="uniform",
                batch_size=100,
                lr_d=2e-4,
                lr_g=2e-4,
                pack=2,
                ema=0.9999,
            ),
            20_000,
            "The paper's MNIST model (its released mnist.yaml): G 100 -> ReLU 1200 -> ReLU 1200 -> "
            "sigmoid 784 from uniform noise, weights uniform ±0.05, starting at the mean image; D two "
            "maxout layers (240 units x 5 pieces, column norms at most 1.94) with dropout; batch 100, "
            "k = 1. Three changes, each needed here: Adam 2e-4 (with the paper's SGD, rate 0.1 and "
            "momentum 0.5, D won outright within 1,000 iterations); D judging pairs of images (PacGAN "
            "packing 2; without it G collapsed onto one blob by 8,000 iterations); and samples from an "
            "average of G's weights (EMA: Parzen 116 instead of 50 nats at 7,000 iterations; at 0.9999, "
            "which its warm-up reaches only in long runs, 225 instead of 214.5 for 0.999 at 200,000).",
        ),
        Preset(
            "mnist-mlp",
            Config(p_data="mnist", model="tutorial", latent_dim=64, batch_size=128, lr_d=2e-4, lr_g=2e-4),
            20_000,
            "The MLP GAN of the usual PyTorch tutorial: G of Linear-BatchNorm-ReLU blocks (128 to 1024), "
            "D of Linear-LeakyReLU(0.2) blocks (512 to 128), Adam 2e-4 with beta1 0.5, batch 128.",
        ),
        Preset(
            "mnist-dcgan",
            Config(p_data="mnist", model="dcgan", latent_dim=64, batch_size=128, lr_d=2e-4, lr_g=2e-4),
            10_000,
            "A small DCGAN: transposed convolutions up from 7 x 7 in G, strided convolutions down in D, "
            "batch norm, Adam 2e-4 with beta1 0.5, batch 128.",
        ),
    ]
}


# What `ganlab bench` measures unless told otherwise (the 1D paper preset at k = 1 and 5, a 2D
# mixture, and both MNIST models the issue names).
BENCH_PRESETS = ("paper-1d", "paper-1d-k5", "ring8", "mnist-mlp", "mnist-paper")


def get_preset(name: str) -> Preset:
    """The named preset; ConfigError listing the known names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None
