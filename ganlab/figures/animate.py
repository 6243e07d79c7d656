"""A run as an animation: one picture per snapshot (the 1D Figure-1 chart, the 2D plane, the
MNIST fixed-z grid) with a caption, on axes fixed for the whole run, encoded as a GIF
(Pillow) or an MP4 (H.264 through PyAV, whose wheel brings FFmpeg's libraries).

Each kind has a painter that builds its matplotlib figure once and then only moves its
lines and points from frame to frame, so a frame costs a few tens of milliseconds.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from ganlab.figures.marks import arrow_vectors
from ganlab.figures.pixels import montage
from ganlab.figures.style import PLANE_COLORS

__all__ = [
    "FORMATS",
    "VIEWS",
    "VideoMissing",
    "caption",
    "check_format",
    "encode",
    "mp4_available",
    "paint_frames",
    "slim",
]

VIEWS = ("1d", "2d", "mnist")  # --view: the kind of run (Config.kind) each draws
FORMATS = (".gif", ".mp4")


class VideoMissing(RuntimeError):
    """PyAV (for MP4) is not installed."""


NO_VIDEO = 'MP4 needs PyAV: pip install "ganlab[video]" (or write a .gif)'


def mp4_available() -> bool:
    """Whether PyAV is there to write MP4 (found, not imported)."""
    return importlib.util.find_spec("av") is not None


def check_format(suffix: str) -> None:
    """ValueError for a file type other than .gif and .mp4, VideoMissing for .mp4 without
    PyAV: before any frame is made."""
    if suffix not in FORMATS:
        raise ValueError(f"must name a .gif or .mp4 file, not {suffix or 'one without a suffix'}")
    if suffix == ".mp4" and not mp4_available():
        raise VideoMissing(NO_VIDEO)


def caption(snap: Any, name: str) -> str:
    """The line under a frame: the run, its G updates, and its main metric."""
    m = snap.metrics
    text = f"{name} · G updates {snap.g_updates:,}"
    if "jsd" in m:
        text += f" · JSD {m['jsd']:.4f} nats"
    if "modes_covered" in m:
        text += f" · {m['modes_covered']}/{m['modes_total']} modes"
    if "frechet" in m:
        text += f" · Fréchet {m['frechet']:.0f}"
    return text


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """A matplotlib figure of its own (no pyplot: the dashboard paints on a download's thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def slim(snap: Any) -> Any:
    """A copy of a snapshot with only what a frame paints (the dashboard keeps hundreds while
    recording): no density grids or manifold for 2D, MNIST's fixed grid as bytes."""
    kind = type(snap).__name__
    if kind == "Snapshot2D":
        return dataclasses.replace(
            snap, d=snap.d.astype(np.float32), p_data=None, p_g=None, d_star=None, manifold=None
        )
    if kind == "SnapshotMnist":
        fixed = (np.clip(snap.fixed, 0, 1) * 255).astype(np.uint8)
        return dataclasses.replace(snap, fixed=fixed, fresh=None, d_real=None, d_fake=None)
    return snap


def _canvas(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _paint_1d(snaps: Sequence[Any], captions: Sequence[str]) -> list[np.ndarray]:
    from matplotlib.collections import LineCollection

    lo = min(float(s.x[0]) for s in snaps)
    hi = max(float(s.x[-1]) for s in snaps)
    top = 1.15 * max(1.0, max(float(np.nanmax(s.p_data)) for s in snaps))
    x_line, z_line = -0.25 * top, -0.6 * top
    fig, ax = _figure(8, 4.6)
    (p_data,) = ax.plot([], [], color="black", linestyle=":", linewidth=2, label="p_data")
    (p_g,) = ax.plot([], [], color="green", linewidth=1.8, label="p_g")
    (d,) = ax.plot([], [], color="blue", linestyle="--", linewidth=1.6, label="D(x)")
    ax.axhline(x_line, color="black", linewidth=0.8)
    ax.axhline(z_line, color="black", linewidth=0.8)
    ax.text(lo, x_line, " x", va="bottom", fontsize=9)
    ax.text(lo, z_line, " z", va="bottom", fontsize=9)
    arrows = LineCollection([], colors="0.35", linewidths=0.7)
    ax.add_collection(arrows)
    ax.set_xlim(lo, hi)
    ax.set_ylim(z_line - 0.08 * top, top)
    ax.set_yticks([0, 0.5, 1.0])
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    title = ax.set_title(captions[0], fontsize=11)  # a caption's room, before the layout
    fig.tight_layout()
    frames = []
    for s, text in zip(snaps, captions):
        p_data.set_data(s.x, s.p_data)
        p_g.set_data(s.x, np.minimum(s.p_g, top))
        d.set_data(s.x, s.d)
        if len(s.z):
            z_at = np.interp(s.z, [s.z.min(), s.z.max()], [lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo)])
            gx = np.clip(s.g_z, lo, hi)
            arrows.set_segments([[(z, z_line), (g, x_line)] for z, g in zip(z_at, gx)])
        title.set_text(text)
        frames.append(_canvas(fig))
    return frames


def _paint_2d(snaps: Sequence[Any], captions: Sequence[str]) -> list[np.ndarray]:
    from matplotlib.colors import LinearSegmentedColormap

    x0, x1, y0, y1 = snaps[-1].box
    d_map = LinearSegmentedColormap.from_list("d", [PLANE_COLORS["fake"], "#f7f7f7", PLANE_COLORS["real"]])
    fig, ax = _figure(6, 6.3)
    image = ax.imshow(
        snaps[0].d, origin="lower", extent=(x0, x1, y0, y1), cmap=d_map, vmin=0, vmax=1, alpha=0.85
    )
    real = ax.scatter([], [], s=3, color=PLANE_COLORS["real"], label="real")
    fake = ax.scatter([], [], s=3, color=PLANE_COLORS["fake"], label="fake G(z)")
    first = snaps[0]
    quiver = ax.quiver(
        first.arrows_at[:, 0],
        first.arrows_at[:, 1],
        np.zeros(len(first.arrows_at)),
        np.zeros(len(first.arrows_at)),
        angles="xy",
        scale_units="xy",
        scale=1,
        color=PLANE_COLORS["arrow"],
        width=0.003,
    )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=8)
    ax.legend(loc="lower left", fontsize=8, markerscale=3, framealpha=0.8)
    title = ax.set_title(captions[0], fontsize=10)
    fig.tight_layout()
    frames = []
    for s, text in zip(snaps, captions):
        image.set_data(s.d)
        real.set_offsets(s.real)
        fake.set_offsets(s.fake)
        vec = arrow_vectors(s.arrows, x1 - x0)
        quiver.set_offsets(s.arrows_at)
        quiver.set_UVC(vec[:, 0], vec[:, 1])
        title.set_text(text)
        frames.append(_canvas(fig))
    return frames


def _paint_mnist(snaps: Sequence[Any], captions: Sequence[str]) -> list[np.ndarray]:
    frames = []
    for s, text in zip(snaps, captions):
        side = int(round(len(s.fixed) ** 0.5))
        images = s.fixed.astype(np.float32) / 255 if s.fixed.dtype == np.uint8 else s.fixed
        gray = (np.clip(montage(images, side), 0, 1) * 255).astype(np.uint8)
        picture = Image.fromarray(gray).resize((gray.shape[1] * 2, gray.shape[0] * 2), Image.NEAREST)
        framed = Image.new("RGB", (picture.width, picture.height + 28), "white")
        framed.paste(picture.convert("RGB"), (0, 28))
        ImageDraw.Draw(framed).text((6, 7), text, fill="black")
        frames.append(np.asarray(framed))
    return frames


PAINTERS = {"1d": _paint_1d, "2d": _paint_2d, "mnist": _paint_mnist}


def paint_frames(kind: str, snaps: Sequence[Any], captions: Sequence[str]) -> list[np.ndarray]:
    """One RGB picture (h, w, 3) uint8 per snapshot of a run of ``kind``, all the same size."""
    return PAINTERS[kind](snaps, captions)


def _even(frame: np.ndarray) -> np.ndarray:
    """H.264 in 4:2:0 wants even sides: pad a row or column of white."""
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), constant_values=255)


def encode(frames: Sequence[np.ndarray], suffix: str, fps: int, hold_s: float = 1.0) -> bytes:
    """The frames as a GIF or an MP4 at ``fps`` frames a second (the last held ``hold_s``)."""
    if suffix == ".gif":
        pictures = [Image.fromarray(f) for f in frames]
        durations = [round(1000 / fps)] * len(pictures)
        durations[-1] += round(hold_s * 1000)
        buf = io.BytesIO()
        pictures[0].save(
            buf, "GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0, optimize=False
        )
        return buf.getvalue()
    try:
        import av
    except ImportError:
        raise VideoMissing(NO_VIDEO) from None
    frames = [_even(f) for f in frames]
    frames += [frames[-1]] * round(hold_s * fps)
    with tempfile.TemporaryDirectory() as folder:  # faststart rewrites the file: it needs a name
        path = Path(folder) / "run.mp4"
        _write_mp4(av, path, frames, fps)
        return path.read_bytes()


def _write_mp4(av: Any, path: Path, frames: Sequence[np.ndarray], fps: int) -> None:
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "20", "preset": "medium"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
