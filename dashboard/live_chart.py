"""A Plotly chart that updates in place (Plotly.react) instead of being rebuilt each frame.

`st.plotly_chart` makes a new chart node whenever the figure changes, which costs the
browser a full re-plot (and flicker) every frame. This component keeps one chart per key
and sends only the figure's JSON, float arrays base64-encoded by plotly.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import plotly
import plotly.graph_objects as go
import streamlit.components.v1 as components

__all__ = ["live_chart"]

_SOURCE = Path(__file__).resolve().parent / "live_chart" / "index.html"


def _component_dir() -> Path:
    """index.html and the installed plotly.min.js together in one served folder."""
    plotly_js = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    target = Path(tempfile.gettempdir()) / f"ganlab-live-chart-{plotly.__version__}"
    target.mkdir(parents=True, exist_ok=True)
    dest_js = target / "plotly.min.js"
    if not dest_js.exists() or dest_js.stat().st_size != plotly_js.stat().st_size:
        tmp = target / f".plotly.{id(target)}.tmp"
        shutil.copyfile(plotly_js, tmp)
        tmp.replace(dest_js)
    html = _SOURCE.read_text()
    dest_html = target / "index.html"
    if not dest_html.exists() or dest_html.read_text() != html:
        dest_html.write_text(html)
    return target


_component = components.declare_component("ganlab_live_chart", path=str(_component_dir()))


def live_chart(fig: go.Figure, key: str, draw: list | None = None) -> list | None:
    """Show ``fig``; later calls with the same key update that chart in place.

    With ``draw`` (the points drawn so far, also shown as the figure's first trace), a click
    or a drag on the plot adds points; returns the new list [[x, y], ...] once the mouse is
    released, None before.
    """
    return _component(spec=fig.to_json(), draw=draw, key=key, default=None, height=fig.layout.height)
