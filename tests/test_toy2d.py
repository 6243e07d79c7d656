"""The plane: distributions, mode metrics, the 2D JSD estimate, the gradient field, CSV data."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ganlab.config import Config
from ganlab.data import DISTRIBUTIONS_2D, get_distribution
from ganlab.data.points import PointsError, read_points_csv
from ganlab.measure.modes import mode_metrics
from ganlab.measure.theory import jsd_monte_carlo, knn_density
from ganlab.snapshot.toy2d import gradient_field, take_snapshot_2d
from ganlab.train import Trainer

CPU = torch.device("cpu")


def draw(dist, n, seed=0):
    return dist.sample(n, torch.Generator().manual_seed(seed), CPU).double().numpy()


@pytest.mark.parametrize("name", list(DISTRIBUTIONS_2D))
def test_sampling_matches_the_pdf(name):
    """Sample shares in 8 x 8 boxes against the pdf integrated over each box (a fine grid)."""
    dist = DISTRIBUTIONS_2D[name]
    x0, x1, y0, y1 = dist.box()
    step = min(dist.stds.min() / 3, (x1 - x0) / 1200)
    gx, gy = np.arange(x0, x1, step) + step / 2, np.arange(y0, y1, step) + step / 2
    xx, yy = np.meshgrid(gx, gy)
    mass = dist.pdf(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape) * step * step
    assert mass.sum() == pytest.approx(1.0, abs=2e-3)  # the pdf integrates to 1
    edges_x, edges_y = np.linspace(x0, x1, 9), np.linspace(y0, y1, 9)
    expected, _, _ = np.histogram2d(yy.ravel(), xx.ravel(), bins=[edges_y, edges_x], weights=mass.ravel())
    s = draw(dist, 100_000)
    observed, _, _ = np.histogram2d(s[:, 1], s[:, 0], bins=[edges_y, edges_x])
    assert 0.5 * np.abs(observed / len(s) - expected).sum() < 0.01  # total variation


def test_the_benchmarks_are_the_published_ones():
    ring, grid = DISTRIBUTIONS_2D["ring8"], DISTRIBUTIONS_2D["grid25"]
    angles = np.sort(np.mod(np.arctan2(ring.means[:, 1], ring.means[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(ring.means, axis=1), 1.0)
    assert set(ring.stds) == {0.01} and set(grid.stds) == {0.05}
    assert sorted(map(tuple, grid.means)) == [(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)]


@pytest.mark.parametrize(
    "samples, covered, quality",
    [
        ([[1.0, 0.0]] * 10, 1, 1.0),  # all on one mode: collapse
        ([[math.cos(a), math.sin(a)] for a in 2 * np.pi * np.arange(8) / 8], 8, 1.0),
        ([[1.029, 0.0], [1.031, 0.0]], 1, 0.5),  # 3 std = 0.03 is the edge of high quality
        ([[0.0, 0.0]] * 4, 0, 0.0),  # the centre: nearest to some mode, but 100 std away
    ],
)
def test_mode_metrics_on_hand_made_samples(samples, covered, quality):
    ring = DISTRIBUTIONS_2D["ring8"]
    report = mode_metrics(np.array(samples), ring.means, ring.stds)
    assert report.modes_covered == covered and report.high_quality == pytest.approx(quality)
    assert report.modes_total == 8


def test_mode_kl_is_zero_when_spread_evenly_and_log_k_when_collapsed():
    ring = DISTRIBUTIONS_2D["ring8"]
    even = mode_metrics(np.repeat(ring.means, 5, axis=0), ring.means, ring.stds)
    one = mode_metrics(np.repeat(ring.means[:1], 40, axis=0), ring.means, ring.stds)
    assert even.kl_modes == pytest.approx(0.0) and one.kl_modes == pytest.approx(math.log(8))


@pytest.mark.parametrize("name", ["ring8", "grid25", "moons"])
def test_jsd_reads_zero_when_p_g_is_p_data(name):
    """GAN Lab's grid estimate floors near 0.31 bits here; ours reads about 0."""
    dist = DISTRIBUTIONS_2D[name]
    real, fake = draw(dist, 2500, seed=1), draw(dist, 4096, seed=2)
    j = jsd_monte_carlo(
        dist.pdf(real), knn_density(fake, real), dist.pdf(fake), knn_density(fake, fake, exclude_self=True)
    )
    assert j < 0.015


def test_jsd_estimate_tracks_a_known_value():
    """Every ring8 sample shifted by 1 std: the JSD is that of two unit Gaussians 1 apart."""
    dist = DISTRIBUTIONS_2D["ring8"]
    real, fake = draw(dist, 2500, seed=1), draw(dist, 4096, seed=2) + [0.01, 0.0]
    x = np.linspace(-10, 11, 200_001)
    p, q = stats.norm.pdf(x), stats.norm.pdf(x, 1.0)
    truth = jensenshannon(p, q) ** 2  # scipy's distance is sqrt(JSD) in nats
    j = jsd_monte_carlo(
        dist.pdf(real), knn_density(fake, real), dist.pdf(fake), knn_density(fake, fake, exclude_self=True)
    )
    assert j == pytest.approx(truth, abs=0.015)


def test_gradient_field_points_along_a_linear_discriminator():
    """D's logit = a·x + b: -∇ of -log D(x) is (1 - D(x)) a; of log(1 - D(x)) it is D(x) a."""
    trainer = Trainer(Config(p_data="ring8", hidden=8, depth=1))
    a, b = torch.tensor([0.6, -0.8]), 0.3
    trainer.D = torch.nn.Linear(2, 1)
    with torch.no_grad():
        trainer.D.weight.copy_(a[None]), trainer.D.bias.fill_(b)
    x = torch.tensor([[0.0, 0.0], [1.0, 2.0], [-3.0, 0.5]])
    d = torch.sigmoid(x @ a + b)[:, None]
    torch.testing.assert_close(gradient_field(trainer, x), (1 - d) * a)
    trainer.cfg = trainer.cfg.replace(g_loss="minimax")
    torch.testing.assert_close(gradient_field(trainer, x), d * a)


def test_snapshot_2d_has_every_view_and_the_mode_metrics():
    trainer = Trainer(Config(p_data="ring8", latent_dim=2, hidden=32))
    trainer.advance(20)
    snap = take_snapshot_2d(trainer)
    n = len(snap.gx)
    assert snap.d.shape == snap.p_data.shape == snap.p_g.shape == snap.d_star.shape == (n, n)
    assert snap.manifold_kind == "mesh" and snap.manifold.shape[2] == 2
    assert snap.arrows.shape == snap.arrows_at.shape
    assert {"jsd", "v", "c_g", "modes_covered", "high_quality", "kl_modes"} <= set(snap.metrics)
    assert snap.metrics["c_g"] == pytest.approx(-math.log(4) + 2 * snap.metrics["jsd"])
    cell = snap.gx[1] - snap.gx[0]
    assert snap.p_g.sum() * cell * cell == pytest.approx(1.0, abs=0.05)  # a density
    for latent, kind in ((1, "curve"), (5, "slice")):
        trainer.apply(trainer.cfg.replace(latent_dim=latent))
        assert take_snapshot_2d(trainer).manifold_kind == kind


def test_snapshot_2d_without_metrics_draws_the_same_picture():
    trainer = Trainer(Config(p_data="ring8", latent_dim=2, hidden=32))
    trainer.advance(20)
    full, light = take_snapshot_2d(trainer), take_snapshot_2d(trainer, metrics=False)
    assert set(light.metrics) == {"loss_d", "loss_g", "mean_grad_norm"}
    for grid in ("d", "p_g", "fake", "arrows", "manifold"):
        np.testing.assert_array_equal(getattr(light, grid), getattr(full, grid))


def test_packing_feeds_d_packs_and_still_trains():
    trainer = Trainer(Config(p_data="ring8", pack=4, hidden=16))
    assert trainer.D.net[0].in_features == 8
    assert trainer.advance(3)
    assert take_snapshot_2d(trainer).metrics["modes_total"] == 8


def test_ema_generator_is_what_the_pictures_show():
    trainer = Trainer(Config(p_data="ring8", ema=0.9, hidden=16))
    trainer.advance(5)
    assert trainer.G_eval is trainer.G_ema
    w, w_ema = trainer.G.net[0].weight, trainer.G_ema.net[0].weight
    assert not torch.equal(w, w_ema)


def test_ema_warms_up_so_the_average_follows_g_at_the_start():
    trainer = Trainer(Config(p_data="ring8", ema=0.999, hidden=16))
    w0 = trainer.G.net[0].weight.detach().clone()
    trainer.step()
    w1 = trainer.G.net[0].weight.detach()
    # first update: beta = (1 + 0) / (10 + 0) = 0.1, not 0.999
    torch.testing.assert_close(trainer.G_ema.net[0].weight, w0 + 0.9 * (w1 - w0))
    trainer.ema_updates = 100_000
    assert trainer.ema_beta() == 0.999


def test_instance_noise_blurs_d_inputs_and_fades_out():
    trainer = Trainer(Config(p_data="ring8", hidden=16, instance_noise=0.5, instance_noise_steps=10))
    blurred = trainer._blur(torch.zeros(20_000, 2, device=trainer.device))
    assert abs(float(blurred.std()) - 0.5) < 0.01
    assert trainer.advance(5) and trainer.instance_sigma() == 0.25
    assert trainer.advance(5) and trainer.instance_sigma() == 0.0
    zeros = torch.zeros(3, 2, device=trainer.device)
    assert torch.equal(trainer._blur(zeros), zeros)
    change = trainer.apply(trainer.cfg.replace(instance_noise=0.1))
    assert change.kind == "live" and str(change).startswith("applied live")


def test_r1_penalty_flattens_d_at_the_real_data():
    def slope_at_real(r1: float) -> float:
        trainer = Trainer(Config(p_data="ring8", hidden=32, lr_d=1e-2, r1=r1))
        assert trainer.advance(100, "d")  # D alone against a fixed G
        x = trainer.fixed_x[:1000].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(trainer.d_logit(x).sum(), x)
        return float(grad.norm(dim=1).mean())

    plain, penalised = slope_at_real(0.0), slope_at_real(10.0)
    assert penalised < 0.5 * plain, (plain, penalised)


def test_switching_between_1d_and_2d_rebuilds():
    trainer = Trainer(Config())
    trainer.advance(2)
    change = trainer.apply(trainer.cfg.replace(p_data="grid25"))
    assert change.rebuilt and str(change).startswith("rebuilt") and trainer.g_updates == 0
    assert trainer.G.net[-1].out_features == 2
    change = trainer.apply(trainer.cfg.replace(p_data="ring8"))
    assert change.kind == "live" and str(change).startswith("applied live")


def test_custom_points_are_a_distribution():
    points = ((0.0, 0.0), (1.0, 1.0), (2.0, 0.0))
    dist = get_distribution("custom", points)
    assert dist.sample(10, torch.Generator(), CPU).shape == (10, 2)
    trainer = Trainer(Config(p_data="custom", points=points, hidden=16))
    assert trainer.advance(2)


@pytest.mark.parametrize(
    "text, fragment",
    [
        (b"", "empty"),
        (b"x,y\n1,2,3\n", "3 columns"),
        (b"1,2\nfoo,bar\n", "not two numbers"),
        (b"1,2\nnan,3\n", "NaN"),
        (b"1,1e9\n2,2\n", "within"),
        (b"x,y\n1,2\n", "at least 2"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (("0,0\n" * 5001).encode(), "more than 5000"),
    ],
)
def test_bad_csv_gives_one_clear_line(text, fragment):
    with pytest.raises(PointsError) as err:
        read_points_csv(text)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_csv_with_header_and_blank_lines():
    assert read_points_csv(b"x,y\n\n0.5, 1\n-2,3e-1\n").tolist() == [[0.5, 1.0], [-2.0, 0.3]]


def _run(name: str, iterations: int, every: int = 50) -> tuple[Trainer, list[dict]]:
    from ganlab.presets import get_preset

    trainer, logs = Trainer(get_preset(name).config), []
    for _ in range(iterations // every):
        trainer.advance(every)
        logs.append(take_snapshot_2d(trainer).metrics)
    return trainer, logs


def test_saturating_preset_starves_the_minimax_gradient():
    """Section 3 of the paper: once D rejects the fakes, log(1 - D(G(z))) gives G almost no
    gradient, while -log D(G(z)) at the same point still does."""
    trainer, logs = _run("ring8-saturating", 300, every=300)
    assert logs[-1]["mean_d_fake"] < 0.1
    fake = trainer.G_eval(trainer.fixed_z[:512]).detach()
    minimax = gradient_field(trainer, fake).norm(dim=1).mean()
    trainer.cfg = trainer.cfg.replace(g_loss="non-saturating")
    non_saturating = gradient_field(trainer, fake).norm(dim=1).mean()
    assert minimax < 0.2 * non_saturating


def test_strong_d_preset_wins_the_game():
    _, logs = _run("ring8-strong-d", 300)
    assert np.median([m["mean_d_real"] - m["mean_d_fake"] for m in logs]) > 0.6
    assert np.median([m["jsd"] for m in logs]) > 0.5  # G stays far from p_data
    assert np.median([m["v"] for m in logs]) > -0.8  # V well above C(G*) = -log 4: D is winning


def test_every_preset_is_valid_and_trains():
    from ganlab.presets import PRESETS

    for preset in PRESETS.values():
        trainer = Trainer(preset.config)
        assert trainer.advance(2), preset.name
        assert preset.about and preset.steps > 0
