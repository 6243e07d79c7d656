"""The CUDA path: a captured iteration against eager steps, live changes, rollback, checkpoints
across devices, and the bench. Skipped without a CUDA GPU; the device-free parts of the
fast path are tested at the end on any machine."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from ganlab.bench import run_bench
from ganlab.config import ToyConfig
from ganlab.cudagraph import GRAPHS_ENV, graph_blocker
from ganlab.presets import get_preset
from ganlab.train import Trainer

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _weights(t: Trainer) -> torch.Tensor:
    return torch.cat([p.detach().flatten().float().cpu() for p in (*t.G.parameters(), *t.D.parameters())])


def _graphed(t: Trainer) -> bool:
    return t._graph is not None and t._graph.key == t.graph_key()


@cuda
@pytest.mark.parametrize("preset", ["paper-1d", "ring8", "mnist-mlp", "mnist-paper"])
def test_graph_replays_match_eager_steps(preset, monkeypatch):
    """Replays of the captured iteration land where eager steps from the same seed land."""
    cfg = get_preset(preset).config.replace(device="cuda")
    graphed = Trainer(cfg)
    torch.cuda.manual_seed(7)  # dropout (mnist-paper's D) draws from CUDA's default generator
    assert graphed.advance(12)
    assert _graphed(graphed), graphed.fast_path
    assert graphed.fast_path == "CUDA graph"
    assert (graphed.d_updates, graphed.g_updates) == (12 * cfg.k, 12)
    if cfg.ema:
        assert graphed.ema_updates == 12
    monkeypatch.setenv(GRAPHS_ENV, "0")
    eager = Trainer(cfg)
    torch.cuda.manual_seed(7)
    assert eager.advance(12)
    assert eager._graph is None and eager.fast_path == f"eager ({GRAPHS_ENV}=0)"
    a, b = _weights(graphed), _weights(eager)
    assert torch.isfinite(a).all()
    # Mean absolute changes: the same minibatches give a difference of rounding alone (exactly 0
    # when both pick the same kernels); other minibatches, one about as large as training's moves.
    moved = (b - _weights(Trainer(cfg))).abs().mean().item()
    diff = (a - b).abs().mean().item()
    assert moved > 0 and diff < 0.05 * moved, f"graph and eager differ by {diff}; training moved {moved}"
    assert math.isfinite(float(graphed.loss_d)) and math.isfinite(float(graphed.loss_g))


@cuda
def test_live_changes_reuse_or_recapture_once():
    t = Trainer(ToyConfig(device="cuda", decay_steps=1000))
    assert t.advance(8) and _graphed(t)
    graph = t._graph
    lr_before = float(t.opt_d.param_groups[0]["lr"])
    assert t.advance(8) and t._graph is graph  # no recapture from frame to frame
    assert float(t.opt_d.param_groups[0]["lr"]) < lr_before  # decay goes on inside the graph's lr tensors
    t.apply(t.cfg.replace(lr_d=1e-4))  # Adam's lr is a device tensor: the same graph
    assert t.advance(8) and t._graph is graph
    assert float(t.opt_d.param_groups[0]["lr"]) == pytest.approx(1e-4 * t.lr_factor(), rel=1e-4)
    t.apply(t.cfg.replace(k=3))  # a different iteration: captured once
    assert t.advance(8) and t._graph is not graph and _graphed(t)
    second = t._graph
    assert t.advance(8) and t._graph is second
    assert t.g_updates == 40 and t.d_updates == 3 * 8 + 2 * 8 * 3


@cuda
def test_rollback_inside_graph_keeps_last_good_state():
    t = Trainer(ToyConfig(device="cuda"))
    assert t.advance(8) and _graphed(t)
    before, counts = _weights(t), (t.d_updates, t.g_updates)
    lr = t.opt_d.param_groups[0]["lr"]
    lr.fill_(math.nan)  # the next replay writes NaN into D's weights
    assert not t.advance(5)
    assert "diverged" in t.diverged
    assert torch.equal(_weights(t), before) and (t.d_updates, t.g_updates) == counts
    lr.fill_(t.cfg.lr_d)
    assert t.advance(5) and _graphed(t)
    assert torch.isfinite(_weights(t)).all() and not torch.equal(_weights(t), before)


@cuda
@pytest.mark.parametrize("preset", ["paper-1d", "mnist-paper"])
def test_state_moves_between_cpu_and_cuda(preset):
    cfg = get_preset(preset).config
    gpu = Trainer(cfg.replace(device="cuda"))
    assert gpu.advance(6)
    cpu = Trainer(cfg.replace(device="cpu"))
    cpu.load_state_dict(gpu.state_dict())
    assert torch.equal(_weights(cpu), _weights(gpu))
    assert cpu.advance(2) and cpu.g_updates == 8
    back = Trainer(cfg.replace(device="cuda"))
    back.load_state_dict(cpu.state_dict())
    assert back.advance(8) and _graphed(back) and back.g_updates == 16
    assert torch.isfinite(_weights(back)).all()


@cuda
def test_bench_on_cuda_reports_the_graph():
    report = run_bench(device="cuda", seconds=0.5, presets=["paper-1d"])
    row = report["results"][0]
    assert report["device"] != "cpu"
    assert row["fast_path"] == "CUDA graph"
    assert row["trainer_steps_per_s"] > 0 and row["textbook_steps_per_s"] > 0
    assert row["peak_mib"] > 0


@cuda
def test_failed_capture_falls_back_to_eager():
    """A capture that CUDA refuses (here: a host read inside it) leaves an eager run that goes on."""
    t = Trainer(ToyConfig(device="cuda"))
    real = t.iteration

    def with_host_read() -> None:
        real()
        float(t.loss_d)  # a synchronisation: not allowed while capturing

    t.iteration = with_host_read
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert t.advance(8)
    assert any("capture failed" in str(w.message) for w in caught)
    assert t._graph is None and t.fast_path.startswith("eager (the CUDA graph capture failed")
    assert t.g_updates == 8 and torch.isfinite(_weights(t)).all()
    t.apply(t.cfg.replace(k=2))  # new settings: another try, and no failure this time
    t.iteration = real
    assert t.advance(8) and _graphed(t)


# -- device-free parts ------------------------------------------------------------------------------
def test_graph_blocker_names_each_reason(monkeypatch):
    t = Trainer(ToyConfig(device="cpu"))
    assert t.fast_path == "eager (not on CUDA)"
    t.device = torch.device("cuda")  # the blocker reads only the device's kind and the settings
    assert graph_blocker(t) is None
    for change, words in [
        ({"r1": 1.0}, "R1"),
        ({"instance_noise": 0.1}, "instance noise"),
        ({"optimizer": "sgd", "decay_steps": 100}, "decaying"),
    ]:
        t.cfg = ToyConfig(device="cpu", **change)
        assert words in graph_blocker(t)
    t.cfg = ToyConfig(device="cpu", optimizer="sgd", decay_steps=100)
    t.g_updates = 100  # decayed to the floor: a fixed rate again
    assert graph_blocker(t) is None
    monkeypatch.setenv(GRAPHS_ENV, "0")
    assert graph_blocker(t) == f"{GRAPHS_ENV}=0"


def test_saved_optimiser_state_is_device_neutral():
    t = Trainer(get_preset("mnist-mlp").config.replace(device="cpu"))
    assert t.advance(1)
    for name in ("opt_d", "opt_g"):
        saved = t.state_dict()[name]
        assert all(isinstance(g["lr"], float) and not g.get("capturable") for g in saved["param_groups"])
        assert all(s["step"].device.type == "cpu" for s in saved["state"].values())
