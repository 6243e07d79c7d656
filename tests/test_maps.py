"""Stability maps: the batched trainer against the Trainer it stands for, a diverging GAN kept in
its own slice, the outcomes, and `ganlab map` from the command line."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from ganlab.cli import main
from ganlab.config import ConfigError
from ganlab.measure.outcome import classify
from ganlab.presets import get_preset
from ganlab.runs.maprun import MapRun, MapSpec
from ganlab.train import Trainer, native
from ganlab.train.device import TF32_ENV
from ganlab.train.ensemble import Ensemble

PAPER = get_preset("paper-1d").config
SMALL_2D = get_preset("ring8").config.replace(hidden=16, depth=2, batch_size=64)


def weights_apart(ensemble: Ensemble, i: int, trainer: Trainer) -> float:
    """The largest difference between GAN i's weights and the trainer's (G_eval's and D's)."""
    theirs = ensemble.trainer_weights(i)
    worst = 0.0
    for name, net in (("generator", trainer.G_eval), ("discriminator", trainer.D)):
        mine = net.state_dict()
        worst = max(worst, max(float((mine[k] - v).abs().max()) for k, v in theirs[name].items()))
    return worst


CASES = {
    "learning rates and seeds": [
        PAPER.replace(lr_d=lr_d, lr_g=lr_g, seed=s)
        for lr_d, lr_g, s in [(2e-3, 2e-3, 0), (1e-2, 1e-3, 1), (1e-4, 5e-3, 2)]
    ],
    "k": [PAPER.replace(k=k, seed=s) for k, s in [(1, 0), (3, 1), (5, 2)]],
    "R1": [PAPER.replace(r1=r1, seed=s) for r1, s in [(0.0, 0), (1.0, 1), (10.0, 2)]],
    "SGD with momentum": [
        PAPER.replace(optimizer="sgd", momentum=mu, lr_d=0.05, lr_g=0.02, seed=s)
        for mu, s in [(0.0, 0), (0.9, 1)]
    ],
    "2D, EMA and decay": [SMALL_2D.replace(lr_d=lr, seed=s) for lr, s in [(2e-3, 0), (1e-2, 1)]],
    "minimax, uniform z, ReLU G": [
        PAPER.replace(g_loss="minimax", noise="uniform", latent_dim=3, g_activation="relu", seed=s)
        for s in (0, 1)
    ],
    # widths that are not multiples of 16 (the fused passes' plain loops) and 48 (tiles of 32 and 16)
    "width 20, depth 3, LeakyReLU G": [
        PAPER.replace(hidden=20, depth=3, g_activation="leaky_relu", seed=s) for s in (0, 1)
    ],
    "2D, width 48, depth 1": [SMALL_2D.replace(hidden=48, depth=1, seed=s) for s in (0, 1)],
}
PASSES = ("fused", "pytorch")  # the ensemble's fused C passes (ganlab.train.native), or PyTorch's


def use_passes(passes: str, monkeypatch) -> None:
    monkeypatch.setenv(native.ENV, "1" if passes == "fused" else "0")


def check_passes(ensemble: Ensemble, passes: str) -> None:
    """The ensemble runs the passes asked for: where a C compiler is, the fused ones load."""
    if passes == "pytorch" or ensemble.device.type != "cpu":
        assert ensemble.native is None
    elif ensemble.native is None:
        assert not shutil.which("cc"), native.describe()
        pytest.skip(f"fused passes {native.describe()}")


@pytest.mark.parametrize("passes", PASSES)
@pytest.mark.parametrize("name", list(CASES))
def test_each_batched_gan_follows_its_own_trainer(name, passes, monkeypatch):
    """Same seeds, same draws in the same order, Algorithm 1 with each GAN's own settings: five
    iterations later the weights agree to floating-point tolerance (the batched products
    round differently from the trainer's, and Adam's first steps magnify that a little)."""
    monkeypatch.setenv(TF32_ENV, "0")  # on CUDA the Trainer's products would otherwise be TF32's
    use_passes(passes, monkeypatch)
    configs = CASES[name]
    ensemble = Ensemble(configs)
    check_passes(ensemble, passes)
    if name == "learning rates and seeds" and ensemble.device.type == "cpu":  # one draw an iteration
        assert ensemble.one_draw is not None
    if name == "k":  # GANs of different k draw minibatch by minibatch
        assert ensemble.one_draw is None
    ensemble.advance(5)
    for i, cfg in enumerate(configs):
        trainer = Trainer(cfg)
        trainer.advance(5)
        assert weights_apart(ensemble, i, trainer) < 1e-4, (name, i)


@pytest.mark.parametrize("passes", PASSES)
def test_a_diverging_gan_stays_in_its_own_slice_and_is_frozen(passes, monkeypatch):
    use_passes(passes, monkeypatch)
    good = [
        PAPER.replace(optimizer="sgd", momentum=0.0, lr_d=0.02, lr_g=0.01, seed=s, ema=0.9) for s in (0, 1)
    ]
    wild = PAPER.replace(optimizer="sgd", momentum=0.9, lr_d=10.0, lr_g=10.0, seed=2, ema=0.9)
    mixed = Ensemble([good[0], wild, good[1]])
    alone = Ensemble(good)
    check_passes(mixed, passes)
    mixed.advance(60)
    alone.advance(60)
    assert mixed.diverged_at[1] is not None and mixed.diverged_at[0] is mixed.diverged_at[2] is None
    assert (
        bool(mixed.frozen[1])
        and torch.isfinite(mixed.G.flat[1]).all()
        and torch.isfinite(mixed.D.flat[1]).all()
    )
    for i, j in ((0, 0), (2, 1)):  # the neighbours trained as if the wild one were not there
        torch.testing.assert_close(mixed.G.flat[i], alone.G.flat[j], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(mixed.D.flat[i], alone.D.flat[j], rtol=1e-5, atol=1e-6)
    frozen = [mixed.G.flat[1].clone(), mixed.G_ema[1].clone(), mixed.D.flat[1].clone()]
    mixed.advance(10)  # frozen: its weights and their average stay as they were
    for before, now in zip(frozen, [mixed.G.flat[1], mixed.G_ema[1], mixed.D.flat[1]]):
        assert torch.equal(before, now)


def test_without_a_c_compiler_the_ensemble_trains_with_pytorch_passes(monkeypatch, tmp_path):
    """No compiler: the fused passes are off, with the reason in words, and nothing fails."""
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    native._load.cache_clear()
    try:
        ensemble = Ensemble([PAPER.replace(seed=s) for s in range(2)])
        assert ensemble.native is None
        assert native.describe() == f"off: no C compiler {str(tmp_path / 'no-such-cc')!r}"
        ensemble.advance(2)
        assert torch.isfinite(ensemble.G.flat).all()
    finally:
        native._load.cache_clear()  # the next ensemble loads them again


@pytest.mark.skipif(not shutil.which("cc"), reason="no C compiler")
def test_the_fused_passes_compile_once_into_a_private_cache(monkeypatch, tmp_path):
    """A fresh cache: compiled on the first ensemble, into a folder only its user can write;
    the next load (a new process's) finds the library there."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    native._load.cache_clear()
    try:
        assert Ensemble([PAPER]).native is not None
        assert native.describe().startswith("on, compiled in"), native.describe()
        (library,) = (tmp_path / "ganlab" / "kernels").glob("*.so")
        assert not library.parent.stat().st_mode & 0o022
        native._load.cache_clear()
        assert Ensemble([PAPER]).native is not None
        assert native.describe() == "on, from the cache"
    finally:
        native._load.cache_clear()


def test_the_batched_trainer_refuses_what_it_cannot_train():
    with pytest.raises(ConfigError, match="differ in lr_d, lr_g, k, momentum, r1, seed only, not in hidden"):
        Ensemble([PAPER, PAPER.replace(hidden=16)])
    with pytest.raises(ConfigError, match="does not train packing"):
        Ensemble([PAPER.replace(pack=2)])
    with pytest.raises(ConfigError, match="does not train MNIST"):
        Ensemble([get_preset("mnist-mlp").config.replace(model="mlp")])


@pytest.mark.parametrize(
    "series, diverged, modes, expected",
    [
        (np.full((10, 1), 0.01), [False], None, "converged"),
        (0.2 + 0.1 * np.sin(np.arange(10))[:, None], [False], None, "oscillating"),
        (np.full((10, 1), 0.3), [False], None, "not converged"),
        (np.linspace(0.3, 0.1, 10)[:, None], [False], None, "not converged"),  # a steady drift is no swing
        (np.full((10, 1), np.nan), [True], None, "diverged"),
        (np.full((10, 1), 0.02), [False], [6], "collapsed"),
        (
            np.where(np.arange(10) == 4, np.nan, 0.2 + 0.1 * np.sin(np.arange(10)))[:, None],
            [False],
            None,
            "oscillating",
        ),
        (0.03 + 0.02 * np.sin(np.arange(10))[:, None], [False], None, "converged"),  # near, wobbling
    ],
)
def test_outcomes(series, diverged, modes, expected):
    assert classify(series, diverged, modes, 8 if modes else None) == [expected]


def test_the_cell_at_paper_1d_rates_converges_and_agrees_with_ganlab_train(tmp_path):
    """paper-1d's own learning rates (2e-3 for both): the map's cell and `ganlab train` of the
    same setting, read over the same last stretch, both converge."""
    steps = 1200
    spec = MapSpec(
        preset="paper-1d", x="lr_d", y="lr_g", x_values=(2e-4, 2e-3), y_values=(2e-3,), n=2, steps=steps
    )
    run = MapRun(spec)
    run.advance(steps)
    result = run.result()
    (cell,) = [c for c in result["cells"] if c["lr_d"] == 2e-3]
    assert cell["outcome"] == "converged" and cell["jsd_median"] < 0.05
    every = steps // 40  # metrics lines at the map's pace of readings over the last quarter
    args = ["train", "--preset", "paper-1d", "--steps", str(steps), "--log-every", str(every)]
    assert main([*args, "--out", str(tmp_path / "r")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    stretch = np.array([[r["jsd"]] for r in rows if r["g_updates"] >= result["readings_at"][0]])
    assert len(stretch) >= 8 and classify(stretch, [False]) == ["converged"]


def test_ganlab_map_writes_map_json_and_png(tmp_path, capsys):
    out = tmp_path / "m"
    args = ["map", "--x", "lr", "--y", "k", "--x-range", "1e-5:10", "--y-range", "1:2", "--n", "2"]
    args += [
        "--steps",
        "200",
        "--seeds",
        "2",
        "--set",
        "optimizer=sgd",
        "--set",
        "momentum=0.9",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    result = json.loads((out / "map.json").read_text())
    assert (result["x"], result["y"], result["x_values"], result["y_values"]) == (
        "lr",
        "k",
        [1e-5, 10.0],
        [1, 2],
    )
    assert len(result["cells"]) == 2 * 2 * 2 and {c["seed"] for c in result["cells"]} == {0, 1}
    by_rate = {c["lr"]: c["outcome"] for c in result["cells"]}
    assert by_rate[1e-5] == "not converged" and by_rate[10.0] in ("diverged", "oscillating")
    assert (out / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert "wrote" in capsys.readouterr().err
    assert main(["map", "--n", "2", "--steps", "2", "--set", "seed=5", "--out", str(tmp_path / "s")]) == 0
    seeded = json.loads((tmp_path / "s" / "map.json").read_text())
    assert {c["seed"] for c in seeded["cells"]} == {5} and seeded["config"]["seed"] == 5


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--x-range", "1e-2:1e-4"], "from a lower to a higher number"),
        (["--x-range=-1:1e-2"], "log scale: it must be above 0"),
        (["--x-range", "nope"], "must be LO:HI"),
        (["--n", "0"], "--n: expected an integer from 2 to 64"),
        (["--n", "10000"], "--n: expected an integer from 2 to 64"),
        (["--x", "flavour"], "invalid choice: 'flavour'"),
        (["--x", "lr_g"], "the two axes must be different"),
        (["--preset", "mnist-mlp"], "maps are for the 1D and 2D presets"),
        (["--set", "pack=2"], "does not train packing"),
        (["--x", "k", "--x-range", "1:40"], "k must stay between 1 and 20"),
        pytest.param(
            ["--device", "cuda"],
            "no CUDA GPU is available",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here"),
        ),
    ],
)
def test_bad_map_input_is_one_line_exit_2_and_writes_nothing(args, fragment, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", "map", *args, "--out", "M"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "M").exists()


def test_memory_grows_linearly_with_the_gans():
    """The ensemble's own tensors (weights, optimiser state, fixed noise) per GAN do not depend
    on how many there are."""

    def held(n: int) -> int:
        e = Ensemble([PAPER.replace(seed=s) for s in range(n)])
        tensors = [e.G.flat, e.D.flat, e.opt_d.m, e.opt_d.v, e.opt_g.m, e.opt_g.v, e.fixed_z, e.fixed_x]
        return sum(t.numel() * t.element_size() for t in tensors)

    assert held(8) == 2 * held(4) and math.isclose(held(8) / 8, held(32) / 32)
