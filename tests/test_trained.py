"""The trained generators shipped in assets/models: what they draw, where they load (the
command line, the dashboard), and a file that is not what it says."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest
from test_cli import run_cli

from ganlab.cli import main
from ganlab.measure.judge import judge_samples
from ganlab.runs.checkpoint import CheckpointError
from ganlab.runs.load import load_trainer
from ganlab.runs.trained import FORMAT, MODELS_DIR, load_trained, trained_names
from ganlab.snapshot.mnist import shipped_judge

SHIPPED = ("mnist-demo", "mnist-paper")


def test_the_shipped_models_are_small_and_named_for_their_presets():
    assert set(SHIPPED) <= set(trained_names())
    sizes = [(MODELS_DIR / f"{name}.pt").stat().st_size for name in trained_names()]
    assert sum(sizes) < 10.5e6  # the budget: about 10 MB in all


@pytest.mark.parametrize("name", SHIPPED)
def test_a_trained_model_draws_every_digit(name):
    trainer = load_trained(name, device="cpu")
    assert trainer.trained_from == name and trainer.cfg.p_data == "mnist" and trainer.g_updates > 1000
    samples = trainer.sample(2000, seed=5).double().cpu().numpy()
    assert samples.min() >= 0 and samples.max() <= 1
    shares = np.asarray(judge_samples(shipped_judge(), samples)["class_share"])
    assert shares.min() >= 0.03, shares  # every digit, none much rarer than a tenth


def test_trained_names_the_model_wherever_a_run_is_read(tmp_path):
    assert (
        load_trainer(Path("trained:mnist-paper"), "cpu").g_updates
        == load_trainer(MODELS_DIR / "mnist-paper.pt", "cpu").g_updates
    )
    out = tmp_path / "s.npy"
    assert main(["sample", "--run", "trained:mnist-paper", "--n", "16", "--out", str(out)]) == 0
    assert np.load(out).shape == (16, 28, 28)
    bad = run_cli("sample", "--run", "trained:no-such-model", "--n", "4", "--out", str(tmp_path / "x.npy"))
    assert bad.returncode == 2 and "no trained model 'no-such-model'; known: " in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.npy").exists()


def test_a_trained_model_animates_as_a_loop_through_z(tmp_path):
    out = tmp_path / "walk.gif"
    assert (
        main(["animate", "--run", "trained:mnist-demo", "--out", str(out), "--fps", "4", "--seconds", "2"])
        == 0
    )
    gif = Image.open(io.BytesIO(out.read_bytes()))
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("L"), dtype=float))
    assert len(frames) == 8
    assert np.abs(frames[0] - frames[4]).mean() > 5  # the digits move along the walk


def test_a_file_that_does_not_fit_its_config_is_one_line(tmp_path):
    state = torch.load(MODELS_DIR / "mnist-paper.pt", weights_only=True)
    assert state["format"] == FORMAT
    state["config"]["latent_dim"] = 7  # G's first layer no longer fits
    bad = tmp_path / "bad.pt"
    torch.save(state, bad)
    with pytest.raises(CheckpointError, match="does not match its config"):
        load_trainer(bad, "cpu")
    del state["generator"]
    torch.save(state, bad)
    with pytest.raises(CheckpointError, match="missing"):
        load_trainer(bad, "cpu")


def test_the_dashboard_starts_from_a_trained_model_and_its_figures_draw_at_once():
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    at.selectbox(key="preset").set_value("mnist-paper").run()
    at.session_state["tab_mnist"] = "Figure 2: nearest neighbours"
    at.run()
    assert not at.get("image") and "needs a trained generator" in at.info[0].value  # no blobs
    at.button(key="trained_mnist-paper_2").click().run()
    assert not at.exception
    trainer = at.session_state["trainer"]
    assert trainer.trained_from == "mnist-paper" and trainer.g_updates > 100_000
    assert at.session_state["preset"] == "mnist-paper" and not at.session_state["running"]
    (picture,) = at.get("image")  # Figure 2, drawn from the trained model
    assert f"G updates {trainer.g_updates:,}" in picture.proto.imgs[0].caption
    at.session_state["tab_mnist"] = "Live training (MNIST)"
    at.run()
    before = trainer.g_updates
    at.button(key="iteration").click().run()  # trains on from it, against a new D
    assert not at.exception and at.session_state["trainer"] is trainer and trainer.g_updates == before + 1
