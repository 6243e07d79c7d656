"""Seats: at most GANLAB_MAX_SESSIONS browser sessions train on one server at a time, and a
session that closes gives its seat back at once and its trainer soon after.

A seat is a session-scoped resource (``st.cache_resource(scope="session")``): Streamlit releases
it when the browser's connection closes. The release frees the seat, and GRACE_S later drops
the session's trainer (its models, optimisers and device memory) from that session's state,
unless the session has come back by then: a busy server or a flaky network can drop a
websocket for a moment (seen with ten sessions on two cores), and the browser reconnects to
the same session, which must keep its run. One that comes back later keeps its sidebar and
gets a fresh model from the same settings.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

MAX_SESSIONS_ENV = "GANLAB_MAX_SESSIONS"
SERVER_ENV = "GANLAB_SERVER_NAME"  # this process's name in a classroom (ganlab.cli.classroom sets it)
DEFAULT_MAX_SESSIONS = 16
FREED_KEY = "freed_on_disconnect"  # set in a session whose trainer was dropped when it closed
GRACE_S = 60.0  # a closed session's trainer is kept this long, in case it reconnects


class SeatsFull(RuntimeError):
    """Every seat is taken; the message says so in one line."""


def max_sessions() -> int:
    """The cap from $GANLAB_MAX_SESSIONS (a positive integer), else DEFAULT_MAX_SESSIONS."""
    text = os.environ.get(MAX_SESSIONS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_SESSIONS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise SeatsFull(f"{MAX_SESSIONS_ENV}={text!r} is not a positive integer; unset it or give e.g. 16")
    return value


@dataclass
class Seats:
    """The sessions holding a trainer on this server (thread-safe: sessions run on their own threads)."""

    held: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(self, session_id: str, limit: int) -> None:
        with self.lock:
            if session_id not in self.held and len(self.held) >= limit:
                raise SeatsFull(
                    f"This ganlab server is already training for {len(self.held)} browser sessions, "
                    f"its limit ({MAX_SESSIONS_ENV}={limit}). Close another ganlab tab, or try again "
                    "in a minute."
                )
            self.held.add(session_id)

    def release(self, session_id: str) -> None:
        with self.lock:
            self.held.discard(session_id)

    def count(self) -> int:
        with self.lock:
            return len(self.held)

    def holds(self, session_id: str) -> bool:
        with self.lock:
            return session_id in self.held


SEATS = Seats()  # one per server process


@dataclass
class Seat:
    session_id: str
    state: object  # the session's state, so that the release can drop its trainer


def _free(seat: Seat) -> None:
    """The session closed: give back its seat now, and its trainer after GRACE_S."""
    SEATS.release(seat.session_id)
    timer = threading.Timer(GRACE_S, _drop_trainer, args=(seat,))
    timer.daemon = True
    timer.start()


def _drop_trainer(seat: Seat) -> None:
    """Drop the trainer (and what it holds) of a session that has not come back."""
    if SEATS.holds(seat.session_id):
        return  # it reconnected and took its seat again: the run goes on
    state = seat.state
    try:
        if "trainer" in state:
            del state["trainer"]
            state[FREED_KEY] = True
        if "cmp_pair" in state:  # the compare tab's two trainers (views/compare.py)
            del state["cmp_pair"]
    except Exception:  # noqa: BLE001 - a session being torn down: nothing left to protect
        pass


@st.cache_resource(scope="session", on_release=_free, show_spinner=False)
def _seat() -> Seat:
    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx else "no session"
    SEATS.claim(session_id, max_sessions())  # raises SeatsFull: nothing cached, the next run tries again
    return Seat(session_id, ctx.session_state if ctx else {})


def server_name() -> str | None:
    """This process's name in a classroom (`ganlab classroom`), None when it runs alone."""
    return os.environ.get(SERVER_ENV) or None


def lost_session() -> str | None:
    """The id of the session this browser asked to go on with, when this process does not
    hold it (a new session was made instead): the process that held it stopped, or restarted.

    The browser names its last session in its websocket's Sec-WebSocket-Protocol header (the
    third entry) when it reconnects; a page opened afresh names none."""
    ctx = get_script_run_ctx()
    header = st.context.headers.get("Sec-WebSocket-Protocol") or ""
    entries = [entry.strip() for entry in header.split(",")]
    asked = entries[2] if len(entries) >= 3 else ""
    if not asked or ctx is None or asked == ctx.session_id:
        return None
    return asked


HEARTBEAT_S = 5.0  # a paused page in a classroom still asks for an (empty) fragment run this often


def classroom_ui() -> None:
    """In a classroom (several processes behind a balancer): the sidebar's last line names this
    process and its seats in use, and a paused page keeps a slow timer running. A page with a
    timer reruns itself when it reconnects (Streamlit's frontend asks for a run then), so if
    its process dies the page comes back on another one and says so, instead of looking alive
    with no model behind it until the next click."""
    name = server_name()
    if name:
        st.sidebar.caption(f"Classroom server {name}: {SEATS.count()} of {max_sessions()} seats in use")
        _heartbeat()


@st.fragment(run_every=HEARTBEAT_S)
def _heartbeat() -> None:
    """Nothing to draw: the timer is the point (see classroom_ui)."""


def take_seat() -> None:
    """Hold a seat for this session, or show why not and stop the page."""
    try:
        _seat()
    except SeatsFull as exc:
        st.error(str(exc), icon=":material/group:")
        st.button("Try again", key="seat_retry", type="primary")
        st.stop()
