"""The MNIST views: digits forming live from fixed z, D's view of real and fake, and the
paper's Figure 2 (samples beside their nearest training image) and Figure 3 (z walks)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard.live import (
    IMAGE_FRAME_TARGET_S,
    IMAGE_FRAMES_PER_RUN,
    LiveTab,
    Tab,
    ViewOptions,
    aids_label,
    live_frame,
    metrics_view,
    play_frames,
)
from dashboard.live_chart import live_chart
from dashboard.runfile import trained_button
from ganlab.config import Config
from ganlab.figures.digits import figure2, figure3, seed_digits
from ganlab.figures.mnist import d_histogram_spec, digit_share_spec, grid_spec
from ganlab.figures.pixels import montage, to_png
from ganlab.measure.judge import judge_samples
from ganlab.measure.parzen import parzen_mnist
from ganlab.presets import PRESETS
from ganlab.runs.trained import trained_names
from ganlab.snapshot.mnist import shipped_judge
from ganlab.train import Trainer

SCALE = 3  # Figures 2 and 3 are drawn at three times their pixel size


def _target_steps() -> int:
    """The length of a full run of the chosen preset (for the progress bar)."""
    preset = PRESETS.get(st.session_state.get("preset", ""))
    return preset.steps if preset is not None and preset.config.p_data == "mnist" else 10_000


def live_view(view: ViewOptions) -> None:
    """Sample grids, D's histograms and the progress bar, redrawn by a fragment while playing."""
    left, right = st.columns([3, 2])
    with left:

        def frame() -> None:
            trainer = st.session_state["trainer"]
            snaps = play_frames(view, frames=IMAGE_FRAMES_PER_RUN, target=IMAGE_FRAME_TARGET_S)
            snap, playing = snaps[-1], st.session_state["running"]
            for full in snaps:  # full frames; light ones keep the last histograms
                if full.d_real is not None:
                    st.session_state["mnist_d_hist"] = (full.d_real, full.d_fake)
            m, target = snap.metrics, _target_steps()
            means = (  # a new model's first frame has no full metrics yet
                f" · mean D(real) {m['mean_d_real']:.3f} · mean D(G(z)) {m['mean_d_fake']:.3f}"
                if "mean_d_real" in m
                else ""
            )
            start = (
                f" · started from the trained {trainer.trained_from} model" if trainer.trained_from else ""
            )
            st.progress(
                min(snap.g_updates / target, 1.0),
                text=f"**G updates** {snap.g_updates:,} of a {target:,}-update run · **D updates** "
                f"{snap.d_updates:,}{means} · {trainer.device_text}{aids_label(trainer)}{start}",
            )
            fixed, fresh = st.columns(2)
            for col, images, key, caption in (
                (
                    fixed,
                    [s.fixed for s in snaps],
                    "grid_fixed",
                    "G(z) for 64 fixed z: the same digits, forming",
                ),
                (fresh, [s.fresh for s in snaps], "grid_fresh", "G(z) for 64 new z each frame"),
            ):
                with col:
                    live_chart([grid_spec(s, caption) for s in images], key=key, playing=playing)
            hist, digits = st.columns(2)
            none = np.zeros(0)  # until a new model's first full frame: empty charts, not the old model's
            with hist:
                live_chart(
                    d_histogram_spec(*st.session_state.get("mnist_d_hist", (none, none))), key="d_hist"
                )
            if shipped_judge() is not None:
                with digits:
                    live_chart(digit_share_spec(m.get("digit_share", none)), key="digit_share")

        live_frame(frame)
        evaluate_ui()
    with right:
        metrics_view(height=620)


def tabs(cfg: Config, trainer: Trainer, live_tab: LiveTab) -> list[Tab]:
    """The MNIST page's tabs: live training, and the paper's Figures 2 and 3 of this model."""
    return [
        ("Live training (MNIST)", live_tab(live_view)),
        ("Figure 2: nearest neighbours", lambda: figure2_view(trainer)),
        ("Figure 3: z walks", lambda: figure3_view(trainer)),
    ]


def evaluate_ui() -> None:
    """The costly measures, on request: the judge's Fréchet distance and Table 1's Parzen estimate."""
    trainer = st.session_state["trainer"]
    with st.expander("Evaluate now (10,000 samples)", icon=":material/analytics:"):
        if st.session_state["running"]:
            st.caption("Pause first: these take a few seconds.")
            return
        cols = st.columns(2)
        if cols[0].button("Digits and Fréchet distance (judge)", key="eval_digits"):
            judge = shipped_judge()
            if judge is None:
                st.error("No MNIST judge: make one with `ganlab judge`.")
            else:
                with st.spinner("Judging 10,000 samples…"):
                    r = judge_samples(judge, trainer.sample(10_000).double().cpu().numpy())
                st.session_state["digits_result"] = (trainer.g_updates, r)
        if cols[1].button("Parzen log-likelihood (Table 1, ~20 s)", key="eval_parzen"):
            bar = st.progress(0.0, text="Parzen window")
            r = parzen_mnist(
                trainer.sample(10_000).double().cpu().numpy(),
                lambda stage, f: bar.progress(f, text=f"Parzen window: {stage}"),
            )
            bar.empty()
            st.session_state["parzen_result"] = (trainer.g_updates, r)
        if "digits_result" in st.session_state:
            at, r = st.session_state["digits_result"]
            shares = " ".join(f"{d}: {v:.0%}" for d, v in enumerate(r["class_share"]))
            st.markdown(
                f"At G update {at:,}: digits {shares} · KL to uniform {r['kl_to_uniform']:.3f} · "
                f"mean confidence {r['mean_confidence']:.3f} · **Fréchet distance** to the test set "
                f"{r['frechet']:.2f} (judge features; real training images score ~1)"
            )
        if "parzen_result" in st.session_state:
            at, r = st.session_state["parzen_result"]
            st.markdown(
                f"At G update {at:,}: **Parzen log-likelihood** {r.mean:.1f} ± {r.stderr:.1f} nats "
                f"(σ = {r.sigma:.3f}). The paper's GAN: 225 ± 2; real training images: 241."
            )


FIGURES_FROM_G = 500  # below this many G updates, samples are blobs: the figure tabs say so first


def _anyway() -> None:
    st.session_state["figures_anyway"] = True


def untrained(trainer: Trainer, figure: str) -> bool:
    """True (and a note with a way on) while G is too young for ``figure`` to mean anything,
    unless the user asked to see it anyway."""
    if trainer.g_updates >= FIGURES_FROM_G or st.session_state.get("figures_anyway"):
        return False
    shipped = [name for name in trained_names() if name == st.session_state.get("preset")] or trained_names()
    st.info(
        f"{figure} needs a trained generator. This one has {trainer.g_updates:,} G updates, and "
        f"until about {FIGURES_FROM_G:,} its samples are grey blobs, not digits. Press Play in the "
        "live tab and come back, start from a model trained beforehand, or load a run of yours "
        "(sidebar, *Save or load a run*).",
        icon=":material/hourglass_top:",
    )
    cols = st.columns(len(shipped[:2]) + 1)
    for col, name in zip(cols, shipped[:2]):
        with col:
            trained_button(name, f"trained_{name}_{figure[-1]}")
    cols[-1].button("Draw it anyway", key=f"anyway_{figure[-1]}", on_click=_anyway)
    return True


def figure2_view(trainer: Trainer) -> None:
    """Samples with the nearest training image after each row (the paper's memorisation check)."""
    if untrained(trainer, "Figure 2"):
        return
    st.markdown(
        "**Figure 2** of the paper: rows of samples; the framed image closing each row is the "
        "training image nearest (in pixels) to the sample beside it. If G only memorised, the two "
        "would match."
    )
    seed = st.number_input(
        "Noise seed", 0, 2**31 - 1, value=0, step=1, key="fig2_seed", persist_state="session"
    )
    samples = trainer.sample(24, int(seed)).float().cpu().numpy().reshape(-1, 28, 28)
    with st.spinner("Searching 50,000 training images…"):
        picture = figure2(samples, rows=4, cols=6)
    st.image(
        to_png(picture, SCALE), caption=f"G updates {trainer.g_updates:,}; framed: nearest training image"
    )
    st.download_button("Download PNG", to_png(picture, SCALE), "figure2.png", "image/png", key="dl_fig2")


CANDIDATES = 12  # digits offered as a walk's ends in the Figure 3 view


def figure3_view(trainer: Trainer) -> None:
    """Straight lines through z space, one walk per row (the paper's Figure 3); the first walk's
    ends are picked by clicking among candidate digits."""
    if untrained(trainer, "Figure 3"):
        return
    st.markdown(
        "**Figure 3** of the paper: digits from points on the straight line between two noise "
        "vectors z₀ and z₁. Smooth changes mean G has not just learnt a lookup table. Pick the "
        "two ends of the first walk among the candidates below."
    )
    cols = st.columns(2)
    base = cols[0].number_input(
        "Candidates from noise seed",
        0,
        2**31 - CANDIDATES,
        value=0,
        step=CANDIDATES,
        key="fig3_base",
        persist_state="session",
    )
    steps = cols[1].slider("Steps along the line", 3, 16, value=10, key="fig3_steps", persist_state="session")
    seeds = [int(base) + i for i in range(CANDIDATES)]
    st.image(
        [to_png(montage(digit[None], 1), 2) for digit in seed_digits(trainer, seeds)],
        caption=[str(i + 1) for i in range(CANDIDATES)],
        width=64,
    )
    numbers = list(range(1, CANDIDATES + 1))
    start = st.pills("Start z₀ (click a number)", numbers, default=1, key="fig3_a", persist_state="session")
    end = st.pills("End z₁ (click a number)", numbers, default=2, key="fig3_b", persist_state="session")
    a, b = seeds[(start or 1) - 1], seeds[(end or 2) - 1]
    walks = [(a, b)] + [(a + 2 * i, b + 2 * i) for i in range(1, 4)]  # the chosen walk, then three more
    picture = figure3(trainer, walks, steps)
    st.image(
        to_png(picture, SCALE),
        caption=f"Each row: z₀ on the left to z₁ on the right; the first row is yours (candidates "
        f"{start or 1} → {end or 2}, noise seeds {a} → {b})",
    )
    st.download_button("Download PNG", to_png(picture, SCALE), "figure3.png", "image/png", key="dl_fig3")
