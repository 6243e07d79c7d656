"""Side by side: the sidebar's setup (A) and a second one (B) that differs in the settings
picked here, from the same seed, trained in lockstep (the same iterations each frame) and
drawn as two panels with their JSD on shared axes. The link holds B's differences
(``b_g_loss=minimax``), so a compare opens as it was left."""

from __future__ import annotations

import math
import time

import plotly.graph_objects as go
import streamlit as st

from dashboard.live import FRAME_TARGET_S, TICK_S, blend_pace
from dashboard.live_chart import let_server_send, live_chart
from dashboard.widgets import LEARNING_RATES, OPTIONS, R1_CHOICES, link_text
from ganlab.config import CHOICES, LIMITS, Config
from ganlab.figures.toy1d import figure1_spec
from ganlab.figures.toy2d import plane_spec
from ganlab.snapshot import take_snapshot
from ganlab.train import Trainer

__all__ = ["COMPARED", "URL_PREFIX", "TAB_LABEL", "compare_view", "b_values_from_url", "b_url_params"]

TAB_LABEL = "Compare A and B"
URL_PREFIX = "b_"  # ?b_g_loss=minimax: B's value of g_loss
COMPARED = ("g_loss", "k", "lr_d", "lr_g", "r1", "optimizer")  # what B may change, in this order
KEY = "cmp_"  # B's widgets: cmp_<name>
LABELS = {
    "g_loss": "G's loss",
    "k": "k (D steps per G step)",
    "lr_d": "Learning rate of D",
    "lr_g": "Learning rate of G",
    "r1": "R1 penalty γ",
    "optimizer": "Optimiser",
}
MAX_STEPS = 200  # iterations per frame, each
CURVE_EVERY_S = 0.5  # while playing, a point on the JSD curves this often


def b_values_from_url(params: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    """B's settings in a link's parameters (as session-state values), and the names skipped."""
    values, skipped = {}, []
    for name, text in params.items():
        if not name.startswith(URL_PREFIX):
            continue
        setting = name[len(URL_PREFIX) :]
        try:
            if setting not in COMPARED:
                raise ValueError(text)
            values[f"{KEY}{setting}"] = OPTIONS[setting].parse(text)
        except ValueError:
            skipped.append(name)
    return values, skipped


def b_url_params() -> dict[str, str]:
    """B's settings that differ from A's (the sidebar's), as link parameters."""
    out = {}
    for name in COMPARED:
        value = st.session_state.get(f"{KEY}{name}")
        if value is not None and value != st.session_state.get(f"w_{name}"):
            out[f"{URL_PREFIX}{name}"] = link_text(value)
    return out


def _init_b(cfg: Config) -> None:
    """B starts as A; a link may have set some of B's values already."""
    for name in COMPARED:
        st.session_state.setdefault(f"{KEY}{name}", OPTIONS[name].shown(getattr(cfg, name)))


def _b_widgets(cfg: Config) -> None:
    cols = st.columns(len(COMPARED))
    lr = lambda v: f"{v:g}"  # noqa: E731
    for col, name in zip(cols, COMPARED):
        label = LABELS[name]
        same = st.session_state[f"{KEY}{name}"] == OPTIONS[name].shown(getattr(cfg, name))
        help_text = f"A (the sidebar) has {link_text(getattr(cfg, name))}" + (" too" if same else "")
        with col:
            if name in ("g_loss", "optimizer"):
                st.selectbox(label, CHOICES[name], key=f"{KEY}{name}", help=help_text)
            elif name == "k":
                lo, hi = LIMITS["k"]
                st.number_input(label, int(lo), int(hi), key=f"{KEY}k", help=help_text)
            elif name == "r1":
                st.select_slider(label, R1_CHOICES, key=f"{KEY}r1", format_func=lr, help=help_text)
            else:
                st.select_slider(label, LEARNING_RATES, key=f"{KEY}{name}", format_func=lr, help=help_text)


def _differences(a: Config, b: Config) -> str:
    diffs = [
        f"{LABELS[n]} {link_text(getattr(a, n))} → {link_text(getattr(b, n))}"
        for n in COMPARED
        if getattr(a, n) != getattr(b, n)
    ]
    return "; ".join(diffs)


def _pair(a: Config, b: Config) -> tuple[Trainer, Trainer]:
    """The two trainers, new from the seed when either setup changed (or on Reset)."""
    state = st.session_state
    if state.get("cmp_configs") != (a, b) or "cmp_pair" not in state:
        state["cmp_pair"] = (Trainer(a), Trainer(b))
        state["cmp_configs"] = (a, b)
        state["cmp_curves"] = ([], [])
        state["cmp_note"] = None
        state.pop("cmp_s_per_step", None)
    return state["cmp_pair"]


def _toggle() -> None:
    st.session_state["cmp_running"] = not st.session_state.get("cmp_running", False)


def _reset() -> None:
    st.session_state.pop("cmp_pair", None)
    st.session_state["cmp_running"] = False


def _step(pair: tuple[Trainer, Trainer], n: int) -> bool:
    """n iterations of each, A then B; False (and a note) if one diverged."""
    for name, trainer in zip("AB", pair):
        if not trainer.advance(n):
            st.session_state["cmp_note"] = f"{name} diverged: {trainer.diverged} Both stopped here."
            st.session_state["cmp_running"] = False
            return False
    return True


def _frame_steps() -> int:
    """Iterations for this frame: as many as fit the frame's training time at the measured pace."""
    per = st.session_state.get("cmp_s_per_step")
    return 1 if per is None else max(1, min(MAX_STEPS, round(FRAME_TARGET_S / per)))


def _curve_point(pair: tuple[Trainer, Trainer], snaps: list) -> None:
    state = st.session_state
    now = time.monotonic()
    if state.get("cmp_running") and now - state.get("cmp_curve_at", 0.0) < CURVE_EVERY_S:
        return
    state["cmp_curve_at"] = now
    for curve, trainer, snap in zip(state["cmp_curves"], pair, snaps):
        jsd = snap.metrics.get("jsd")
        if jsd is not None and (not curve or curve[-1][0] != trainer.g_updates):
            curve.append((trainer.g_updates, float(jsd)))


def _curves_spec(names: tuple[str, str]) -> dict:
    fig = go.Figure()
    for curve, name, color in zip(st.session_state["cmp_curves"], names, ("#1f77b4", "#d62728")):
        fig.add_scatter(
            x=[g for g, _ in curve], y=[j for _, j in curve], name=name, mode="lines", line={"color": color}
        )
    fig.update_layout(
        height=240,
        margin={"l": 50, "r": 10, "t": 30, "b": 40},
        title={"text": "JSD(p_data ‖ p_g) in nats, both on the same axes", "font": {"size": 13}},
        xaxis={"title": "G updates"},
        yaxis={"title": "JSD (nats)", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig.to_plotly_json()


def _panel(cfg: Config, snap, title: str) -> dict:
    if cfg.kind == "1d":
        return figure1_spec(snap, show_d_star=False, height=360, title=title)
    return plane_spec(snap, "d", ("real", "fake", "manifold"), height=420, title=title)


def _same_axes(panels: list[dict]) -> None:
    """Both panels over the same stretch of x and y: the union of their ranges."""
    for axis in ("xaxis", "yaxis"):
        ranges = [p["layout"].get(axis, {}).get("range") for p in panels]
        if all(r is not None for r in ranges):
            union = [min(r[0] for r in ranges), max(r[1] for r in ranges)]
            for p in panels:
                p["layout"][axis]["range"] = union


def _title(name: str, trainer: Trainer, snap) -> str:
    m = snap.metrics
    jsd = f" · JSD {m['jsd']:.4f} nats" if "jsd" in m and math.isfinite(m["jsd"]) else ""
    modes = f" · modes {m['modes_covered']}/{m['modes_total']}" if "modes_covered" in m else ""
    return f"<b>{name}</b> · G updates {trainer.g_updates:,}{jsd}{modes}"


def compare_view(cfg: Config) -> None:
    """The compare tab of the 1D and 2D pages."""
    st.markdown(
        "**A** is the setup in the sidebar; **B** is the same setup with the changes you make "
        "here. Both start from the same seed (the same initial weights, minibatches and noise) "
        "and train in lockstep: each frame gives both the same number of iterations."
    )
    _init_b(cfg)
    _b_widgets(cfg)
    try:
        b_cfg = cfg.replace(**{name: st.session_state[f"{KEY}{name}"] for name in COMPARED})  # checked
        pair = _pair(cfg, b_cfg)
    except (ValueError, RuntimeError) as exc:
        st.error(f"B cannot be built: {exc}", icon=":material/error:")
        return
    diff = _differences(cfg, b_cfg)
    if diff:
        st.caption(f"B differs from A in: {diff}.")
    else:
        st.info(
            "B's settings are the same as A's, so the two panels will train identically (same "
            "seed, same draws). Change one of B's settings above to compare.",
            icon=":material/info:",
        )
    running = st.session_state.get("cmp_running", False)
    buttons = st.columns([1, 1, 1, 5])
    buttons[0].button(
        ":material/pause: Pause" if running else ":material/play_arrow: Play",
        key="cmp_play",
        on_click=_toggle,
        type="primary",
        use_container_width=True,
    )
    if buttons[1].button(
        ":material/skip_next: Step", key="cmp_step", disabled=running, use_container_width=True
    ):
        _step(pair, 10)
    buttons[2].button(
        ":material/restart_alt: Reset", key="cmp_reset", on_click=_reset, use_container_width=True
    )

    @st.fragment(run_every=TICK_S if running else None)
    def frame() -> None:
        state = st.session_state
        a, b = state["cmp_pair"]
        if state.get("cmp_running"):
            n = _frame_steps()
            start = time.perf_counter()
            if _step((a, b), n):
                took = (time.perf_counter() - start) / n
                per = state.get("cmp_s_per_step")
                state["cmp_s_per_step"] = blend_pace(per, took)
            else:
                st.rerun()  # the whole page: Play comes back, the note shows
        snaps = [take_snapshot(t, metrics=True, densities=False) for t in (a, b)]
        _curve_point((a, b), snaps)
        panels = [_panel(t.cfg, s, _title(n, t, s)) for n, t, s in zip("AB", (a, b), snaps)]
        _same_axes(panels)
        for col, panel, key in zip(st.columns(2), panels, ("cmp_a", "cmp_b")):
            with col:
                live_chart(panel, key=key)
        live_chart(_curves_spec(("A (sidebar)", f"B ({diff or 'same as A'})")), key="cmp_curves")
        if state.get("cmp_running"):
            let_server_send()

    if st.session_state.get("cmp_note"):
        st.warning(st.session_state["cmp_note"], icon=":material/warning:")
    frame()
