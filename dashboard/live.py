"""What every live view shares: the play/step buttons, one frame of training, the metric curves."""

from __future__ import annotations

import time

import streamlit as st

from dashboard.controls import IMAGE_TRAIN_BUDGET_S, STEPS_CHOICES, TRAIN_BUDGET_S, ViewOptions, reset_trainer
from dashboard.live_chart import live_chart
from ganlab.config import ToyConfig
from ganlab.plots import metrics_chart, mnist_metrics_chart
from ganlab.snapshot import Snapshot, take_snapshot
from ganlab.snapshot2d import Snapshot2D
from ganlab.snapshot_mnist import SnapshotMnist
from ganlab.train import Trainer

TICK_S = 0.05  # timer between frames while playing; a frame's own work comes on top
METRICS_EVERY_S = 1.0  # while playing, the sample-based metrics are computed this often, not every frame
METRICS_TICK_S = 3.0  # the metric curves change slowly: redraw them less often
HISTORY_MAX = 4000


def aids_label(trainer: Trainer) -> str:
    """' · instance noise σ … · R1 γ … · packing …' for the aids in force now ('' if none),
    so a chart's title says how its picture was made, 1D and 2D alike."""
    sigma, cfg = trainer.instance_sigma(), trainer.cfg
    parts = [f"instance noise σ {sigma:.2f}" if sigma else "", f"R1 γ {cfg.r1:g}" if cfg.r1 else ""]
    parts += [f"packing {cfg.pack}" if cfg.pack > 1 else ""]
    return "".join(f" · {p}" for p in parts if p)


def _set_running(value: bool) -> None:
    """Play or Pause. Idempotent, not a toggle: a click that lands twice (or on a page that
    is mid-rerun) cannot flip the state back."""
    st.session_state["running"] = value


def _single(what: str) -> None:
    st.session_state["running"] = False
    st.session_state["trainer"].advance(1, what)


def buttons_ui(cfg: ToyConfig) -> None:
    """Play/pause, one D step, one G step, one iteration, reset (callbacks, outside the fragment)."""
    running = st.session_state["running"]
    specs = [
        (
            "play",
            ":material/pause: Pause" if running else ":material/play_arrow: Play",
            _set_running,
            (not running,),
            None,
        ),
        ("d_step", ":material/skip_next: D step", _single, ("d",), "One discriminator update (ascend V)"),
        ("g_step", ":material/skip_next: G step", _single, ("g",), "One generator update"),
        (
            "iteration",
            ":material/fast_forward: Iteration",
            _single,
            ("iteration",),
            "k D updates, then one G update (Algorithm 1)",
        ),
        ("reset", ":material/restart_alt: Reset", reset_trainer, (cfg,), "New G and D from the seed"),
    ]
    for col, (key, label, callback, args, help_text) in zip(st.columns(len(specs)), specs):
        col.button(
            label,
            key=key,
            on_click=callback,
            args=args,
            help=help_text,
            type="primary" if key == "play" else "secondary",
            use_container_width=True,
        )


def _train_frame(trainer: Trainer, view: ViewOptions) -> bool:
    """One frame's iterations: the chosen number, or (auto) as many as the last frames' pace
    fits in the training budget. False if training diverged."""
    per_iter = st.session_state.get("s_per_iteration")
    budget = IMAGE_TRAIN_BUDGET_S if trainer.cfg.data_dim == 784 else TRAIN_BUDGET_S
    n = view.steps_per_frame or (1 if per_iter is None else round(budget / per_iter))
    n = min(max(n, 1), STEPS_CHOICES[-1])
    start = time.perf_counter()
    ok = trainer.advance(n)
    took = (time.perf_counter() - start) / n
    st.session_state["s_per_iteration"] = took if per_iter is None else 0.7 * per_iter + 0.3 * took
    return ok


def play_frame(view: ViewOptions) -> tuple[Trainer, Snapshot | Snapshot2D | SnapshotMnist]:
    """Inside a fragment: train one frame's iterations if playing, then snapshot and log it."""
    trainer = st.session_state["trainer"]
    running = st.session_state["running"]
    if running and not _train_frame(trainer, view):
        st.session_state["running"] = False
        st.rerun()  # the whole page, so the timer stops and Play comes back
    history, now = st.session_state["history"], time.monotonic()
    due = not running or not history or now - st.session_state.get("metrics_at", 0.0) >= METRICS_EVERY_S
    snap = take_snapshot(trainer, metrics=due)
    if not due:  # between full metrics the title shows the last ones beside the fresh losses
        snap.metrics = {**history[-1], **snap.metrics}
        return trainer, snap
    st.session_state["metrics_at"] = now
    counters = {"g_updates": snap.g_updates, "d_updates": snap.d_updates}
    if not history or {k: history[-1][k] for k in counters} != counters:
        history.append({**counters, **snap.metrics})
        del history[:-HISTORY_MAX]
    return trainer, snap


def metrics_view(height: int = 460) -> None:
    """Metric curves over training, redrawn every few seconds while playing (cheaper than every frame)."""

    @st.fragment(run_every=METRICS_TICK_S if st.session_state["running"] else None)
    def curves() -> None:
        history = st.session_state["history"]
        if len(history) < 2:
            st.caption("Metric curves appear after a few updates: press Play or a step button.")
            return
        shown = history[:: max(1, len(history) // 600)]
        chart = metrics_chart if "jsd" in history[-1] else mnist_metrics_chart
        live_chart(chart(shown, height=height), key="metrics_chart")

    curves()
