"""MNIST: the IDX loader and its errors, the three MNIST models, a training step each, the CLI."""

from __future__ import annotations

import gzip
import json
import shutil

import numpy as np
import pytest
import torch

from ganlab import Config, Trainer
from ganlab.cli import main
from ganlab.config import ConfigError
from ganlab.data.mnist import SHIPPED, TRAIN_END, MnistError, load_mnist, read_idx
from ganlab.figures.digits import nearest_training, z_walk
from ganlab.measure.judge import JUDGE_PATH, JudgeError, frechet_distance, judge_samples, load_judge
from ganlab.measure.parzen import SIGMAS, parzen_evaluate, parzen_log_likelihood
from ganlab.snapshot import take_snapshot
from ganlab.snapshot.mnist import GRID_SIDE, SnapshotMnist


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_shipped_mnist_is_complete_and_in_the_papers_split():
    images, labels = load_mnist("train")
    assert images.shape == (60_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    test_images, test_labels = load_mnist("test")
    assert test_images.shape == (10_000, 28, 28) and np.bincount(test_labels)[1] == 1135


def test_idx_reads_gzip_and_raw_alike(tmp_path):
    array = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(idx_bytes(array))
    (tmp_path / "b.idx.gz").write_bytes(gzip.compress(idx_bytes(array)))
    for name in ("a.idx", "b.idx.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), array)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x00\x08", "bad magic"),
        (b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00", "bad magic"),  # float32 data: not ours
        (idx_bytes(np.zeros((2, 28, 28)))[:-5], "truncated"),
        (idx_bytes(np.zeros((2, 28, 28))) + b"\x00", "truncated or padded"),
        (b"\x00\x00\x08\x03\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x10", "at most"),
        (b"\x1f\x8b\x08\x00garbage", "not a valid gzip"),
    ],
)
def test_bad_idx_files_give_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(MnistError, match=message) as info:
        read_idx(path)
    assert "\n" not in str(info.value)


def test_corrupt_or_missing_files_are_named(tmp_path):
    for name in ("train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(SHIPPED / name, tmp_path / name)
    with pytest.raises(MnistError, match="train-images-idx3-ubyte.gz .*missing"):
        load_mnist("train", str(tmp_path))
    data = bytearray((SHIPPED / "train-images-idx3-ubyte.gz").read_bytes())
    data[1000] ^= 0xFF  # one flipped byte
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(bytes(data))
    with pytest.raises(MnistError, match="corrupt"):
        load_mnist("train", str(tmp_path))
    with pytest.raises(MnistError, match="does not exist"):
        load_mnist("train", str(tmp_path / "nowhere"))


def test_a_raw_idx_directory_works_too(tmp_path):
    for stem in ("train", "t10k"):
        for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
            raw = gzip.decompress((SHIPPED / f"{stem}-{kind}.gz").read_bytes())
            (tmp_path / f"{stem}-{kind}").write_bytes(raw)
    images, labels = load_mnist("test", str(tmp_path))
    np.testing.assert_array_equal(images, load_mnist("test")[0])


@pytest.mark.parametrize("model", ["paper", "tutorial", "dcgan", "mlp"])
def test_each_mnist_model_takes_a_training_step(model):
    cfg = Config(p_data="mnist", model=model, latent_dim=16, batch_size=16, hidden=32)
    trainer = Trainer(cfg)
    before = [p.detach().clone() for p in trainer.G.parameters()]
    assert trainer.advance(1)
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.G.parameters()))
    with trainer.evaluating(), torch.no_grad():
        x = trainer.G_eval(trainer.fixed_z[:5])
        logits = trainer.D(x)
    assert x.shape == (5, 784) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert logits.shape == (5, 1)
    assert trainer.G.training and trainer.D.training  # evaluating() restores training mode


def test_dropout_masks_come_from_the_runs_own_generator():
    """mnist-paper's D drops units with masks drawn from the trainer's generator: the same seed
    gives the same run whatever else draws random numbers meanwhile, and a run saved and
    resumed goes on exactly as an unbroken one."""
    cfg = Config(p_data="mnist", model="paper", latent_dim=16, batch_size=16, device="cpu")

    def weights(t: Trainer) -> torch.Tensor:
        return torch.cat([p.detach().flatten() for p in (*t.G.parameters(), *t.D.parameters())])

    a = Trainer(cfg)
    assert a.advance(4)
    torch.rand(12_345)  # another user of the global generator (another session, say)
    b = Trainer(cfg)
    assert b.advance(2)
    resumed = Trainer(cfg)
    resumed.load_state_dict(b.state_dict())
    torch.rand(678)
    assert b.advance(2) and resumed.advance(2)
    assert torch.equal(weights(a), weights(b)) and torch.equal(weights(a), weights(resumed))
    x, state = torch.rand(8, 784), a.rng.get_state()  # D's output in training mode: the masks
    first = a.D(x)
    a.rng.set_state(state)
    assert torch.equal(a.D(x), first) and not torch.equal(a.D(x), first)


def test_the_weight_average_of_a_batchnorm_generator_draws_with_gs_statistics():
    """With EMA on, the averaged G takes G's BatchNorm running statistics (not its start's)."""
    trainer = Trainer(Config(p_data="mnist", model="tutorial", latent_dim=16, batch_size=16, ema=0.999))
    assert trainer.advance(3)
    norms = [m for m in trainer.G_ema.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert norms and all(float(m.running_var.sub(1).abs().max()) > 1e-3 for m in norms)  # moved off 1
    for ema, live in zip(trainer.G_ema.buffers(), trainer.G.buffers(), strict=True):
        assert torch.equal(ema.cpu(), live.cpu())


def test_the_papers_model_has_the_papers_shapes():
    trainer = Trainer(Config(p_data="mnist", model="paper", latent_dim=100))
    linears = [m for m in trainer.G.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(100, 1200), (1200, 1200), (1200, 784)]
    d_sizes = [p.shape for p in trainer.D.parameters() if p.ndim == 2]
    assert d_sizes == [(1200, 784), (1200, 240), (1, 240)]  # maxout: 240 units x 5 pieces, twice
    assert any(isinstance(m, torch.nn.Dropout) for m in trainer.D.modules())
    mean = load_mnist("train")[0][:50_000].reshape(-1, 784).mean(0) / 255
    start = torch.sigmoid(linears[-1].bias).detach().cpu().numpy()
    np.testing.assert_allclose(start, np.clip(mean, 1e-3, 1 - 1e-3), atol=1e-5)  # G starts at the mean image


def test_mnist_models_need_mnist():
    with pytest.raises(ConfigError, match="MNIST network"):
        Config(p_data="ring8", model="paper")
    with pytest.raises(ConfigError, match="pack"):
        Config(p_data="mnist", model="dcgan", pack=2)


def test_mnist_snapshot_has_fixed_and_fresh_grids():
    trainer = Trainer(Config(p_data="mnist", model="mlp", latent_dim=8, batch_size=16, hidden=32))
    trainer.advance(1)
    a, b = take_snapshot(trainer), take_snapshot(trainer)
    assert isinstance(a, SnapshotMnist) and a.fixed.shape == (GRID_SIDE**2, 28, 28)
    np.testing.assert_array_equal(a.fixed, b.fixed)  # fixed z: the same picture twice
    trainer.advance(1)
    assert not np.array_equal(take_snapshot(trainer).fresh, a.fresh)  # fresh z each update
    assert 0 < a.metrics["mean_d_real"] < 1 and 0 < a.metrics["mean_d_fake"] < 1


def test_cli_trains_and_samples_mnist_images(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--preset", "mnist-mlp", "--steps", "3", "--log-every", "1", "--out", str(run)]
    assert main(args) == 0
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3
    out = tmp_path / "s.npy"
    assert main(["sample", "--run", str(run), "--n", "7", "--out", str(out)]) == 0
    samples = np.load(out)
    assert samples.shape == (7, 28, 28) and samples.min() >= 0 and samples.max() <= 1


def test_cli_names_a_bad_mnist_dir(tmp_path, capsys):
    code = main(
        [
            "train",
            "--preset",
            "mnist-mlp",
            "--steps",
            "1",
            "--mnist-dir",
            str(tmp_path),
            "--out",
            str(tmp_path / "r"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "missing" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def test_parzen_window_matches_its_formula():
    d, sigma = 5, 0.3
    x = torch.tensor([[0.1, -0.2, 0.0, 0.5, 0.3], [1.0, 1.0, 1.0, 1.0, 1.0]], dtype=torch.float64)
    one = torch.zeros(1, d, dtype=torch.float64)
    got = parzen_log_likelihood(x, one, [sigma])[0]
    want = -(x**2).sum(1).numpy() / (2 * sigma**2) - d * np.log(sigma * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    two = torch.stack([torch.zeros(d), torch.ones(d)])  # log of the mean of the two kernels
    k = np.exp(-np.array([[(r**2).sum(), ((r - 1) ** 2).sum()] for r in x.numpy()]) / (2 * sigma**2))
    np.testing.assert_allclose(
        parzen_log_likelihood(x, two, [sigma])[0], np.log(k.mean(1)) - d * np.log(sigma * np.sqrt(2 * np.pi))
    )


def test_parzen_picks_the_best_sigma_on_validation_data():
    rng = np.random.default_rng(0)
    centres, val, test = (torch.from_numpy(rng.normal(size=(n, 3))) for n in (400, 200, 300))
    result = parzen_evaluate(centres, val, test)
    brute = [parzen_log_likelihood(val, centres, [s])[0].mean() for s in SIGMAS]
    assert result.sigma == SIGMAS[int(np.argmax(brute))]
    scores = parzen_log_likelihood(test, centres, [result.sigma])[0]
    assert result.mean == pytest.approx(scores.mean()) and result.stderr == pytest.approx(
        scores.std() / np.sqrt(300)
    )


def test_parzen_protocol_gives_the_reference_ceiling_for_real_images(capsys):
    """10,000 real training images score 241.2 ± 2.1 nats under the released protocol (PAPER.md)."""
    assert main(["eval", "parzen", "--real", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["parzen_nats"] == pytest.approx(241.2, abs=0.1) and result["stderr"] == pytest.approx(
        2.1, abs=0.05
    )


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20_000, 3))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    shifted = a + np.array([3.0, 0.0, 4.0])
    assert frechet_distance(a, shifted) == pytest.approx(25.0, rel=1e-6)  # |μ|², same covariance
    scaled = a * 2  # Σ = 4 I against I: tr(I + 4 I - 2 · 2 I) = 1 per dimension
    assert frechet_distance(a, scaled) == pytest.approx(3.0, rel=0.05)


def test_shipped_judge_reads_real_digits_right(capsys):
    judge = load_judge()
    images, labels = load_mnist("test")
    result = judge_samples(judge, images[:2000])
    true_share = np.bincount(labels[:2000], minlength=10) / 2000
    np.testing.assert_allclose(result["class_share"], true_share, atol=0.01)
    assert result["mean_confidence"] > 0.95 and result["kl_to_uniform"] < 0.01
    assert result["frechet"] < 10  # 2,000 test images against all 10,000 (small-sample bias ~5)
    noise = np.random.default_rng(0).random((2000, 28, 28))
    assert judge_samples(judge, noise)["frechet"] > 10 * result["frechet"]


def test_untrusted_judge_files_are_refused(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("ran code",))

    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps(Evil(), protocol=2))  # torch.load's own protocol
    with pytest.raises(JudgeError, match="not a ganlab MNIST judge"):
        load_judge(bad)
    (tmp_path / "short.pt").write_bytes(JUDGE_PATH.read_bytes()[:1000])
    with pytest.raises(JudgeError):
        load_judge(tmp_path / "short.pt")
    with pytest.raises(JudgeError, match="ganlab judge --out"):
        load_judge(tmp_path / "missing.pt")


def test_cli_judges_digits(tmp_path, capsys):
    assert main(["eval", "digits", "--real", "--n", "1000", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert min(result["class_share"]) > 0.05 and result["mean_confidence"] > 0.95


def test_figures_2_and_3_from_a_run(tmp_path, capsys):
    from PIL import Image

    run = tmp_path / "run"
    assert main(["train", "--preset", "mnist-mlp", "--steps", "2", "--out", str(run)]) == 0
    assert main(["figures", "--run", str(run), "--out", str(tmp_path / "figs")]) == 0
    fig2, fig3 = (Image.open(tmp_path / "figs" / f"figure{i}.png") for i in (2, 3))
    assert fig2.size == (3 * (7 * 30 + 2), 3 * (4 * 30 + 2))  # 4 rows of 6 samples + their neighbour
    assert fig3.size == (3 * (10 * 30 + 2), 3 * (5 * 30 + 2))  # 5 walks of 10 steps
    toy = tmp_path / "toy"
    assert main(["train", "--preset", "ring8", "--steps", "1", "--out", str(toy)]) == 0
    assert main(["figures", "--run", str(toy), "--out", str(tmp_path / "x")]) == 2


def test_a_run_exported_as_zip_and_a_kept_state_are_evaluated_too(tmp_path, capsys):
    """`ganlab eval` prints its result for a .zip or .pt run (it wrote into the zip's path and
    failed after the work, before)."""
    from ganlab.runs.load import load_trainer
    from ganlab.runs.runzip import export_run

    run = tmp_path / "run"
    args = ["train", "--preset", "mnist-mlp", "--steps", "2", "--keep-every", "1", "--out", str(run)]
    assert main(args) == 0
    zipped = tmp_path / "run.zip"
    zipped.write_bytes(export_run(load_trainer(run), [], {}))
    capsys.readouterr()
    for source in (zipped, run / "kept" / "iteration-0000001.pt"):
        assert main(["eval", "digits", "--run", str(source), "--n", "100", "--json"]) == 0
        assert sum(json.loads(capsys.readouterr().out)["class_share"]) == pytest.approx(1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run.zip"]


def test_z_walk_runs_from_one_end_to_the_other():
    trainer = Trainer(Config(p_data="mnist", model="mlp", latent_dim=8, hidden=32))
    z0, z1 = torch.zeros(8), torch.ones(8)
    walk = z_walk(trainer, z0, z1, steps=5)
    with trainer.evaluating(), torch.no_grad():
        ends = trainer.G_eval(torch.stack([z0, z1]).to(trainer.device)).cpu().numpy().reshape(2, 28, 28)
    np.testing.assert_allclose(walk[[0, -1]], ends, atol=1e-6)


def test_nearest_training_finds_a_training_image_itself():
    train = load_mnist("train")[0][:TRAIN_END]
    picks = [3, 4_000, 49_999]
    assert nearest_training(train[picks] / 255.0).tolist() == picks
