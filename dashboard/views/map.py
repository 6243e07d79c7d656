"""The stability map tab: a grid of GANs that differ from the sidebar's setup in two settings,
trained at once by the batched trainer and drawn as they train (each cell coloured by how far
its p_g is from p_data); once done, each cell's outcome; a click on a cell opens that exact
setting in the live view."""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import streamlit as st

from dashboard.live import blend_pace
from dashboard.live_chart import live_chart
from dashboard.sidebar import set_before_next_run
from dashboard.trainer_state import FRESH_MODEL
from dashboard.widgets import LEARNING_RATES, R1_CHOICES, config_widget_values
from ganlab.config import Config, ConfigError
from ganlab.figures.map import legend_text, map_spec, outcome_letters, render_map
from ganlab.runs.maprun import MapRun, MapSpec

__all__ = ["map_view"]

CLICKED = "map_clicked"
TICK_S = 0.3  # the map's fragment reruns this often while it trains
TRAIN_S = 0.6  # ... and trains about this long each time
READ_EVERY_S = 1.0  # the cells' colours are read at most this often
MAX_GANS = 256  # in a browser session (the command line's maps go to 4,096)
STEPS = [200, 500, 1000, 2000, 3000, 5000]
# What each axis offers here: the sidebar's own values, so that a clicked cell is a setting it can show.
CHOICES = {
    "lr_d": LEARNING_RATES,
    "lr_g": LEARNING_RATES,
    "lr": LEARNING_RATES,
    "k": list(range(1, 21)),
    "momentum": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
    "r1": [v for v in R1_CHOICES if v > 0],
}
LABELS = {
    "lr_d": "learning rate of D",
    "lr_g": "learning rate of G",
    "lr": "both learning rates",
    "k": "k (D steps per G step)",
    "momentum": "momentum / Adam's β₁",
    "r1": "R1 penalty γ",
}
DEFAULTS = {"lr_d": (1e-4, 1e-1), "lr_g": (1e-4, 1e-1), "lr": (1e-4, 1e-1), "k": (1, 8)}


def _axis_ui(col, which: str, default: str) -> tuple[str, list]:
    """One axis: the setting, and the range of its offered values it spans."""
    name = col.selectbox(
        f"{which} axis",
        list(CHOICES),
        index=list(CHOICES).index(default),
        format_func=LABELS.get,
        key=f"map_{which}",
        persist_state="session",
    )
    options = CHOICES[name]
    lo, hi = DEFAULTS.get(name, (options[0], options[-1]))
    span = col.select_slider(
        f"{LABELS[name]} from, to",
        options,
        value=(lo, hi),
        format_func="{:g}".format,
        key=f"map_{which}_{name}_range",
        persist_state="session",
    )
    return name, [v for v in options if span[0] <= v <= span[1]]


def _spec_ui(cfg: Config) -> MapSpec | None:
    """The map's axes, length and seeds; the spec they make with the sidebar's setup, or None."""
    cols = st.columns([3, 3, 2, 1])
    x, xs = _axis_ui(cols[0], "x", "lr_d")
    y, ys = _axis_ui(cols[1], "y", "lr_g")
    steps = cols[2].select_slider("Iterations", STEPS, value=1000, key="map_steps", persist_state="session")
    seeds = cols[3].number_input("Seeds a cell", 1, 4, value=1, key="map_seeds", persist_state="session")
    gans = len(xs) * len(ys) * int(seeds)
    try:
        if gans > MAX_GANS:
            raise ConfigError(
                f"{len(xs)} x {len(ys)} cells x {seeds} seeds is {gans} GANs; a map here trains at most "
                f"{MAX_GANS} (narrow a range; `ganlab map` trains up to 4,096)"
            )
        return MapSpec.from_config(cfg, x, y, xs, ys, steps=int(steps), seeds=int(seeds))
    except ConfigError as exc:
        st.error(str(exc), icon=":material/grid_off:")
        return None


def _pick(clicked: list | None, run: MapRun) -> None:
    """A click on a cell: that GAN's whole configuration (its first seed's) goes to the sidebar,
    and the live view opens on a new model of it, trained from its seed as the map's was."""
    if not clicked or clicked == st.session_state.get(CLICKED):
        return
    st.session_state[CLICKED] = clicked
    spec = run.spec
    xs, ys = spec.values(spec.x), spec.values(spec.y)
    i, j = (round(float(v)) for v in clicked[-1])
    if not (0 <= i < len(xs) and 0 <= j < len(ys)):
        return
    cfg = run.ensemble.configs[(j * len(xs) + i) * spec.seeds]
    values = config_widget_values(cfg)
    tab, label = {"1d": ("tab_1d", "Live training"), "2d": ("tab_2d", "Live training (2D)")}[cfg.kind]
    values[tab] = label
    values[FRESH_MODEL] = f"{spec.x} {xs[i]:g}, {spec.y} {ys[j]:g}, seed {cfg.seed}"
    set_before_next_run(values)


def _grids(run: MapRun) -> tuple[np.ndarray, np.ndarray]:
    """The latest reading per cell: its seeds' mean JSD, and whether most of them diverged."""
    spec, reading = run.spec, run.latest
    xs, ys = spec.values(spec.x), spec.values(spec.y)
    shape = (len(ys), len(xs), spec.seeds)
    if reading is None:
        return np.full(shape[:2], np.nan), np.zeros(shape[:2], dtype=bool)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a cell whose seeds all diverged
        jsd = np.nanmean(reading.jsd.reshape(shape), axis=2)
    return jsd, reading.diverged.reshape(shape).mean(axis=2) >= 0.5


def _draw(run: MapRun) -> None:
    """The map now: the latest reading's colours, and when done each cell's outcome."""
    spec, reading = run.spec, run.latest
    xs, ys = spec.values(spec.x), spec.values(spec.y)
    jsd, gone = _grids(run)
    outcomes = None
    if run.done:
        each = run.outcomes()
        cells = [each[at : at + spec.seeds] for at in range(0, len(each), spec.seeds)]
        letters = outcome_letters(cells)
        outcomes = [letters[j * len(xs) : (j + 1) * len(xs)] for j in range(len(ys))]
    rate = len(run.cells) * run.iterations / max(run.seconds, 1e-9)
    title = (
        f"<b>{len(run.cells)} GANs</b> · iteration {run.iterations:,} of {spec.steps:,} · "
        f"{rate:,.0f} GAN-iterations/s · colour: JSD(p_data ‖ p_g) at iteration "
        f"{reading.iteration if reading else 0:,}"
    )
    spec_ = map_spec(spec.x, spec.y, xs, ys, jsd, gone, outcomes, title=title)
    _pick(live_chart(spec_, key="map_chart", draw=[]), run)


def map_view(cfg: Config) -> None:
    """The tab: what to vary, Train / Stop, the map filling in, and once done its outcomes."""
    st.markdown(
        "Many GANs at once: each cell is the sidebar's setup with two settings changed, trained "
        "by the batched trainer (every GAN with its own seed's weights and draws, as a run of its "
        "own would have). Cells flicker where the game oscillates and go black where it diverges. "
        "**Click a cell** to open that setting in the live view."
    )
    spec = _spec_ui(cfg)
    state = st.session_state
    run_key = f"map_run_{cfg.kind}"  # the 1D and the 2D page each keep their own map
    run: MapRun | None = state.get(run_key)
    cols = st.columns([1, 1, 4])
    if cols[0].button(
        ":material/grid_on: Train the map", key="map_start", type="primary", disabled=spec is None
    ):
        state[run_key] = run = MapRun(spec)
        state["map_running"] = True
        for key in (CLICKED, "map_s_per_iteration", "map_read_at", "map_png"):  # a new map: measured anew
            state.pop(key, None)
    if cols[1].button(":material/stop: Stop", key="map_stop", disabled=not state.get("map_running")):
        state["map_running"] = False
    if run is None:
        st.caption("Choose the two settings and their ranges, then train the map.")
        return

    @st.fragment(run_every=TICK_S if state.get("map_running") else None)
    def live() -> None:
        if state.get("map_running") and not run.done:
            per = state.get("map_s_per_iteration")
            n = 1 if per is None else max(1, int(TRAIN_S / per))
            start = time.perf_counter()
            run.advance(n)
            took = (time.perf_counter() - start) / n
            state["map_s_per_iteration"] = blend_pace(per, took)
            if time.perf_counter() - state.get("map_read_at", 0.0) >= READ_EVERY_S or run.done:
                run.read()
                state["map_read_at"] = time.perf_counter()
            if run.done:
                state["map_running"] = False
                st.rerun()  # the whole tab: the outcomes, the legend and the files
        elif run.latest is None:
            run.read()
        st.progress(
            min(run.iterations / run.spec.steps, 1.0),
            text=f"iteration {run.iterations:,} of {run.spec.steps:,}",
        )
        _draw(run)

    live()
    if run.done:
        result = run.result()
        counts = {
            o: sum(c["outcome"] == o for c in result["cells"]) for o in result["thresholds"]["outcomes"]
        }
        st.markdown(
            " · ".join(f"**{n}** {o}" for o, n in counts.items() if n) + f" ({result['seconds']:.0f} s)"
        )
        st.caption(legend_text())
        files = st.columns(2)
        files[0].download_button(
            "Download map.json", json.dumps(result, indent=2), "map.json", "application/json", key="map_json"
        )
        if state.get("map_png", (None,))[0] is not run:  # drawn once a map, not on every rerun
            state["map_png"] = (run, render_map(result))
        files[1].download_button(
            "Download map.png", state["map_png"][1], "map.png", "image/png", key="map_png_file"
        )
