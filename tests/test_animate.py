"""`ganlab animate`: a run as a GIF or an MP4, from kept states or replayed from its seed."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_cli import run_cli

from ganlab.runs.frames import frame_iterations

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A paper-1d run of 600 iterations trained in one go, and one that kept its states."""
    root = tmp_path_factory.mktemp("animate")
    plain, kept = root / "plain", root / "kept"
    assert run_cli("train", "--preset", "paper-1d", "--steps", "600", "--out", str(plain)).returncode == 0
    made = run_cli(
        "train", "--preset", "paper-1d", "--steps", "400", "--keep-every", "20", "--out", str(kept)
    )
    assert made.returncode == 0, made.stderr
    return plain, kept


def gif_frames(path: Path) -> list[np.ndarray]:
    im = Image.open(path)
    frames = []
    for i in range(im.n_frames):
        im.seek(i)
        frames.append(np.asarray(im.convert("RGB")))
    return frames


def mp4_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def distinct(frames: list[np.ndarray]) -> int:
    return len({f.tobytes() for f in frames})


def test_frame_iterations_are_spread_from_the_start_to_the_end():
    assert frame_iterations(3000, 72)[:3] == [0, 42, 85] and frame_iterations(3000, 72)[-1] == 3000
    assert len(frame_iterations(3000, 72)) == 72
    assert frame_iterations(5, 72) == [0, 1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def animations(runs, tmp_path_factory):
    """The plain run replayed as a GIF and as an MP4 (10 fps, 6 s), with what the command said."""
    plain, _ = runs
    out = tmp_path_factory.mktemp("animations")
    said = {}
    for suffix in (".gif", ".mp4"):
        path = out / f"run{suffix}"
        made = run_cli("animate", "--run", str(plain), "--out", str(path), "--fps", "10", "--seconds", "6")
        assert made.returncode == 0, made.stderr
        said[suffix] = made.stderr
    return out / "run.gif", out / "run.mp4", said


def test_a_replayed_run_as_a_gif_and_an_mp4(animations):
    gif, mp4, said = animations
    assert "60 frames" in said[".gif"] and "from a replay from its seed to 600 iterations" in said[".gif"]
    frames = gif_frames(gif)
    assert len(frames) == 60 and distinct(frames) >= 50  # the run moves from frame to frame
    video = mp4_frames(mp4)
    assert len(video) == 60 + 10  # and the last frame held for a second
    assert video[0].shape == frames[0].shape  # 800 x 460: even already
    # the same pictures, through H.264's loss
    assert np.abs(video[30].astype(int) - frames[30].astype(int)).mean() < 6
    assert np.abs(video[0].astype(int) - video[59].astype(int)).mean() > 1


def test_kept_states_are_used_when_the_run_has_them(runs, tmp_path):
    _, kept = runs
    out = tmp_path / "kept.gif"
    made = run_cli("animate", "--run", str(kept), "--out", str(out), "--fps", "5", "--seconds", "2")
    assert made.returncode == 0, made.stderr
    assert "10 of its 20 kept states" in made.stderr
    assert distinct(gif_frames(out)) == 10


def test_a_run_changed_while_it_trained_cannot_be_replayed(runs, tmp_path):
    plain, _ = runs
    changed = tmp_path / "changed"
    import shutil

    shutil.copytree(plain, changed)
    resumed = run_cli("train", "--resume", str(changed), "--steps", "700", "--set", "lr_d=0.01")
    assert resumed.returncode == 0, resumed.stderr
    out = tmp_path / "no.gif"
    refused = run_cli("animate", "--run", str(changed), "--out", str(out))
    assert refused.returncode == 2 and "cannot replay" in refused.stderr and "--keep-every" in refused.stderr
    assert len(refused.stderr.strip().splitlines()[-1]) > 20 and not out.exists()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--view", "2d"], "is a 1d run"),
        (["--view", "3d"], "invalid choice"),
        (["--fps", "0"], "--fps"),
        (["--seconds", "0"], "--seconds"),
        (["--out-suffix", ".avi"], "must name a .gif or .mp4"),
    ],
)
def test_bad_animate_input_is_one_line_exit_2(runs, tmp_path, args, fragment):
    plain, _ = runs
    out = str(tmp_path / "a.gif")
    if args[0] == "--out-suffix":
        out, args = str(tmp_path / f"a{args[1]}"), []
    result = run_cli("animate", "--run", str(plain), "--out", out, *args)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.browser
def test_chromium_plays_the_mp4_and_shows_the_gif(animations):
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM

    gif, mp4, _ = animations
    data = {p.suffix: base64.b64encode(p.read_bytes()).decode() for p in (gif, mp4)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.set_content(
            f'<video id=v muted src="data:video/mp4;base64,{data[".mp4"]}"></video>'
            f'<img id=i src="data:image/gif;base64,{data[".gif"]}">'
        )
        page.wait_for_function("document.getElementById('v').readyState >= 2", timeout=15_000)
        width, duration = page.evaluate(
            "[document.getElementById('v').videoWidth, document.getElementById('v').duration]"
        )
        assert width == 800 and duration == pytest.approx(7.0, abs=0.2)  # 6 s and the held last frame
        page.evaluate("document.getElementById('v').play()")
        page.wait_for_function("document.getElementById('v').currentTime > 0.5", timeout=15_000)
        assert page.evaluate("document.getElementById('i').naturalWidth") == 800
        browser.close()


@pytest.mark.parametrize("preset", ["ring8", "mnist-mlp"])
def test_2d_and_mnist_frames_paint_from_the_slim_copies_the_dashboard_records(preset):
    """What Record keeps (a slim snapshot) paints as the full one does, for every kind."""
    from ganlab.figures.animate import caption, encode, paint_frames, slim
    from ganlab.presets import get_preset
    from ganlab.snapshot import take_snapshot
    from ganlab.train import Trainer

    trainer = Trainer(get_preset(preset).config.replace(device="cpu"))
    snaps = [take_snapshot(trainer)]
    trainer.advance(3)
    snaps.append(take_snapshot(trainer))
    kind = trainer.cfg.kind
    full = paint_frames(kind, snaps, [caption(s, preset) for s in snaps])
    light = paint_frames(kind, [slim(s) for s in snaps], [caption(s, preset) for s in snaps])
    assert full[0].shape == light[0].shape and full[0].dtype == np.uint8
    assert np.abs(full[1].astype(int) - light[1].astype(int)).mean() < 1  # uint8 MNIST: rounding only
    assert np.abs(full[0].astype(int) - full[1].astype(int)).mean() > 0  # G moved in 3 iterations
    gif = encode(light, ".gif", 5)
    assert Image.open(__import__("io").BytesIO(gif)).n_frames == 2
