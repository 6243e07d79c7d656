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
