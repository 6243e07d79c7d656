"""What every live view shares: the play/step buttons, the frame loop (train a little, take a
snapshot, draw, on a timer while playing, paced to a frame rate), and the metric curves."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import record
from dashboard.live_chart import FRESH_KEY, let_server_send, live_chart
from dashboard.narrate import KEY as NARRATION_KEY
from dashboard.sessions import take_seat
from dashboard.trainer_state import reset_trainer
from dashboard.widgets import STEPS_CHOICES
from ganlab.config import Config
from ganlab.figures.kinds import FIGURES
from ganlab.snapshot import Snapshot, take_snapshot
from ganlab.train import Trainer

FRAME_TARGET_S = 0.04  # auto iterations per frame: a whole frame (training + drawing) aims at 25/s
MIN_TRAIN_S = 0.01  # ... but each frame trains at least this long (and at least one iteration)
# ... and, when drawing alone takes longer than the target (a busy server: ten sessions share
# its cores), at least this fraction of the drawing time, so a crowded room still trains.
MIN_TRAIN_SHARE = 0.5
# MNIST: frames of 100 ms, several iterations each. At 50 ms (6 a rerun) the view redrew
# 12-14 times a second but trained only 12.5-14 G updates; at 100 ms (3 a rerun) 9.5 and 16
# (tools/liveperf.py, mnist-mlp, this 2-core machine). Digits forming need no more than ten
# pictures a second; what an audience waits for is the training (docs/mnist.md, mnist-demo).
IMAGE_FRAME_TARGET_S = 0.1
IMAGE_FRAMES_PER_RUN = 4  # MNIST: grid frames per fragment rerun (the rerun's overhead is paid once)

TICK_S = 0.05  # the browser asks for a rerun this often; a longer rerun is followed at once by the next
FRAMES_PER_RUN = 8  # while playing, frames drawn per fragment rerun (its overhead is paid once)
METRICS_EVERY_S = 1.0  # while playing, the sample-based metrics are computed this often, not every frame
METRICS_TICK_S = 3.0  # the metric curves change slowly: redraw them less often
HISTORY_MAX = 4000
METRICS_SPEC_KEY = "metrics_spec"  # the last metric curves drawn: (history key, spec)
TIMER_KEY = "frame_timer"  # set once the browser's timer reruns the live fragment while playing


@dataclass(frozen=True)
class ViewOptions:
    steps_per_frame: int | None  # training iterations between two redraws; None: auto (a time budget)


LiveView = Callable[[ViewOptions], None]  # a kind's live view: its charts, redrawn while playing
Tab = tuple[str, Callable[[], None]]  # a tab's label, and what draws it
LiveTab = Callable[[LiveView], Callable[[], None]]  # a live view -> a tab with the buttons above it


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
    if value:
        st.session_state.pop(NARRATION_KEY, None)  # a narrated iteration ends when training runs on


def _single(what: str) -> None:
    st.session_state["running"] = False
    st.session_state["trainer"].advance(1, what)


def buttons_ui(cfg: Config) -> None:
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


def _auto_budget(frames: int, target: float) -> float:
    """Auto: each frame's training time, so that a rerun of ``frames`` frames takes about
    ``frames`` x ``target`` seconds; the rest of a rerun's cost (snapshots, charts, Streamlit) is
    measured as the gap between reruns minus their training. When that cost alone passes the
    target (a crowded server), training still gets MIN_TRAIN_SHARE of it: fewer redraws, but
    the model keeps learning (ten sessions on two cores: ~1 G update/s each without this)."""
    ss, now = st.session_state, time.perf_counter()
    last, trained = ss.get("frame_started"), ss.get("frame_train_s", 0.0)
    ss["frame_started"] = now
    if last is not None:  # consecutive playing reruns, however slow (a crowded server: seconds)
        other = max(now - last - trained, 0.0)
        old = ss.get("frame_overhead_s")
        ss["frame_overhead_s"] = other if old is None else 0.8 * old + 0.2 * other
    return train_budget(ss.get("frame_overhead_s", frames * target / 2) / frames, target)


def train_budget(other: float, target: float) -> float:
    """Seconds of training per frame when the rest of a frame takes ``other`` seconds."""
    budget = max(MIN_TRAIN_S, target - other)
    return max(budget, MIN_TRAIN_SHARE * other) if other > 2 * target else budget


def blend_pace(old: float | None, new: float) -> float:
    """A measured pace (seconds per iteration), smoothed: mostly the old, some of the new."""
    return new if old is None else 0.7 * old + 0.3 * new


def _train(trainer: Trainer, view: ViewOptions, budget: float) -> bool:
    """One frame's iterations: the chosen number, or (auto) as many as the measured pace fits
    in ``budget`` seconds. The first iteration of a model pays its set-up (allocations, lazy
    initialisation) and says nothing about the pace, so auto's first frame trains one and
    measures nothing; the next frame times one iteration, then fills its budget at that pace.
    False if training diverged."""
    ss = st.session_state
    per_iter = ss.get("s_per_iteration")
    start = time.perf_counter()
    if view.steps_per_frame or per_iter is not None:  # a fixed number, or auto at the measured pace
        n = min(max(view.steps_per_frame or round(budget / per_iter), 1), STEPS_CHOICES[-1])
        ok = trainer.advance(n)
    elif not ss.get("pace_warm"):  # auto, a new model's first frame: one iteration, not timed
        ss["pace_warm"] = True
        ok = trainer.advance(1)
        ss["frame_train_s"] = ss.get("frame_train_s", 0.0) + time.perf_counter() - start
        return ok
    else:  # auto, no pace yet: one timed iteration, then the rest of the budget at its pace
        ok = trainer.advance(1)
        probe = max(time.perf_counter() - start, 1e-6)
        n = 1 + min(max(round((budget - probe) / probe), 0), STEPS_CHOICES[-1] - 1)
        ok = ok and (n == 1 or trainer.advance(n - 1))
    took = time.perf_counter() - start
    ss["frame_train_s"] = ss.get("frame_train_s", 0.0) + took
    ss["s_per_iteration"] = blend_pace(per_iter, took / n)
    return ok


try:  # Streamlit internals, read once per frame by whole_page_rerun_pending (imported once here)
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType as _RequestType
    from streamlit.runtime.scriptrunner_utils.script_requests import _is_full_app_rerun
except ImportError:  # another Streamlit layout: runs of frames go to the end
    _RequestType = None


def whole_page_rerun_pending() -> bool:
    """Whether the browser has asked for a rerun of the whole page (a click, a slider) while
    this run of frames trains. The run then stops early, so the change shows up to a run's
    worth of frames sooner. Streamlit has no public API for this and reads it from its
    internals; where they differ (another version), it answers False and runs go to the end."""
    if _RequestType is None:
        return False
    try:
        requests = get_script_run_ctx().script_requests
        if requests._state == _RequestType.STOP:  # runner.fastReruns: a new run has started
            return True
        return requests._state == _RequestType.RERUN and _is_full_app_rerun(requests._rerun_data)
    except Exception:  # noqa: BLE001 (any change in those internals: no early stop)
        return False


def _snapshot(trainer: Trainer, running: bool, densities: bool, defer: bool = False) -> Snapshot:
    """Snapshot the trainer; the costly sample metrics at most once a second while playing,
    and not in this one with ``defer`` (every view draws a frame without them: a change shows
    at once, even one that made a new model)."""
    history, now = st.session_state["history"], time.monotonic()
    due = not running or not history or now - st.session_state.get("metrics_at", 0.0) >= METRICS_EVERY_S
    due = due and not defer
    snap = take_snapshot(trainer, metrics=due, densities=densities)
    if not due:  # between full metrics the title shows the last ones beside the fresh losses
        snap.metrics = {**(history[-1] if history else {}), **snap.metrics}
        return snap
    st.session_state["metrics_at"] = now
    counters = {"g_updates": snap.g_updates, "d_updates": snap.d_updates}
    if not history or {k: history[-1][k] for k in counters} != counters:
        history.append({**counters, **snap.metrics})
        del history[:-HISTORY_MAX]
    return snap


def play_frames(
    view: ViewOptions,
    densities: bool = True,
    frames: int = FRAMES_PER_RUN,
    target: float = FRAME_TARGET_S,
) -> list[Snapshot]:
    """Inside a fragment, one rerun's frames: while playing, ``frames`` times some training
    and a snapshot (the browser plays them in turn), each frame taking about ``target`` seconds
    with auto iterations; paused, one snapshot of the current state.
    ``densities=False``: 2D frames that show neither p_g nor D*. A change while the timer
    plays shows the current state at once, without the sample metrics, in every view (even a
    new model's first frame: its metrics follow with the next frame)."""
    trainer, running = st.session_state["trainer"], st.session_state["running"]
    if not running:
        st.session_state.pop("frame_started", None)  # the next playing rerun starts a new series
        st.session_state.pop(TIMER_KEY, None)
        return [_snapshot(trainer, False, densities)]
    if st.session_state.get(FRESH_KEY):  # a click or a setting reran the whole page
        st.session_state.pop("frame_started", None)  # this run's overhead is not a frame's
        if st.session_state.get(TIMER_KEY):
            # The timer trains on: show the change now, on the current state (training and
            # the sample metrics took ~190 ms of a ~380 ms 2D page run, the browser busy).
            return [_snapshot(trainer, True, densities, defer=True)]
        frames = 1  # no timer yet (Play was just pressed): train one frame
    budget = _auto_budget(frames, target)
    st.session_state["frame_train_s"] = 0.0
    snaps = []
    for _ in range(frames):
        if not _train(trainer, view, budget):
            st.session_state["running"] = False
            st.rerun()  # the whole page, so the timer stops and Play comes back
        snaps.append(_snapshot(trainer, True, densities))
        if whole_page_rerun_pending():  # a setting changed: Streamlit drops this run anyway
            break
    record.keep(snaps)  # the frames about to be shown, if recording
    return snaps


def live_frame(draw: Callable[[], None]) -> None:
    """Run ``draw`` (one rerun's frames) as a fragment that the browser reruns every TICK_S
    while playing; after each playing rerun, a pause lets the server send what was drawn."""

    @st.fragment(run_every=TICK_S if st.session_state["running"] else None)
    def frame() -> None:
        take_seat()  # after a dropped connection the browser's timer may rerun only this fragment
        if st.session_state["running"] and not st.session_state.get(FRESH_KEY):
            st.session_state[TIMER_KEY] = True  # a rerun of this fragment alone: the timer's
        draw()
        st.session_state.pop(FRESH_KEY, None)  # the timer's reruns run only this function
        if st.session_state["running"]:
            let_server_send()

    st.session_state[FRESH_KEY] = True
    frame()


def metrics_view(height: int = 460) -> None:
    """Metric curves over training, redrawn every few seconds while playing (cheaper than every frame)."""

    whole_page = [True]  # the first call comes from a rerun of the whole page, the timer's do not

    @st.fragment(run_every=METRICS_TICK_S if st.session_state["running"] else None)
    def curves() -> None:
        ss = st.session_state
        history = ss["history"]
        first, whole_page[0] = whole_page[0], False
        if len(history) < 2:
            st.caption("Metric curves appear after a few updates: press Play or a step button.")
            return
        # Building this figure takes ~120 ms, most of a whole-page rerun: a click or a slider
        # reuses the last one of this run (the timer redraws it while playing) unless the
        # history moved.
        key = (id(history), len(history), tuple(history[-1].items()), height)
        cached = ss.get(METRICS_SPEC_KEY)
        same_run = cached is not None and cached[0][0] == key[0] and cached[0][3] == height
        if not same_run or (cached[0] != key and not (first and ss["running"])):
            shown = history[:: max(1, len(history) // 600)]
            chart = FIGURES[ss["trainer"].cfg.kind].curves
            cached = ss[METRICS_SPEC_KEY] = (key, chart(shown, height=height).to_plotly_json())
        live_chart(cached[1], key="metrics_chart")

    curves()
