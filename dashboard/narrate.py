"""Algorithm 1 in slow motion: one sub-step per click ("sample m noise samples", "update D",
...), the paper's listing beside it with the current line marked, and the minibatches drawn
on the chart. Each sub-step is the trainer's own code (draw_noise, draw_real, d_step and
g_step on exactly those minibatches), so a narrated iteration is a real one."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st
import torch

from ganlab.train import Trainer

KEY = "narration"
# Algorithm 1 of the paper, line by line: (id, indent, text).
ALGORITHM_1 = [
    ("loop", 0, "**for** number of training iterations **do**"),
    ("loop_k", 1, "**for** k steps **do**"),
    ("z_d", 2, "Sample minibatch of m noise samples {z⁽¹⁾, …, z⁽ᵐ⁾} from noise prior p_g(z)."),
    ("x", 2, "Sample minibatch of m examples {x⁽¹⁾, …, x⁽ᵐ⁾} from data generating distribution p_data(x)."),
    (
        "d",
        2,
        "Update the discriminator by ascending its stochastic gradient: "
        "∇_θd (1/m) Σᵢ [log D(x⁽ⁱ⁾) + log(1 − D(G(z⁽ⁱ⁾)))].",
    ),
    ("end_k", 1, "**end for**"),
    ("z_g", 1, "Sample minibatch of m noise samples {z⁽¹⁾, …, z⁽ᵐ⁾} from noise prior p_g(z)."),
    (
        "g",
        1,
        "Update the generator by descending its stochastic gradient: ∇_θg (1/m) Σᵢ log(1 − D(G(z⁽ⁱ⁾))).",
    ),
    ("end", 0, "**end for**"),
]
# The G line for the non-saturating loss that training uses by default (Section 3 of the paper:
# "rather than training G to minimize log(1 − D(G(z))) we can train G to maximize log D(G(z))").
G_LINE_NON_SATURATING = (
    "Update the generator by ascending its stochastic gradient: ∇_θg (1/m) Σᵢ log D(G(z⁽ⁱ⁾)) "
    "(the non-saturating loss of the paper's Section 3; Algorithm 1 descends log(1 − D(G(z⁽ⁱ⁾))))."
)


@dataclass
class Narration:
    """Where a narrated iteration stands, and the minibatches drawn so far."""

    done: int = 0  # sub-steps done in this iteration
    z: torch.Tensor | None = None
    x: torch.Tensor | None = None
    said: list[str] = field(default_factory=list)  # what each sub-step did, in words

    @staticmethod
    def plan(k: int) -> list[tuple[str, int]]:
        """The sub-steps of one iteration: (line id, which D step) in order."""
        return [(line, j) for j in range(k) for line in ("z_d", "x", "d")] + [("z_g", k), ("g", k)]


# The readouts run G and D in eval mode: a look must not change the run (BatchNorm's running
# statistics, dropout masks drawn from the run's generator) nor be noisy (dropout).
def _mean_d(trainer: Trainer, x: torch.Tensor) -> float:
    with torch.no_grad(), trainer.evaluating():
        return float(trainer.mean_d(x))


def _fakes(trainer: Trainer, z: torch.Tensor) -> torch.Tensor:
    with torch.no_grad(), trainer.evaluating():
        return trainer.G(z)


def next_substep() -> None:
    """Do the next sub-step of Algorithm 1 (a callback: pauses training first)."""
    state = st.session_state
    state["running"] = False
    trainer: Trainer = state["trainer"]
    n: Narration = state.setdefault(KEY, Narration())
    plan = Narration.plan(trainer.cfg.k)
    if n.done >= len(plan):  # the last iteration finished: start the next one
        state[KEY] = n = Narration()
    line, j = plan[n.done]
    m, k = trainer.cfg.batch_size, trainer.cfg.k
    with trainer.lock:
        if n.done == 0:
            trainer.set_decayed_lr()
        if line in ("z_d", "z_g"):
            n.z, n.x = trainer.draw_noise(), None
            where = f"for D step {j + 1} of {k}" if line == "z_d" else "for G's step"
            said = (
                f"Drew m = {m} noise vectors z ~ p_z {where}; their images G(z) are the red marks "
                f"(mean D(G(z)) = {_mean_d(trainer, _fakes(trainer, n.z)):.3f})."
            )
        elif line == "x":
            n.x = trainer.draw_real()
            mean = _mean_d(trainer, n.x)
            said = f"Drew m = {m} real examples x ~ p_data: the black marks (mean D(x) = {mean:.3f})."
        elif line == "d":
            real, fake = n.x, _fakes(trainer, n.z)
            before = _mean_d(trainer, real), _mean_d(trainer, fake)
            ok = trainer.guarded(lambda: trainer.d_step(real=n.x, z=n.z))
            after = _mean_d(trainer, real), _mean_d(trainer, fake)
            said = (
                f"D took one step up the gradient of V on these two minibatches: mean D(x) "
                f"{before[0]:.3f} → {after[0]:.3f}, mean D(G(z)) {before[1]:.3f} → {after[1]:.3f}."
            )
            if not ok:
                said = trainer.diverged or "training diverged"
        else:  # "g"
            before = _mean_d(trainer, _fakes(trainer, n.z))
            ok = trainer.guarded(lambda: trainer.g_step(z=n.z))
            after = _mean_d(trainer, _fakes(trainer, n.z))
            said = (
                f"G took one step on its {trainer.cfg.g_loss} loss on this noise: the red marks "
                f"moved to G(z) under the new G, where D rates them {before:.3f} → {after:.3f}. Iteration "
                f"{trainer.g_updates} done."
            )
            if not ok:
                said = trainer.diverged or "training diverged"
    n.done += 1
    n.said.append(said)


def minibatch() -> tuple[np.ndarray | None, np.ndarray | None] | None:
    """The narrated minibatches to draw now (real x, G(z) under the current G), or None."""
    n: Narration | None = st.session_state.get(KEY)
    if n is None or not st.session_state.get("narrate_on") or (n.x is None and n.z is None):
        return None
    trainer: Trainer = st.session_state["trainer"]
    with trainer.lock:
        real = None if n.x is None else n.x.float().cpu().numpy()
        fake = None if n.z is None else _fakes(trainer, n.z).float().cpu().numpy()
    return real, fake


def narration_ui(trainer: Trainer) -> None:
    """The switch, and when on: the listing with the current line marked, what happened, Next.

    All of it sits in one container, so switching narration on or off leaves the elements
    after it where they were: the live chart below keeps its iframe instead of reloading.
    """
    with st.container():
        _narration_body(trainer)


def _narration_body(trainer: Trainer) -> None:
    on = st.toggle(
        "Narrate Algorithm 1 one sub-step at a time (slow motion)",
        key="narrate_on",
        persist_state="session",
        help="Each click of Next does one line of the paper's Algorithm 1 on the real model: "
        "draw noise, draw data, update D (k times), draw noise, update G. Key: N.",
    )
    if not on:
        st.session_state.pop(KEY, None)
        return
    n: Narration = st.session_state.get(KEY) or Narration()
    plan = Narration.plan(trainer.cfg.k)
    finished = n.done >= len(plan)
    current = plan[n.done - 1][0] if 0 < n.done <= len(plan) else None
    upcoming = plan[0][0] if finished else plan[n.done][0]
    listing, story = st.columns([3, 2])
    with listing:
        lines = []
        for line, indent, text in ALGORITHM_1:
            if line == "g" and trainer.cfg.g_loss == "non-saturating":
                text = G_LINE_NON_SATURATING
            mark = ""
            if line == current:
                mark = "▶ "
                text = f":blue-background[{text}]"
            elif line == upcoming:
                mark = "▷ "
            lines.append("&nbsp;" * 6 * indent + mark + text)
        st.markdown("  \n".join(lines))
    with story:
        step = f"sub-step {n.done} of {len(plan)} (k = {trainer.cfg.k})" if n.done else "not started"
        st.caption(f"Narrated iteration {trainer.g_updates + (0 if finished else 1)}: {step}")
        if n.said:
            st.info(n.said[-1], icon=":material/record_voice_over:")
        st.button(
            ":material/skip_next: Next sub-step",
            key="narrate_next",
            on_click=next_substep,
            type="primary",
            help="Key: N",
        )
