"""The 1D views: live training in the style of Figure 1, and the four-panel Figure 1."""

from __future__ import annotations

import json

import streamlit as st

from dashboard import narrate
from dashboard.live import LiveTab, Tab, ViewOptions, aids_label, live_frame, metrics_view, play_frames
from dashboard.live_chart import live_chart
from dashboard.views.compare import TAB_LABEL, compare_view
from dashboard.views.dirac import dirac_view
from dashboard.views.map import map_view
from ganlab.config import Config
from ganlab.figures.figure1 import figure1_json, render_figure1, run_figure1
from ganlab.figures.toy1d import figure1_spec
from ganlab.train import Trainer


def live_view(view: ViewOptions) -> None:
    """The D* switch, the Figure-1-style chart (redrawn by a fragment on a timer while
    playing) and the metric curves."""
    st.toggle("Show D* = p_data / (p_data + p_g) (Proposition 1)", key="show_d_star", persist_state="session")

    def frame() -> None:
        show_d_star, trainer = st.session_state["show_d_star"], st.session_state["trainer"]
        specs, batch = [], narrate.minibatch()
        for snap in play_frames(view):
            m = snap.metrics
            title = (
                f"<b>D updates</b> {snap.d_updates} · <b>G updates</b> {snap.g_updates} · "
                f"JSD {m['jsd']:.4f} nats · V(D,G) {m['v']:.4f} · −log 4 + 2·JSD {m['c_g']:.4f} · "
                f"mean D(real) {m['mean_d_real']:.3f} · mean D(fake) {m['mean_d_fake']:.3f} · "
                f"{trainer.device_text}{aids_label(trainer)}"
            )
            specs.append(figure1_spec(snap, show_d_star=show_d_star, title=title, batch=batch))
        live_chart(specs, key="figure1_chart", playing=st.session_state["running"])

    live_frame(frame)
    metrics_view()


def tabs(cfg: Config, trainer: Trainer, live_tab: LiveTab) -> list[Tab]:
    """The 1D page's tabs: live training, the paper's Figure 1 made from one run, the game's
    dynamics in two parameters (the Dirac-GAN), and a stability map of many GANs at once."""
    return [
        ("Live training", live_tab(live_view)),
        ("Figure 1", lambda: figure1_view(cfg)),
        ("The game: Dirac-GAN", lambda: dirac_view(cfg)),
        ("Stability map", lambda: map_view(cfg)),
        (TAB_LABEL, lambda: compare_view(cfg)),
    ]


def figure1_view(cfg: Config) -> None:
    """Make the paper's four panels from one real run, and offer them as PNG, SVG and JSON."""
    st.markdown(
        "One real run of the **paper-1d** preset, captured at the four stages of the paper's Figure 1: "
        "(a) near convergence; (b) after D's inner loop, D ≈ D* = p_data/(p_data + p_g); "
        "(c) after one update of G against that D; (d) after more training, p_g = p_data and D = 1/2."
    )
    seed = st.number_input(
        "Seed for this figure", 0, 2**31 - 1, value=0, step=1, key="fig1_seed", persist_state="session"
    )
    if st.button(":material/auto_awesome: Make Figure 1 (about 20 s on a laptop CPU)", key="make_figure1"):
        st.session_state["running"] = False
        bar = st.progress(0.0, text="starting")
        result = run_figure1(
            seed=int(seed),
            device=cfg.device,
            progress=lambda msg, frac: bar.progress(min(frac, 1.0), text=msg),
        )
        st.session_state["figure1"] = {
            "png": render_figure1(result, "png"),
            "svg": render_figure1(result, "svg"),
            "json": json.dumps(figure1_json(result)).encode(),
            "seed": int(seed),
        }
        bar.empty()
    made = st.session_state.get("figure1")
    if made:
        st.image(made["png"], caption=f"Figure 1 reproduced (seed {made['seed']})")
        cols = st.columns(3)
        cols[0].download_button("Download PNG", made["png"], "figure1.png", "image/png", key="dl_png")
        cols[1].download_button("Download SVG", made["svg"], "figure1.svg", "image/svg+xml", key="dl_svg")
        cols[2].download_button(
            "Download JSON", made["json"], "figure1.json", "application/json", key="dl_json"
        )
