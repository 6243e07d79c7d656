"""The setup in the page URL: `?preset=ring8&lr_d=0.005&seed=3` reproduces a setup in a fresh
browser. The URL holds the preset and every sidebar value that differs from it; it is read
once, when a session starts, and rewritten after each full rerun (never by the live frames).
A value that is not one the widget offers is ignored and named in one warning: a link
typed by hand or cut short never breaks the page."""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st

from dashboard.presenter import PRESENT_KEY
from dashboard.widgets import OPTIONS, link_text, preset_widget_values
from ganlab.presets import PRESETS

__all__ = ["read_url", "write_url", "warn_skipped", "url_params", "PARSERS", "OPEN_TAB_KEY"]


def _parser(name: str) -> Callable[[str], object]:
    parse = OPTIONS[name].parse
    if name != "p_data":
        return parse

    def p_data(text: str) -> object:
        if text == "custom":  # drawn points stay local: a link cannot carry them
            raise ValueError(text)
        return parse(text)

    return p_data


# What a link may set: every sidebar setting, read as its widget reads it.
PARSERS: dict[str, Callable[[str], object]] = {name: _parser(name) for name in OPTIONS}
MAX_VALUE_CHARS = 40
OPEN_TAB_KEY = "open_tab"  # a tab a link asks to open (the compare tab, for b_* values)


def read_url() -> None:
    """At a session's start: load the URL's preset, then its values, into the widgets.
    Unknown names and values the widgets do not offer are skipped and named in a warning."""
    params = st.query_params.to_dict()
    if not params:
        return
    skipped = []
    if params.pop(PRESENT_KEY, None) == "1":  # a link straight into presenter mode
        st.session_state[PRESENT_KEY] = True
    from dashboard.views.compare import TAB_LABEL, URL_PREFIX, b_values_from_url  # views import this module

    b_values, b_skipped = b_values_from_url(params)  # a compare: B's settings, and its tab opens
    st.session_state.update(b_values)
    skipped += b_skipped
    if b_values:
        st.session_state[OPEN_TAB_KEY] = TAB_LABEL
    params = {k: v for k, v in params.items() if not k.startswith(URL_PREFIX)}
    preset = params.pop("preset", None)
    if preset is not None and preset in PRESETS:
        st.session_state["preset"] = preset
        st.session_state.update(preset_widget_values(preset))
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
    """The preset and every sidebar value that differs from it, and a compare's B, as URL parameters."""
    from dashboard.views.compare import b_url_params  # views import this module

    state = st.session_state
    preset = state["preset"]
    defaults = {**preset_widget_values(preset), "w_steps_per_frame": "auto"}
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
            out[name] = link_text(value)
    return {**out, **b_url_params()}


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
