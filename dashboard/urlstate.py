"""The setup in the page URL: `?preset=ring8&lr_d=0.005&seed=3` reproduces a setup in a fresh
browser. The URL holds the preset and every sidebar value that differs from it; it is read
once, when a session starts, and rewritten after each full rerun (never by the live frames).
A value that is not one the widget offers is ignored and named in one warning: a link
typed by hand or cut short never breaks the page."""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st

from dashboard import controls as c
from dashboard.presenter import PRESENT_KEY
from ganlab.config import CHOICES, LIMITS
from ganlab.presets import PRESETS

__all__ = ["read_url", "write_url", "warn_skipped", "url_params"]


def _choice(options: list) -> Callable[[str], object]:
    """Parse one of ``options`` (numbers compared by value, so 0.0002 and 2e-4 are the same)."""

    def parse(text: str) -> object:
        for option in options:
            if isinstance(option, str) and text == option:
                return option
            if not isinstance(option, str):
                try:
                    if math.isclose(float(text), option, rel_tol=1e-9, abs_tol=1e-12):
                        return option
                except ValueError:
                    pass
        raise ValueError(text)

    return parse


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError(text)
        return value

    return parse


def _momentum(text: str) -> float:
    value = round(float(text), 2)
    if not 0.0 <= value <= 0.99:  # the slider's range; NaN fails this test too
        raise ValueError(text)
    return value


PARSERS: dict[str, Callable[[str], object]] = {
    "p_data": _choice([p for p in CHOICES["p_data"] if p != "custom"]),  # drawn points stay local
    "model": _choice(list(CHOICES["model"])),
    "lr_d": _choice(c.LEARNING_RATES),
    "lr_g": _choice(c.LEARNING_RATES),
    "k": _int_in(1, 20),
    "latent_dim": _int_in(1, int(LIMITS["latent_dim"][1])),
    "noise": _choice(list(CHOICES["noise"])),
    "batch_size": _choice(c.BATCH_SIZES),
    "hidden": _choice(c.WIDTHS),
    "depth": _int_in(1, 4),
    "g_loss": _choice(list(CHOICES["g_loss"])),
    "optimizer": _choice(list(CHOICES["optimizer"])),
    "momentum": _momentum,
    "pack": _int_in(1, 8),
    "instance_noise": _choice(c.INSTANCE_NOISE_CHOICES),
    "instance_noise_steps": _int_in(0, 1_000_000),
    "r1": _choice(c.R1_CHOICES),
    "g_activation": _choice(list(CHOICES["g_activation"])),
    "maxout": _int_in(1, 8),
    "ema": _choice(c.EMA_CHOICES),
    "decay_steps": _int_in(0, 1_000_000),
    "seed": _int_in(0, 2**31 - 1),
    "steps_per_frame": _choice(c.STEPS_CHOICES),
}
MAX_VALUE_CHARS = 40


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def read_url() -> None:
    """At a session's start: load the URL's preset, then its values, into the widgets.
    Unknown names and values the widgets do not offer are skipped and named in a warning."""
    params = st.query_params.to_dict()
    if not params:
        return
    skipped = []
    if params.pop(PRESENT_KEY, None) == "1":  # a link straight into presenter mode
        st.session_state[PRESENT_KEY] = True
    preset = params.pop("preset", None)
    if preset is not None and preset in PRESETS:
        st.session_state["preset"] = preset
        st.session_state.update(c.preset_widget_values(preset))
    elif preset is not None:
        skipped.append("preset")
    for name, text in params.items():
        parse = PARSERS.get(name)
        try:
            if parse is None or len(text) > MAX_VALUE_CHARS:
                raise ValueError(text)
            st.session_state[f"w_{name}"] = parse(text)
        except ValueError:
            skipped.append(name[:MAX_VALUE_CHARS])
    if skipped:
        st.session_state["url_skipped"] = skipped


def url_params() -> dict[str, str]:
    """The preset and every sidebar value that differs from it, as URL parameters."""
    state = st.session_state
    preset = state["preset"]
    defaults = {**c.preset_widget_values(preset), "w_steps_per_frame": "auto"}
    out = {"preset": preset}
    if state.get(PRESENT_KEY):
        out[PRESENT_KEY] = "1"
    for name in PARSERS:
        value = state.get(f"w_{name}")
        if value is None or value == "custom":
            continue
        default = defaults.get(f"w_{name}")
        same = (
            math.isclose(value, default, rel_tol=1e-9)
            if isinstance(value, (int, float)) and isinstance(default, (int, float))
            else value == default
        )
        if not same:
            out[name] = _text(value)
    return out


def write_url() -> None:
    """After a full rerun: the URL says the current setup (only when it changed)."""
    wanted = url_params()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def warn_skipped() -> None:
    """One warning naming what a link held that this page does not offer."""
    skipped = st.session_state.pop("url_skipped", None)
    if skipped:
        st.warning(
            "Ignored in the link (not a value this page offers): " + ", ".join(skipped),
            icon=":material/link_off:",
        )
