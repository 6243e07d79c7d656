"""The sidebar's settings as one table: what each widget offers (its choices or range), how a
value written in a link is read, and which widget value shows a config's setting. The
sidebar, the link (urlstate) and a loaded run (runfile) all read this one table."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ganlab.config import CHOICES, LIMITS, Config
from ganlab.presets import PRESETS

__all__ = [
    "Choice",
    "Whole",
    "Stepped",
    "OPTIONS",
    "LEARNING_RATES",
    "BATCH_SIZES",
    "WIDTHS",
    "EMA_CHOICES",
    "INSTANCE_NOISE_CHOICES",
    "R1_CHOICES",
    "STEPS_CHOICES",
    "config_widget_values",
    "link_text",
    "preset_widget_values",
]

LEARNING_RATES = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2]
LEARNING_RATES += [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
BATCH_SIZES = [16, 32, 64, 100, 128, 256, 512, 1024, 2048]
WIDTHS = [4, 8, 16, 32, 64, 128, 256, 512]
EMA_CHOICES = [0.0, 0.9, 0.99, 0.999, 0.9995, 0.9999]
INSTANCE_NOISE_CHOICES = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
R1_CHOICES = [0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0]
STEPS_CHOICES = ["auto", 1, 2, 3, 5, 10, 20, 50, 100, 200]


@dataclass(frozen=True)
class Choice:
    """One of a list of values (a select slider, radio buttons or a select box)."""

    options: tuple

    def parse(self, text: str) -> Any:
        """The option ``text`` names (numbers compared by value: 0.0002 and 2e-4 are the same)."""
        for option in self.options:
            if isinstance(option, str) and text == option:
                return option
            if not isinstance(option, str):
                try:
                    if math.isclose(float(text), option, rel_tol=1e-9, abs_tol=1e-12):
                        return option
                except ValueError:
                    pass
        raise ValueError(text)

    def shown(self, value: Any) -> Any:
        """The option that shows ``value``: itself, or for numbers the nearest one."""
        numbers = [o for o in self.options if not isinstance(o, str)]
        if isinstance(value, str) or not numbers:
            return value
        return min(numbers, key=lambda o: abs(o - value))


@dataclass(frozen=True)
class Whole:
    """An integer from lo to hi (a slider or a number input)."""

    lo: int
    hi: int

    def parse(self, text: str) -> int:
        value = int(text)
        if not self.lo <= value <= self.hi:
            raise ValueError(text)
        return value

    def shown(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Stepped:
    """A number from lo to hi in steps of ``step`` (a slider)."""

    lo: float
    hi: float
    step: float

    def parse(self, text: str) -> float:
        value = round(float(text), self.decimals)
        if not self.lo <= value <= self.hi:  # NaN fails this test too
            raise ValueError(text)
        return value

    @property
    def decimals(self) -> int:
        """The step's decimal places (0.01: 2): a value is rounded to the slider's steps."""
        return len(f"{self.step:f}".rstrip("0").partition(".")[2])

    def shown(self, value: Any) -> Any:
        return value


def _limit(name: str) -> Whole:
    lo, hi = LIMITS[name]
    return Whole(int(lo), int(hi))


# Every sidebar setting (the widget's key is "w_" + its name), in the sidebar's order.
OPTIONS: dict[str, Choice | Whole | Stepped] = {
    "p_data": Choice(CHOICES["p_data"]),
    "model": Choice(CHOICES["model"]),
    "lr_d": Choice(tuple(LEARNING_RATES)),
    "lr_g": Choice(tuple(LEARNING_RATES)),
    "k": _limit("k"),
    "latent_dim": _limit("latent_dim"),
    "noise": Choice(CHOICES["noise"]),
    "batch_size": Choice(tuple(BATCH_SIZES)),
    "hidden": Choice(tuple(WIDTHS)),
    "depth": Whole(1, 4),
    "g_loss": Choice(CHOICES["g_loss"]),
    "optimizer": Choice(CHOICES["optimizer"]),
    "momentum": Stepped(0.0, 0.99, 0.01),
    "pack": _limit("pack"),
    "instance_noise": Choice(tuple(INSTANCE_NOISE_CHOICES)),
    "instance_noise_steps": Whole(0, 1_000_000),
    "r1": Choice(tuple(R1_CHOICES)),
    "g_activation": Choice(CHOICES["g_activation"]),
    "maxout": _limit("maxout"),
    "ema": Choice(tuple(EMA_CHOICES)),
    "decay_steps": Whole(0, 1_000_000),
    "seed": _limit("seed"),
    "steps_per_frame": Choice(tuple(STEPS_CHOICES)),
}


def link_text(value: object) -> str:
    """A widget value as a link writes it (numbers short: 0.0002, not 0.00020000000000000001)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def config_widget_values(cfg: Config) -> dict[str, object]:
    """The sidebar's values for ``cfg`` (w_* keys), each the one its widget offers."""
    return {
        f"w_{name}": option.shown(getattr(cfg, name))
        for name, option in OPTIONS.items()
        if name != "steps_per_frame"
    }


def preset_widget_values(preset: str) -> dict[str, object]:
    """The sidebar's values for ``preset`` (w_* keys)."""
    return config_widget_values(PRESETS[preset].config)
