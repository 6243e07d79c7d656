"""Record: keep the frames a live view shows while playing, and offer them as a GIF or an MP4.

Recording costs the live view almost nothing: each frame's snapshot is kept as it was drawn
(a slim copy, see ``ganlab.figures.animate.slim``). Painting and encoding happen when a
download button is clicked, on Streamlit's download thread, not in the frame loop. A long
recording keeps every other frame each time it reaches MAX_FRAMES, so it spans the whole
take at an even pace.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ganlab.figures.animate import caption, encode, mp4_available, paint_frames, slim

__all__ = ["RECORD_KEY", "FRAMES_KEY", "RECORDING_KEYS", "keep", "record_ui"]

RECORD_KEY = "recording"  # the Record toggle
FRAMES_KEY = "recorded_frames"  # the frames kept so far (slim snapshots)
STRIDE_KEY = "recorded_stride"  # keep one frame in this many
SEEN_KEY = "recorded_seen"  # frames shown since recording started
RECORDING_KEYS = (FRAMES_KEY, STRIDE_KEY, SEEN_KEY)  # dropped with the model they show
MAX_FRAMES = 360
FPS = 15


def keep(snaps: Sequence[object]) -> None:
    """Keep the frames just drawn, if recording."""
    ss = st.session_state
    if not ss.get(RECORD_KEY):
        return
    frames = ss.setdefault(FRAMES_KEY, [])
    stride = ss.get(STRIDE_KEY, 1)
    for snap in snaps:
        seen = ss.get(SEEN_KEY, 0)
        ss[SEEN_KEY] = seen + 1
        if seen % stride == 0:
            frames.append(slim(snap))
        if len(frames) >= MAX_FRAMES:
            del frames[1::2]
            stride *= 2
    ss[STRIDE_KEY] = stride


def _start() -> None:
    """The toggle changed: a new recording starts from nothing (stopping keeps the frames)."""
    ss = st.session_state
    if ss.get(RECORD_KEY):
        ss[FRAMES_KEY], ss[STRIDE_KEY], ss[SEEN_KEY] = [], 1, 0


def _movie(frames: list, kind: str, name: str, suffix: str):
    def make() -> bytes:  # runs on Streamlit's download thread, when the button is clicked
        return encode(paint_frames(kind, frames, [caption(f, name) for f in frames]), suffix, FPS)

    return make


def record_ui() -> None:
    """The Record toggle, and once frames are kept, their GIF and MP4 downloads."""
    ss = st.session_state
    trainer = ss["trainer"]
    cols = st.columns([1.3, 1, 1, 2.6], vertical_alignment="center")
    cols[0].toggle(
        ":material/fiber_manual_record: Record",
        key=RECORD_KEY,
        on_change=_start,
        help="Keep the frames shown while playing, for a GIF or MP4 of them (for slides). "
        "Turning it on again starts a new recording.",
    )
    frames = list(ss.get(FRAMES_KEY, []))
    if not frames:
        cols[3].caption("Press Play while recording" if ss.get(RECORD_KEY) else "")
        return
    kind = trainer.cfg.kind
    name = ss.get("preset", kind)
    stamp = f"{name}-{frames[0].g_updates}-{frames[-1].g_updates}"
    formats = [(cols[1], ".gif", "image/gif"), (cols[2], ".mp4", "video/mp4")]
    if not mp4_available():
        formats.pop()
        cols[2].caption('MP4: pip install "ganlab[video]"')
    for col, suffix, mime in formats:
        col.download_button(
            f"{suffix[1:].upper()}",
            data=_movie(frames, kind, name, suffix),
            file_name=f"ganlab-{stamp}{suffix}",
            mime=mime,
            key=f"record_dl{suffix.replace('.', '_')}",
            icon=":material/movie:",
            use_container_width=True,
        )
    seconds = len(frames) / FPS
    cols[3].caption(
        f"{len(frames)} frames, G updates {frames[0].g_updates:,} → {frames[-1].g_updates:,} "
        f"({seconds:.0f} s at {FPS} fps)"
    )
