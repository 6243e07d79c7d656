"""ganlab dashboard: `ganlab dashboard`, or `streamlit run dashboard/app.py`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script by `streamlit run`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st
import torch

from dashboard import controls, live, mnist, narrate, presenter, runfile, toy1d, toy2d, urlstate
from dashboard.live_chart import PAGE_CSS


def tabs(key: str, *contents: tuple[str, Callable[[], None]]) -> None:
    """Tabs that run only the open one's content (a switch reruns the page): the hidden
    figures cost nothing (Figures 2 and 3 took 49 % of every MNIST page run, a slider change
    included), and a hidden live view neither draws nor trains. Widgets inside keep their
    values while hidden (``persist_state="session"``)."""
    containers = st.tabs([label for label, _ in contents], key=key, on_change="rerun")
    for container, (_, draw) in zip(containers, contents):
        if container.open:
            with container:
                draw()


def main() -> None:
    st.set_page_config(
        page_title="ganlab: watch a GAN learn", layout="wide"
    )  # no icon: it would come from a CDN
    torch.set_num_threads(1)  # tiny models: one thread each, so sessions don't oversubscribe the cores
    # The animated "running" indicator repaints on every frame: hide it (the chart shows progress).
    st.html(f"<style>[data-testid='stStatusWidget']{{display:none}}{PAGE_CSS}</style>")
    controls.init_state()
    cfg, view = controls.sidebar_ui()
    title, present = st.columns([4, 1], vertical_alignment="bottom")
    title.title("ganlab")
    with present:
        presenter.presenter_ui()
    st.caption(
        "Generative Adversarial Nets (Goodfellow et al., 2014), trained live. "
        "D ascends V(D, G) = E log D(x) + E log(1 − D(G(z))); G descends it (Algorithm 1)."
    )
    notices = st.container()  # one fixed slot: a warning that comes or goes moves nothing below it
    with notices:
        urlstate.warn_skipped()
    if cfg is None:
        if st.session_state.get("w_p_data") == "custom":
            toy2d.your_data_view()  # so the user can make the data the config needs
        st.stop()
    trainer = controls.session_trainer(cfg)
    runfile.run_file_ui()
    if trainer.diverged:
        notices.error(trainer.diverged, icon=":material/warning:")

    def live_tab(live_view: Callable[[controls.ViewOptions], None]) -> Callable[[], None]:
        def tab() -> None:
            live.buttons_ui(cfg)
            narrate.narration_ui(trainer)
            live_view(view)

        return tab

    if cfg.data_dim == 1:
        tabs(
            "tab_1d",
            ("Live training", live_tab(toy1d.live_view)),
            ("Figure 1", lambda: toy1d.figure1_view(cfg)),
        )
    elif cfg.data_dim == 784:
        tabs(
            "tab_mnist",
            ("Live training (MNIST)", live_tab(mnist.live_view)),
            ("Figure 2: nearest neighbours", lambda: mnist.figure2_view(trainer)),
            ("Figure 3: z walks", lambda: mnist.figure3_view(trainer)),
        )
    else:
        tabs(
            "tab_2d",
            ("Live training (2D)", live_tab(toy2d.live_view)),
            ("Your data", toy2d.your_data_view),
        )
    urlstate.write_url()  # the page's URL reproduces this setup


main()
