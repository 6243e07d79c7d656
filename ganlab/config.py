"""One frozen Config for every run (1D, 2D and MNIST), carrying every knob, validated on creation."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

__all__ = [
    "ConfigError",
    "Config",
    "LIMITS",
    "CHOICES",
    "MAX_POINTS",
    "P_DATA_1D",
    "P_DATA_2D",
    "P_DATA_IMAGES",
    "MNIST_MODELS",
    "MLP_SETTINGS",
    "KINDS",
    "applies",
    "parse_assignment",
]


class ConfigError(ValueError):
    """A bad configuration value; the message is one line saying what is allowed."""


# Inclusive numeric bounds, shared by validation, the CLI and the dashboard's sliders.
LIMITS: dict[str, tuple[float, float]] = {
    "latent_dim": (1, 128),
    "hidden": (4, 512),
    "depth": (1, 6),
    "batch_size": (8, 4096),
    "k": (1, 20),
    "lr_d": (1e-6, 10.0),
    "lr_g": (1e-6, 10.0),
    "momentum": (0.0, 0.999),
    "seed": (0, 2**31 - 1),
    "pack": (1, 8),
    "ema": (0.0, 0.9999),
    "maxout": (1, 8),
    "decay_steps": (0, 10_000_000),
    "instance_noise": (0.0, 5.0),
    "instance_noise_steps": (0, 10_000_000),
    "r1": (0.0, 100.0),
}
MAX_POINTS = 5000  # user data (p_data = "custom"): at most this many points

P_DATA_1D = ("gaussian", "mixture", "uniform", "skewed", "trimodal")
# "custom" is the user's own points (``points``), drawn in the dashboard or from a CSV.
P_DATA_2D = ("ring8", "grid25", "two-gaussians", "line", "circle", "moons", "spiral", "custom")
P_DATA_IMAGES = ("mnist",)  # 28 x 28 images as 784-vectors in [0, 1]
# Network families: "mlp" is the toy MLP (hidden x depth, any p_data); the others are fixed
# MNIST architectures: the paper's (maxout D with dropout), the seed tutorial's MLP, a small DCGAN.
MNIST_MODELS = ("paper", "tutorial", "dcgan")
# Settings of the "mlp" networks only: the fixed MNIST architectures have their own sizes.
MLP_SETTINGS = ("hidden", "depth", "maxout", "g_activation")
# The kinds of run, by the dimension of p_data: each has its snapshot, views and pictures.
KINDS = {1: "1d", 2: "2d", 784: "mnist"}

CHOICES: dict[str, tuple[str, ...]] = {
    "p_data": P_DATA_1D + P_DATA_2D + P_DATA_IMAGES,
    "model": ("mlp", *MNIST_MODELS),
    "noise": ("normal", "uniform"),
    "optimizer": ("adam", "sgd"),
    "g_loss": ("non-saturating", "minimax"),
    "device": ("auto", "cpu", "cuda"),
    "g_activation": ("silu", "relu", "leaky_relu"),
}


@dataclass(frozen=True)
class Config:
    """Every knob of one GAN run (Goodfellow et al. 2014, Algorithm 1): 1D, 2D or MNIST.

    >>> Config(k=5).k
    5
    >>> Config(p_data="mnist", model="paper").kind
    'mnist'
    """

    p_data: str = "gaussian"  # target distribution, see ganlab.data.toy
    latent_dim: int = 1  # dimension of z; 1 allows the exact p_g and the z-line picture
    noise: str = "normal"  # p_z: standard normal, or uniform on [-1, 1] as in the paper's figure
    hidden: int = 32  # width of every hidden layer, G and D
    depth: int = 2  # hidden layers, G and D
    batch_size: int = 256  # m in Algorithm 1
    k: int = 1  # D steps per G step (the paper used k = 1)
    lr_d: float = 2e-3  # discriminator learning rate
    lr_g: float = 2e-3  # generator learning rate
    optimizer: str = "adam"  # "sgd" is SGD with momentum, as in the paper
    momentum: float = 0.5  # SGD momentum, or Adam's beta1
    g_loss: str = "non-saturating"  # -log D(G(z)) (Section 3) or "minimax" log(1 - D(G(z)))
    seed: int = 0
    device: str = "auto"  # "auto" picks CUDA when available
    pack: int = 1  # PacGAN packing: D judges `pack` samples at once (1 = a plain GAN)
    ema: float = 0.0  # > 0: show and sample an exponential moving average of G's weights
    maxout: int = 1  # > 1: D's hidden units are maxout units of this many pieces (else LeakyReLU)
    decay_steps: int = 0  # > 0: both learning rates fall linearly to 2 % over this many iterations
    instance_noise: float = 0.0  # std of Gaussian noise added to every input of D, real and fake
    instance_noise_steps: int = 0  # > 0: that std falls linearly to 0 over this many iterations
    r1: float = 0.0  # > 0: D's loss gains (r1 / 2) E_real |grad_x D|^2 (Mescheder et al. 2018)
    g_activation: str = "silu"  # G's hidden units: smooth SiLU (a smooth p_g in 1D) or ReLU's sharp kinks
    points: tuple[tuple[float, float], ...] = ()  # p_data = "custom": the user's 2D points
    model: str = "mlp"  # "mlp" (hidden x depth) or, for MNIST, "paper", "tutorial" or "dcgan"

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _check_points(self.points))
        if self.p_data == "custom" and len(self.points) < 2:
            raise ConfigError("p_data 'custom' needs at least 2 points (draw them or upload a CSV of x,y)")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{f.name} must be an integer, got {value!r}")
            if f.type == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ConfigError(f"{f.name} must be a number, got {value!r}")
                if not math.isfinite(value):
                    raise ConfigError(f"{f.name} must be finite, got {value!r}")
            if f.name in LIMITS:
                lo, hi = LIMITS[f.name]
                if not lo <= value <= hi:
                    raise ConfigError(f"{f.name} must be between {lo:g} and {hi:g}, got {value!r}")
            if f.name in CHOICES and value not in CHOICES[f.name]:
                allowed = ", ".join(CHOICES[f.name])
                raise ConfigError(f"{f.name} must be one of {allowed}; got {value!r}")
        if self.model in MNIST_MODELS and self.p_data != "mnist":
            raise ConfigError(
                f"model {self.model!r} is an MNIST network; use it with p_data mnist, or model mlp"
            )
        if self.model == "dcgan" and self.pack > 1:
            raise ConfigError("model 'dcgan' takes single images: set pack to 1")

    @property
    def data_dim(self) -> int:
        """1 for the 1D distributions, 2 for the plane, 784 for MNIST."""
        if self.p_data in P_DATA_IMAGES:
            return 784
        return 1 if self.p_data in P_DATA_1D else 2

    @property
    def kind(self) -> str:
        """The kind of run: "1d", "2d" or "mnist" (see KINDS)."""
        return KINDS[self.data_dim]

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated; unknown names are an error)."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r}; known: {', '.join(self.names())}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Config:
        """Build from a mapping, e.g. a config.json; unknown keys are an error."""
        if not isinstance(data, dict):
            raise ConfigError(f"a config must be a JSON object, got {type(data).__name__}")
        return cls().replace(**data)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def applies(name: str, model: str) -> bool:
    """Whether setting ``name`` means anything to the networks ``model`` (hidden width and
    depth, maxout and G's units mean nothing to the fixed MNIST architectures).

    >>> applies("hidden", "mlp"), applies("hidden", "paper"), applies("k", "paper")
    (True, False, True)
    """
    return model == "mlp" or name not in MLP_SETTINGS


def _check_points(points: Any) -> tuple[tuple[float, float], ...]:
    """User points as a tuple of finite (x, y) pairs, or ConfigError."""
    try:
        pts = tuple((float(x), float(y)) for x, y in points)
    except (TypeError, ValueError):
        raise ConfigError("points must be a list of (x, y) number pairs") from None
    if len(pts) > MAX_POINTS:
        raise ConfigError(f"points: at most {MAX_POINTS} allowed, got {len(pts)}")
    if not all(math.isfinite(v) for p in pts for v in p):
        raise ConfigError("points must all be finite numbers (no NaN or inf)")
    if any(abs(v) > 1e6 for p in pts for v in p):
        raise ConfigError("points must lie within ±1e6")
    return pts


def parse_assignment(cfg: Config, text: str) -> Config:
    """Apply one ``key=value`` (as given to ``--set``), converting value to the field's type."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip().replace("-", "_"), raw.strip()
    if not sep or not key:
        raise ConfigError(f"--set expects key=value, got {text!r}")
    types = {f.name: f.type for f in fields(Config)}
    if key not in types:
        raise ConfigError(f"unknown setting {key!r}; known: {', '.join(Config.names())}")
    if key == "points":
        raise ConfigError("points cannot be set with --set; give a CSV of x,y with --data FILE")
    value: Any = raw
    try:
        if types[key] == "int":
            value = int(raw)
        elif types[key] == "float":
            value = float(raw)
    except ValueError:
        kind = "an integer" if types[key] == "int" else "a number"
        raise ConfigError(f"{key} must be {kind}, got {raw!r}") from None
    return cfg.replace(**{key: value})
