"""The per-server cap on training sessions (the browser test closes a tab and gets the seat back)."""

import pytest

from dashboard.sessions import MAX_SESSIONS_ENV, Seats, SeatsFull, max_sessions


def test_seats_cap_and_release():
    seats = Seats()
    seats.claim("a", 2)
    seats.claim("b", 2)
    seats.claim("a", 2)  # a session that holds a seat keeps it
    with pytest.raises(SeatsFull, match=r"already training for 2 browser sessions.*=2\)"):
        seats.claim("c", 2)
    seats.release("a")
    seats.claim("c", 2)
    assert seats.count() == 2


@pytest.mark.parametrize("text", ["0", "-3", "many", "1.5"])
def test_a_bad_cap_is_one_clear_line(monkeypatch, text):
    monkeypatch.setenv(MAX_SESSIONS_ENV, text)
    with pytest.raises(SeatsFull, match="is not a positive integer"):
        max_sessions()


def test_the_cap_defaults_and_reads_the_environment(monkeypatch):
    monkeypatch.delenv(MAX_SESSIONS_ENV, raising=False)
    assert max_sessions() == 16
    monkeypatch.setenv(MAX_SESSIONS_ENV, " 3 ")
    assert max_sessions() == 3


def test_a_closed_session_drops_its_trainer_after_the_grace_unless_it_came_back(monkeypatch):
    import dashboard.sessions as sessions

    monkeypatch.setattr(sessions, "GRACE_S", 0.05)
    monkeypatch.setattr(sessions, "SEATS", Seats())
    gone, back = {"trainer": object()}, {"trainer": object()}
    for name, state in (("gone", gone), ("back", back)):
        sessions.SEATS.claim(name, 4)
        sessions._free(sessions.Seat(name, state))  # the tab closed: the seat is free at once
    assert sessions.SEATS.count() == 0
    sessions.SEATS.claim("back", 4)  # this one reconnects within the grace
    import time

    deadline = time.time() + 10
    while "trainer" in gone and time.time() < deadline:  # the timer thread, on a busy machine
        time.sleep(0.05)
    time.sleep(0.2)
    assert "trainer" not in gone and gone[sessions.FREED_KEY] is True
    assert "trainer" in back and sessions.FREED_KEY not in back
