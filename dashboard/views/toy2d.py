"""The 2D view: GAN Lab's pictures (samples, D on the plane, gradients, the manifold) with the
paper's theory overlaid (D*, |D - D*|, JSD, V against C(G)) and mode-collapse counts; and the
user's own data, drawn on a canvas or uploaded as CSV."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import narrate
from dashboard.live import LiveTab, Tab, ViewOptions, aids_label, live_frame, metrics_view, play_frames
from dashboard.live_chart import live_chart
from dashboard.views.compare import TAB_LABEL, compare_view
from dashboard.views.map import map_view
from ganlab.config import Config
from ganlab.data.points import PointsError, read_points_csv
from ganlab.figures.spec import Spec
from ganlab.figures.style import PLANE_COLORS
from ganlab.figures.toy2d import BACKGROUNDS, LAYERS, NEEDS_DENSITIES, plane_spec
from ganlab.train import Trainer

LAYER_LABELS = {
    "real": "real samples",
    "fake": "fake samples",
    "arrows": "G's gradient",
    "manifold": "G manifold",
}
DRAW_BOX = (-2.0, 2.0, -2.0, 2.0)


def status_title(trainer, snap) -> str:
    """Counters and the theory's numbers, one line over the chart."""
    m = snap.metrics
    grad = f" · mean |∇ G loss| {m['mean_grad_norm']:.2g}" if "mean_grad_norm" in m else ""
    modes = (
        f"<b>modes</b> {m['modes_covered']}/{m['modes_total']} · high quality {m['high_quality']:.1%} · "
        if "modes_covered" in m
        else ""
    )
    theory = (  # a new model's first frame while playing has no sample metrics yet
        f"JSD {m['jsd']:.3f} nats · V(D,G) {m['v']:.3f} · "
        f"−log 4 + 2·JSD {m['c_g']:.3f} · mean |D − D*| {m['mean_abs_d_minus_d_star']:.3f}"
        if "jsd" in m
        else "JSD, V(D,G) and the modes follow with the next frame"
    )
    return (
        f"<b>D updates</b> {snap.d_updates} · <b>G updates</b> {snap.g_updates} · {modes}"
        f"{trainer.device_text}{aids_label(trainer)}{grad}<br>{theory}"
    )


def view_options_ui() -> tuple[str, list[str]]:
    cols = st.columns([2, 3])
    background = cols[0].selectbox(
        "Background", list(BACKGROUNDS), format_func=BACKGROUNDS.get, key="bg2d", persist_state="session"
    )
    layers = cols[1].pills(
        "Layers",
        LAYERS,
        selection_mode="multi",
        format_func=LAYER_LABELS.get,
        key="layers2d",
        persist_state="session",
    )
    return background, list(layers or [])


def live_view(view: ViewOptions) -> None:
    """The plane, redrawn by a fragment on a timer while playing, beside the metric curves."""
    background, layers = view_options_ui()
    left, right = st.columns([3, 2])
    with left:

        def frame() -> None:
            trainer = st.session_state["trainer"]
            snaps = play_frames(view, densities=background in NEEDS_DENSITIES)
            batch = narrate.minibatch()
            specs = [
                plane_spec(snap, background, layers, title=status_title(trainer, snap), batch=batch)
                for snap in snaps
            ]
            live_chart(specs, key="plane_chart", playing=st.session_state["running"])

        live_frame(frame)
    with right:
        metrics_view(height=640)


def tabs(cfg: Config, trainer: Trainer, live_tab: LiveTab) -> list[Tab]:
    """The 2D page's tabs: live training, the user's own data, and a stability map."""
    return [
        ("Live training (2D)", live_tab(live_view)),
        ("Your data", your_data_view),
        ("Stability map", lambda: map_view(cfg)),
        (TAB_LABEL, lambda: compare_view(cfg)),
    ]


# -- the user's own data ------------------------------------------------------------------------
def _use_points(points) -> None:
    st.session_state["user_points"] = tuple(map(tuple, np.asarray(points, dtype=float).tolist()))
    st.session_state["w_p_data"] = "custom"
    st.session_state["running"] = False


def _on_upload() -> None:
    upload = st.session_state.get("csv_upload")
    if upload is None:
        return
    try:
        points = read_points_csv(upload.getvalue())
    except PointsError as exc:
        st.session_state["points_error"] = f"{upload.name}: {exc}. Your previous data is kept."
        return
    st.session_state.pop("points_error", None)
    _use_points(points)


def _use_drawn() -> None:
    drawn = st.session_state.get("drawn_points") or []
    if len(drawn) < 2:
        st.session_state["points_error"] = "Draw at least 2 points first."
        return
    st.session_state.pop("points_error", None)
    _use_points(drawn)


def _clear_drawn() -> None:
    st.session_state["drawn_points"] = []
    st.session_state["canvas_version"] = st.session_state.get("canvas_version", 0) + 1


def draw_canvas_spec(points: list, current: tuple = ()) -> Spec:
    """The drawing canvas: drawn points first (the trace the component extends), then the
    data currently trained on, faint. A plain spec, not a go.Figure: this tab is rebuilt on
    every click anywhere on the page, and a validated figure took ~25 ms of each."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    now = np.asarray(current, dtype=np.float32).reshape(-1, 2)
    drawn = {
        "x": pts[:, 0],
        "y": pts[:, 1],
        "name": "drawn",
        "marker": {"color": PLANE_COLORS["real"], "size": 7},
    }
    faint = {"color": "rgba(120,120,120,0.35)", "size": 5}
    current = {
        "x": now[:, 0],
        "y": now[:, 1],
        "name": "training data now",
        "marker": faint,
        "hoverinfo": "skip",
    }
    traces = [{"type": "scatter", "mode": "markers", **trace} for trace in (drawn, current)]
    x0, x1, y0, y1 = DRAW_BOX
    if len(now):  # widen the canvas to show the data trained on now
        (lx, ly), (hx, hy) = now.min(0), now.max(0)
        pad = 0.1 * max(hx - lx, hy - ly, 1.0)
        x0, x1, y0, y1 = min(x0, lx - pad), max(x1, hx + pad), min(y0, ly - pad), max(y1, hy + pad)
    layout = {
        "height": 420,
        "dragmode": False,
        "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
        "paper_bgcolor": "white",
        "plot_bgcolor": "#fbfbfb",
        "xaxis": {"range": [x0, x1], "fixedrange": True, "constrain": "domain", "gridcolor": "#e5e5e5"},
        "yaxis": {"range": [y0, y1], "fixedrange": True, "scaleanchor": "x", "gridcolor": "#e5e5e5"},
        "legend": {"orientation": "h", "y": -0.08, "yanchor": "top", "x": 0},
    }
    return {"data": traces, "layout": layout}


def your_data_view() -> None:
    """Draw points with the mouse or upload a CSV of x,y; then train on them (p_data = custom)."""
    st.markdown(
        "Make your own p_data: **click or drag** on the canvas to add points, or **upload a CSV** "
        "with two columns x,y (an optional header line; at most 5,000 points). Each point becomes a "
        "narrow Gaussian (std 3 % of the data's extent), so p_data keeps an exact density."
    )
    if "points_error" in st.session_state:
        st.error(st.session_state["points_error"], icon=":material/error:")
    left, right = st.columns([3, 2])
    with left:
        drawn = st.session_state.setdefault("drawn_points", [])
        value = live_chart(
            draw_canvas_spec(drawn, st.session_state.get("user_points", ())),
            key=f"draw_canvas_{st.session_state.get('canvas_version', 0)}",
            draw=list(drawn),
        )
        if value is not None and value != drawn:
            st.session_state["drawn_points"] = drawn = value
        st.caption(f"{len(drawn)} points drawn")
    with right:
        st.button(":material/check: Train on the drawn points", key="use_drawn", on_click=_use_drawn)
        st.button(":material/delete: Clear the canvas", key="clear_drawn", on_click=_clear_drawn)
        st.file_uploader(
            "…or upload a CSV of x,y", type=["csv", "txt"], key="csv_upload", on_change=_on_upload
        )
        current = st.session_state.get("user_points")
        if current:
            st.success(
                f"Training data: your {len(current)} points (p_data = custom).", icon=":material/check:"
            )
