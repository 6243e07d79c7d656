"""The game seen whole: the Dirac-GAN's plane (θ, ψ) with its gradient field, a trajectory under
the sidebar's learning rates, k, G loss, optimiser and aids, and the eigenvalues of one
iteration at the equilibrium against the unit circle."""

from __future__ import annotations

import math

import streamlit as st

from dashboard.live_chart import live_chart
from ganlab.config import Config
from ganlab.figures.dirac import eigen_spec, plane_spec
from ganlab.train.dirac import RULES, DiracGame, eigenvalues, paper_statement, trajectory, verdict

__all__ = ["dirac_view"]

RULE_LABELS = {
    "alternating": "alternating: k steps of D, then one of G (Algorithm 1)",
    "simultaneous": "simultaneous: both step from the same point",
}
STEPS = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000]
START_LIMIT = 10.0  # θ₀ and ψ₀ offered in [-START_LIMIT, START_LIMIT]
PENDING = "dirac_start_pending"  # a start point clicked on the plane, for the next run's inputs
CLICKED = "dirac_clicked"  # the click already taken (the chart keeps returning its last one)


def _start_inputs(cols) -> tuple[float, float]:
    """θ₀ and ψ₀: number inputs, which a click on the plane sets (through the next run)."""
    state = st.session_state
    if PENDING in state:  # before the inputs exist: a widget's value cannot change after
        state["dirac_theta0"], state["dirac_psi0"] = state.pop(PENDING)
    kw = {"min_value": -START_LIMIT, "max_value": START_LIMIT, "step": 0.1, "persist_state": "session"}
    theta0 = cols[0].number_input("Start θ₀", value=1.0, key="dirac_theta0", **kw)
    psi0 = cols[1].number_input("Start ψ₀", value=1.0, key="dirac_psi0", **kw)
    return float(theta0), float(psi0)


def _take_click(clicked: list | None) -> None:
    """A click (or the end of a drag) on the plane: start from there."""
    if not clicked or clicked == st.session_state.get(CLICKED):
        return
    st.session_state[CLICKED] = clicked
    x, y = (max(-START_LIMIT, min(START_LIMIT, round(float(v), 2))) for v in clicked[-1])
    st.session_state[PENDING] = (x, y)
    st.rerun()


def _eigen_words(values) -> str:
    if values is None:
        return "Adam: no eigenvalues at the equilibrium (its steps are divided by a gradient size of 0)."
    pairs = sorted({(round(float(v.real), 6), round(abs(float(v.imag)), 6)) for v in values})
    shown = ", ".join(f"{re:g} ± {im:g}i" if im else f"{re:g}" for re, im in pairs)
    rho = float(values.abs().max())
    return f"λ = {shown}; largest |λ| = {rho:.6f} (|λ| − 1 = {rho - 1:+.2e})"


def dirac_view(cfg: Config) -> None:
    """The plane, the trajectory from a start point (typed, or clicked on the plane), the
    eigenvalues, and what the paper shows for this setting."""
    st.markdown(
        "The smallest GAN there is (Mescheder, Geiger and Nowozin 2018): p_data = δ₀, G puts all its "
        "mass at θ, and D(x) = σ(ψx). V(θ, ψ) = log D(0) + log(1 − D(θ)); the only equilibrium is "
        "(0, 0). The sidebar's learning rates, k, G loss, optimiser (and momentum), R1 γ and instance "
        "noise σ drive it; the other settings do not apply to it."
    )
    cols = st.columns([4, 2, 1, 1])
    rule = cols[0].radio(
        "Update rule",
        RULES[::-1],
        key="dirac_rule",
        format_func=RULE_LABELS.get,
        persist_state="session",
    )
    steps = cols[1].select_slider(
        "Iterations drawn", STEPS, value=2000, key="dirac_steps", persist_state="session"
    )
    theta0, psi0 = _start_inputs(cols[2:])
    game = DiracGame.from_config(cfg, rule)
    path = trajectory(game, theta0, psi0, steps)
    values = eigenvalues(game)
    end, said = path[-1], verdict(values)
    stopped = "" if len(path) == steps + 1 else f" (it left the plane after {len(path) - 1:,})"
    title = (
        f"<b>{len(path) - 1:,} iterations</b>{stopped}: (θ, ψ) from ({theta0:g}, {psi0:g}) to "
        f"({end[0]:.3g}, {end[1]:.3g}); distance to (0, 0) {math.hypot(*path[0]):.3g} → "
        f"{math.hypot(*end):.3g}"
    )
    left, right = st.columns([3, 2])
    with left:
        clicked = live_chart(plane_spec(game, path, title=title), key="dirac_plane", draw=[[theta0, psi0]])
        st.caption("Click on the plane (or drag and let go) to start from there.")
        _take_click(clicked)
    with right:
        live_chart(eigen_spec(values, f"one iteration at (0, 0): {said}"), key="dirac_eigen")
        st.markdown(f"**{said[0].upper()}{said[1:]}.** {_eigen_words(values)}")
        st.info(paper_statement(game), icon=":material/menu_book:")
