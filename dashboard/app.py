"""ganlab dashboard: `ganlab dashboard`, or `streamlit run dashboard/app.py`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script by `streamlit run`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st
import torch

from dashboard import live, narrate, presenter, record, runfile, sessions, sidebar, trainer_state, urlstate
from dashboard.live import LiveView, Tab
from dashboard.live_chart import PAGE_CSS
from dashboard.views import VIEWS
from dashboard.views.toy2d import your_data_view


def tabs(key: str, contents: list[Tab]) -> None:
    """Tabs that run only the open one's content (a switch reruns the page): the hidden
    figures cost nothing (Figures 2 and 3 took 49 % of every MNIST page run, a slider change
    included), and a hidden live view neither draws nor trains. Widgets inside keep their
    values while hidden (``persist_state="session"``)."""
    labels = [label for label, _ in contents]
    wanted = st.session_state.pop(urlstate.OPEN_TAB_KEY, None)  # a link's compare opens its tab
    if wanted in labels:
        st.session_state[key] = wanted
    containers = st.tabs(labels, key=key, on_change="rerun")
    for container, (_, draw) in zip(containers, contents):
        if container.open:
            with container:
                draw()


def main() -> None:
    st.set_page_config(
        page_title="ganlab: watch a GAN learn", layout="wide"
    )  # no icon: it would come from a CDN
    # One thread each: sessions don't oversubscribe the cores, and the browser (often on the same
    # laptop) keeps one (two threads gave a lone MNIST session fewer G updates a second: speed.md).
    torch.set_num_threads(1)
    # The animated "running" indicator repaints on every frame: hide it (the chart shows progress).
    st.html(f"<style>[data-testid='stStatusWidget']{{display:none}}{PAGE_CSS}</style>")
    sidebar.init_state()
    cfg, view = sidebar.sidebar_ui()
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
            your_data_view()  # so the user can make the data the config needs
        st.stop()
    trainer = trainer_state.session_trainer(cfg)
    runfile.run_file_ui()
    if trainer.diverged:
        notices.error(trainer.diverged, icon=":material/warning:")
    moved = trainer_state.moved_notice()
    if moved:
        notices.warning(moved, icon=":material/swap_horiz:")
    sessions.classroom_ui()

    def live_tab(live_view: LiveView) -> Callable[[], None]:
        def tab() -> None:
            live.buttons_ui(cfg)
            record.record_ui()
            narrate.narration_ui(trainer)
            live_view(view)

        return tab

    page = VIEWS[cfg.kind]
    tabs(page.key, page.tabs(cfg, trainer, live_tab))
    urlstate.write_url()  # the page's URL reproduces this setup


main()
