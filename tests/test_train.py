import math

import pytest
import torch

from ganlab.config import Config
from ganlab.snapshot import take_snapshot
from ganlab.train import Trainer


@pytest.mark.parametrize("k", [1, 3, 7])
def test_one_step_is_k_d_updates_and_one_g_update(k):
    t = Trainer(Config(k=k, batch_size=32))
    d_before = [p.clone() for p in t.D.parameters()]
    t.step()
    assert (t.d_updates, t.g_updates) == (k, 1)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, t.D.parameters()))


def test_d_step_leaves_g_alone_and_g_step_leaves_d_alone():
    t = Trainer(Config(batch_size=32))
    g0 = [p.clone() for p in t.G.parameters()]
    t.d_step()
    assert all(torch.equal(a, b) for a, b in zip(g0, t.G.parameters()))
    d0 = [p.clone() for p in t.D.parameters()]
    t.g_step()
    assert all(torch.equal(a, b) for a, b in zip(d0, t.D.parameters()))
    assert all(p.requires_grad for p in t.D.parameters())  # D is trainable again


def test_seeded_runs_are_identical_and_seeds_differ():
    runs = []
    for seed in (5, 5, 6):
        t = Trainer(Config(seed=seed, batch_size=64))
        t.advance(20)
        runs.append(torch.cat([p.flatten() for p in t.G.parameters()]))
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_learning_rate_and_k_change_live_without_losing_the_model():
    t = Trainer(Config(batch_size=32))
    t.advance(5)
    weights = [p.clone() for p in t.G.parameters()]
    change = t.apply(t.cfg.replace(lr_d=0.05, lr_g=1e-4, k=4))
    assert change.kind == "live" and str(change).startswith("applied live")
    assert all(torch.equal(a, b) for a, b in zip(weights, t.G.parameters()))
    # (floats on the CPU; 0-dim tensors on CUDA, where a graph reads them)
    assert float(t.opt_d.param_groups[0]["lr"]) == pytest.approx(0.05)
    assert float(t.opt_g.param_groups[0]["lr"]) == pytest.approx(1e-4)
    t.step()
    assert (t.d_updates, t.g_updates) == (5 + 4, 6)


def test_architecture_change_rebuilds_and_says_so():
    t = Trainer(Config(batch_size=32))
    t.advance(3)
    change = t.apply(t.cfg.replace(latent_dim=4))
    assert change.rebuilt and str(change).startswith("rebuilt") and "latent_dim" in str(change)
    assert t.G.net[0].in_features == 4 and t.g_updates == 0


def test_divergence_stops_and_keeps_the_last_good_state():
    t = Trainer(Config(batch_size=32, optimizer="sgd", momentum=0.9))
    t.advance(10)
    good = {k: v.clone() for k, v in t.G.state_dict().items()}
    t.apply(t.cfg.replace(lr_d=10.0, lr_g=10.0))
    assert t.advance(200) is False
    assert "diverged" in t.diverged
    assert t.g_updates == 10
    assert all(torch.equal(good[k], v) for k, v in t.G.state_dict().items())
    assert t.is_finite()


def test_injected_nan_is_caught():
    t = Trainer(Config(batch_size=32))
    t.advance(2)
    with torch.no_grad():
        t.D.net[0].weight[0, 0] = math.nan
    assert not t.is_finite()


def test_snapshot_theory_holds():
    t = Trainer(Config(batch_size=64))
    t.advance(50)
    s = take_snapshot(t)
    assert s.p_g_method == "exact" and s.samples.shape == (4096,)
    assert sum((s.p_g[1:] + s.p_g[:-1]) / 2 * (s.x[1] - s.x[0])) == pytest.approx(1.0, abs=0.02)
    m = s.metrics
    assert m["c_g"] == pytest.approx(-math.log(4) + 2 * m["jsd"])
    assert m["v"] <= m["c_g"] + 1e-3  # Proposition 1: no D beats D*
    assert 0 <= m["jsd"] <= math.log(2)


def test_snapshot_uses_kde_for_higher_latent_dims():
    t = Trainer(Config(latent_dim=3, batch_size=64))
    s = take_snapshot(t)
    assert s.p_g_method == "kde" and s.z.size == 0
