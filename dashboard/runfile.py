"""Save this session's run as one zip, or load one (an export, or a zipped `ganlab train` run)."""

from __future__ import annotations

import functools
from dataclasses import fields

import streamlit as st

from dashboard.live import HISTORY_MAX
from dashboard.trainer_state import new_model
from dashboard.urlstate import PARSERS
from dashboard.widgets import config_widget_values
from ganlab.config import Config
from ganlab.figures.run import run_zip
from ganlab.presets import PRESETS
from ganlab.runs.checkpoint import CheckpointError
from ganlab.runs.runzip import RunZipError, import_run
from ganlab.runs.trained import load_trained, trained_names

IMPORT_ERROR = "run_import_error"


def _not_offered(cfg: Config) -> list[str]:
    """Settings of ``cfg`` that the sidebar cannot show exactly (loading them would change them)."""
    bad = []
    for name, parse in PARSERS.items():
        value = getattr(cfg, name, None)
        if value is None or (name == "p_data" and value == "custom"):
            continue
        try:
            ok = parse(str(value)) == value
        except ValueError:
            ok = False
        if not ok:
            bad.append(f"{name}={value!r}")
    return bad


def closest_preset(cfg: Config) -> str:
    """The preset whose settings differ from ``cfg``'s in the fewest fields (the first of equals):
    a loaded run has no preset name, and the sidebar's should describe the run, not the last."""
    skip = {"device", "seed", "points"}
    names = [f.name for f in fields(Config) if f.name not in skip]

    def differences(preset: str) -> int:
        other = PRESETS[preset].config
        return sum(getattr(cfg, name) != getattr(other, name) for name in names)

    return min(PRESETS, key=differences)


def _adopt(trainer, history: list, message: str, preset: str | None = None) -> None:
    """This session's model becomes ``trainer`` (paused), the sidebar shows its settings (and the
    preset that describes it), and a toast says ``message``."""
    state, cfg = st.session_state, trainer.cfg
    state.update(config_widget_values(cfg))
    state["preset"] = preset or closest_preset(cfg)
    if cfg.p_data == "custom":
        state["user_points"] = cfg.points
    new_model(state, trainer, history)
    state["running"] = False
    state["run_imported"] = message


def _on_import() -> None:
    state = st.session_state
    upload = state.get("run_upload")
    if upload is None:
        return
    state.pop(IMPORT_ERROR, None)
    try:
        run = import_run(upload.getvalue(), upload.name, device="auto")  # this server's device
    except (RunZipError, RuntimeError) as exc:
        state[IMPORT_ERROR] = f"{exc}. Your current run is kept."
        return
    cfg = run.trainer.cfg
    mismatch = _not_offered(cfg)
    if mismatch:
        state[IMPORT_ERROR] = (
            f"{upload.name}: the sidebar does not offer {', '.join(mismatch)}; continue this run with "
            f"`ganlab train --resume` instead. Your current run is kept."
        )
        return
    loaded = f"Loaded {upload.name}: G update {run.trainer.g_updates:,}."
    _adopt(run.trainer, run.history[-HISTORY_MAX:], loaded)


def start_from_trained(name: str) -> None:
    """Replace this session's model with the shipped trained model ``name`` (paused); a file that
    fails to load leaves the current run as it was and says why."""
    state = st.session_state
    state.pop(IMPORT_ERROR, None)
    try:
        trainer = load_trained(name, device="auto")  # this server's device
    except (CheckpointError, RuntimeError) as exc:
        state[IMPORT_ERROR] = f"{exc}. Your current run is kept."
        return
    _adopt(
        trainer,
        [],
        f"Started from the trained {name} model: G update {trainer.g_updates:,}. Play trains on from "
        "it with a new discriminator; Reset starts from scratch.",
        preset=name if name in PRESETS else None,
    )


def trained_button(name: str, key: str) -> None:
    """A button that starts from the shipped trained model ``name``."""
    st.button(
        f"Start from the trained {name} model",
        key=key,
        on_click=start_from_trained,
        args=(name,),
        icon=":material/model_training:",
        help="A generator trained long beforehand and shipped with ganlab (its measured figures: "
        "docs/mnist.md). Figures 2 and 3 then show the end result at once.",
    )


def run_file_ui() -> None:
    """The sidebar's 'Save or load a run' box."""
    state = st.session_state
    with st.sidebar.expander("Save or load a run (.zip)", icon=":material/folder_zip:"):
        trainer = state.get("trainer")
        if trainer is not None:
            st.download_button(
                ":material/download: Download this run",
                data=functools.partial(run_zip, trainer, state["history"]),
                file_name=f"ganlab-{state.get('preset', 'run')}.zip",
                mime="application/zip",
                on_click="ignore",
                key="export_run",
                use_container_width=True,
                help="config.json, checkpoint.pt, metrics.jsonl and .csv, and figures/ (PNG and Plotly "
                "JSON). Unzipped it is a run directory: `ganlab sample --run` reads it, or the zip itself.",
            )
        st.file_uploader(
            "Load a run",
            type=["zip"],
            key="run_upload",
            on_change=_on_import,
            help="A zip downloaded here, or a zipped run directory of `ganlab train`. Training goes on "
            "from where it stopped.",
        )
        if trainer is not None and trainer.cfg.kind == "mnist":
            for name in trained_names():
                trained_button(name, f"trained_{name}")
        if IMPORT_ERROR in state:
            st.error(state[IMPORT_ERROR], icon=":material/error:")
    if "run_imported" in state:
        st.toast(state.pop("run_imported"), icon=":material/folder_zip:")
