"""A Plotly chart that updates in place (Plotly.react) instead of being rebuilt each frame.

`st.plotly_chart` makes a new chart node whenever the figure changes, which costs the
browser a full re-plot (and flicker) every frame. This component keeps one chart per key
and sends only the figure's JSON, float arrays base64-encoded by plotly.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import plotly
import plotly.graph_objects as go
import streamlit as st
import streamlit.components.v1 as components

from dashboard.presenter import font_scale
from ganlab.figures.spec import Spec, spec_json

__all__ = ["live_chart", "let_server_send", "PAGE_CSS"]

# Set while the whole page reruns (a click, a slider), not only the live fragment: the frames
# then show a change, and the browser draws them at once instead of after its backlog.
FRESH_KEY = "frame_fresh"
SEND_PAUSE_S = 0.01  # after a playing update: time for the server to send it (see live_chart)
_SOURCE = Path(__file__).resolve().parent  # index.html and its scripts, beside this file


def _component_dir() -> Path:
    """Our live_chart/ files and the installed plotly.min.js together in one served folder."""
    plotly_js = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    target = Path(tempfile.gettempdir()) / f"ganlab-live-chart-{plotly.__version__}"
    target.mkdir(parents=True, exist_ok=True)
    dest_js = target / "plotly.min.js"
    if not dest_js.exists() or dest_js.stat().st_size != plotly_js.stat().st_size:
        tmp = target / f".plotly.{id(target)}.tmp"
        shutil.copyfile(plotly_js, tmp)
        tmp.replace(dest_js)
    for source in (*_SOURCE.glob("*.html"), *_SOURCE.glob("*.js")):  # index.html and its scripts
        text, dest = source.read_text(), target / source.name
        if not dest.exists() or dest.read_text() != text:
            dest.write_text(text)
    return target


_NAME = "ganlab_live_chart"  # also the end of its iframes' title
_component = components.declare_component(_NAME, path=str(_component_dir()))
# For the page: Streamlit fades an element whose script run has lasted over 0.5 s until it is
# sent again; a live chart keeps playing its frames meanwhile, so it must not fade (runs of
# MNIST frames faded to a third, and 2D charts a quarter of the time).
PAGE_CSS = (
    f".stElementContainer:has(iframe[title$='{_NAME}']){{opacity:1 !important;transition:none !important}}"
)


def _encode(fig: go.Figure | Spec, scale: float = 1.0) -> tuple[str, int | None]:
    """The figure's JSON and height; ``scale`` != 1 enlarges its text (presenter mode)."""
    if isinstance(fig, dict):
        if scale != 1.0:
            layout = fig["layout"]
            title = layout.get("title")
            layout = {**layout, "font": {**layout.get("font", {}), "size": round(12 * scale)}}
            if "margin" in layout:  # room for the larger title above the legend
                margin = layout["margin"]
                layout["margin"] = {**margin, **{k: round(margin.get(k, 30) * scale) for k in ("t", "l")}}
            if isinstance(title, dict):
                size = title.get("font", {}).get("size", 14)
                layout["title"] = {**title, "font": {**title.get("font", {}), "size": round(size * scale)}}
            fig = {**fig, "layout": layout}
        return spec_json(fig), fig["layout"].get("height")
    if scale != 1.0:
        fig = go.Figure(fig).update_layout(font_size=round(12 * scale))
    return fig.to_json(), fig.layout.height


def live_chart(
    fig: go.Figure | Spec | Sequence[Spec], key: str, draw: list | None = None, playing: bool = False
) -> list | None:
    """Show ``fig`` (a Figure, or a plain spec: the fast path); later calls with the same key
    update that chart in place.

    A list of specs is a run of frames (one tick's worth while playing): the browser plays them
    one by one, evenly spaced over the time until the next run arrives, so the chart redraws
    several times per Streamlit rerun. ``playing=False`` shows the last frame at once, and so
    does a run made while the whole page reran (FRESH_KEY: a setting changed).

    With ``draw`` (the points drawn so far, also shown as the figure's first trace), a click
    or a drag on the plot adds points; returns the new list [[x, y], ...] once the mouse is
    released, None before.
    """
    figs = fig if isinstance(fig, (list, tuple)) else [fig]
    scale = font_scale()
    frames = [_encode(f, scale) for f in figs]
    return _component(
        frames=[spec for spec, _ in frames],
        playing=playing,
        fresh=bool(st.session_state.get(FRESH_KEY)),
        draw=draw,
        key=key,
        default=None,
        height=frames[-1][1],
    )


def let_server_send() -> None:
    """End of a playing rerun: pause briefly so the server can send what it drew.

    Reruns follow each other at once while playing; without this pause the script thread kept
    the GIL so busy that the server's event loop sent only every third or fourth rerun (its
    queue keeps only a chart's newest update): 1.8 reruns/s reached the browser, 6.5 with it
    (1D view, this 2-core machine).
    """
    time.sleep(SEND_PAUSE_S)
