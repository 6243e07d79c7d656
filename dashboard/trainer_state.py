"""This browser session's trainer, and what the views keep of its model between reruns."""

from __future__ import annotations

import streamlit as st

from dashboard.record import RECORDING_KEYS
from dashboard.sessions import FREED_KEY, lost_session, server_name, take_seat
from ganlab.config import Config
from ganlab.train import Trainer

__all__ = [
    "session_trainer",
    "reset_trainer",
    "new_model",
    "reset_pace",
    "MODEL_VIEW_KEYS",
    "FRESH_MODEL",
    "moved_notice",
]

# What the views keep of one model between reruns: D's last histograms, the evaluations asked
# for, figures drawn before G was trained, a recording of its frames.
MODEL_VIEW_KEYS = ("mnist_d_hist", "digits_result", "parzen_result", "figures_anyway", *RECORDING_KEYS)
# Set (to words naming it) when a setting is opened from elsewhere (a map's cell): the next run
# trains a new model of it from its seed, as the map did, instead of changing the current one live.
FRESH_MODEL = "fresh_model"
# Set in a new session made for a browser whose session was on a process that stopped.
MOVED_KEY = "moved_from_lost_session"


def reset_pace(state) -> None:
    """Forget the measured pace of training and of drawing (auto iterations per frame)."""
    for key in ("s_per_iteration", "pace_warm", "frame_overhead_s", "frame_started", "frame_train_s"):
        state.pop(key, None)


def new_model(state, trainer: Trainer | None = None, history: list | None = None) -> None:
    """A model built, rebuilt, reset or loaded: its metric history (empty for a new one), and
    nothing left on show from the one before; the pace of training is measured again."""
    if trainer is not None:
        state["trainer"] = trainer
    state["history"] = history if history is not None else []
    for key in MODEL_VIEW_KEYS:
        state.pop(key, None)
    reset_pace(state)


def session_trainer(cfg: Config) -> Trainer:
    """This session's trainer, brought in line with ``cfg`` (live where possible; a new model
    when a setting was opened from a map's cell)."""
    state = st.session_state
    take_seat()  # at most GANLAB_MAX_SESSIONS sessions train at once; a closed one frees its trainer
    opened = state.pop(FRESH_MODEL, None)
    if "trainer" not in state or opened:
        new_model(state, Trainer(cfg))
        state["running"] = False
        if opened:
            st.toast(f"Opened {opened} from the map: a new model from its seed")
        elif lost_session():
            state[MOVED_KEY] = True
        elif state.pop(FREED_KEY, False):
            st.toast(
                "The connection was lost, so this session's model was freed: a new one was built "
                "from the same settings."
            )
    elif state["trainer"].cfg != cfg:
        change = state["trainer"].apply(cfg)
        if change.rebuilt:
            new_model(state)
        st.toast(str(change))
    return state["trainer"]


def moved_notice() -> str | None:
    """What to tell a browser moved here from a process that stopped, until its new model trains."""
    state = st.session_state
    if not state.get(MOVED_KEY):
        return None
    if state["trainer"].g_updates > 0:
        del state[MOVED_KEY]
        return None
    here = f" (now served by {server_name()})" if server_name() else ""
    return (
        f"The dashboard process that held your model stopped, and this page has reconnected{here}. "
        "Your settings came back from the page's link, but the model is new, from its seed: "
        "press Play to train it."
    )


def reset_trainer(cfg: Config) -> None:
    """New G and D from the seed (the Reset button)."""
    new_model(st.session_state, Trainer(cfg))
    st.session_state["running"] = False
