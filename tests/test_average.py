"""`ganlab train --keep-every` and `ganlab average`: one generator from several saved states."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import torch

from ganlab import Config, Trainer
from ganlab.cli import main
from ganlab.runs.average import BN_BATCHES, AverageError, average_generators


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """A paper-1d run with EMA, 300 iterations, logged every 70, a state kept every 100; and
    beside it in other/ a run of another seed."""
    run = tmp_path_factory.mktemp("kept") / "run"
    args = ["train", "--steps", "300", "--log-every", "70", "--keep-every", "100", "--set", "ema=0.99"]
    assert main([*args, "--out", str(run)]) == 0
    other = ["train", "--steps", "100", "--set", "seed=1", "--set", "ema=0.99", "--out", str(run / "other")]
    assert main(other) == 0
    return run


def state(path) -> dict:
    return torch.load(path, weights_only=True)


def test_kept_states_fall_on_multiples_whatever_the_log_interval(kept):
    names = sorted(p.name for p in (kept / "kept").iterdir())
    assert names == ["iteration-0000100.pt", "iteration-0000200.pt", "iteration-0000300.pt"]
    assert [state(kept / "kept" / n)["g_updates"] for n in names] == [100, 200, 300]
    assert torch.equal(
        state(kept / "kept" / names[-1])["generator_ema"]["net.0.weight"],
        state(kept / "checkpoint.pt")["generator_ema"]["net.0.weight"],
    )


def test_metrics_lines_stay_on_multiples_of_the_log_interval(kept):
    lines = (kept / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["g_updates"] for line in lines] == [70, 140, 210, 280, 300]


def test_train_refuses_a_kept_folder_it_cannot_make(tmp_path, capsys):
    (tmp_path / "kept").write_text("a file where the folder goes")
    assert main(["train", "--steps", "20", "--keep-every", "10", "--out", str(tmp_path)]) == 2
    assert "cannot make that directory" in capsys.readouterr().err
    assert not (tmp_path / "checkpoint.pt").exists()


def test_average_is_the_mean_of_the_states_sampling_generators(kept, tmp_path):
    out = tmp_path / "avg"
    sources = [kept / "kept" / "iteration-0000100.pt", kept / "kept" / "iteration-0000200.pt", kept]
    assert main(["average", *map(str, sources), "--out", str(out)]) == 0
    states = [state(p) for p in (*sources[:2], kept / "checkpoint.pt")]
    averaged = state(out / "checkpoint.pt")
    assert averaged["g_updates"] == 300
    for key, value in averaged["generator_ema"].items():
        mean = torch.stack([s["generator_ema"][key] for s in states]).mean(0)
        assert torch.allclose(value, mean, atol=1e-7), key
        assert not torch.equal(value, states[-1]["generator_ema"][key])
    for key, value in averaged["generator"].items():  # training's own G is the latest state's
        assert torch.equal(value, states[-1]["generator"][key])
    record = json.loads((out / "average.json").read_text())
    assert [s["g_updates"] for s in record["states"]] == [100, 200, 300]
    assert (out / "metrics.jsonl").read_bytes() == (kept / "metrics.jsonl").read_bytes()
    assert main(["sample", "--run", str(out), "--n", "10", "--out", str(tmp_path / "s.npy")]) == 0


@pytest.mark.parametrize(
    "which, fragment",
    [
        (["kept/iteration-0000100.pt"], "at least two saved states"),
        (["kept/iteration-0000300.pt", "."], "both at iteration 300"),
        (["kept/iteration-0000100.pt", "other"], "not states of one model (they differ in seed)"),
        (["kept/iteration-0000100.pt", "again"], "are states of different runs"),
        (["kept/iteration-0000100.pt", "nowhere"], "nowhere is neither a directory"),
        (["kept/iteration-0000100.pt", "metrics.jsonl"], "metrics.jsonl is neither a directory"),
        (["kept/iteration-0000100.pt", ".", "--out", "."], "--out . already holds files"),
        (["kept/iteration-0000100.pt", ".", "--out", "kept"], "--out kept already holds files"),
        (["kept/iteration-0000100.pt", ".", "--out", "config.json/new"], "cannot make that directory"),
    ],
)
def test_states_that_cannot_be_averaged_are_one_line_exit_2(kept, again, tmp_path, which, fragment):
    """Refused in one line, before anything is written: no new folder, no half-written one, the
    sources as they were."""
    work = tmp_path / "work"
    shutil.copytree(kept, work)
    shutil.copytree(again, work / "again")
    before = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
    out = [] if "--out" in which else ["--out", "new"]
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", "average", *which, *out],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=120,
    )
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in work.rglob("*") if p.is_file()} == before


@pytest.fixture(scope="module")
def again(tmp_path_factory):
    """A second run with the first one's settings (another run: its own run id)."""
    run = tmp_path_factory.mktemp("again") / "run"
    assert main(["train", "--steps", "200", "--set", "ema=0.99", "--out", str(run)]) == 0
    return run


def test_an_average_without_ema_samples_but_does_not_train_on(tmp_path, capsys):
    """With no EMA the averaged generator is the training G: resuming it is refused."""
    run = tmp_path / "plain"
    assert main(["train", "--steps", "40", "--keep-every", "20", "--out", str(run)]) == 0
    out = tmp_path / "avg"
    assert main(["average", str(run / "kept" / "iteration-0000020.pt"), str(run), "--out", str(out)]) == 0
    assert main(["sample", "--run", str(out), "--n", "10", "--out", str(tmp_path / "s.npy")]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--steps", "60"]) == 2
    assert "is an average of saved states" in capsys.readouterr().err


def test_a_batchnorm_generators_statistics_are_measured_for_the_averaged_weights():
    cfg = Config(p_data="mnist", model="tutorial", latent_dim=16, batch_size=32, device="cpu")
    a = Trainer(cfg)
    assert a.advance(2)
    b = Trainer(cfg)
    b.load_state_dict(a.state_dict())
    assert b.advance(3)
    averaged = average_generators([a, b], ["a", "b"])
    assert averaged is b
    first = next(m for m in b.G.modules() if isinstance(m, torch.nn.BatchNorm1d))
    linear = next(m for m in b.G.modules() if isinstance(m, torch.nn.Linear))  # the layer before it
    rng = torch.Generator().manual_seed(0)
    with torch.no_grad():
        batches = [linear(b.noise(cfg.batch_size, rng)) for _ in range(BN_BATCHES)]
    assert torch.allclose(first.running_mean, torch.stack([h.mean(0) for h in batches]).mean(0), atol=1e-5)
    assert torch.allclose(first.running_var, torch.stack([h.var(0) for h in batches]).mean(0), rtol=1e-4)
    assert first.momentum == 0.1  # put back for training


def test_average_generators_refuses_a_single_state():
    with pytest.raises(AverageError, match="at least two"):
        average_generators([Trainer(Config(device="cpu"))], ["a"])


def test_a_run_keeps_its_id_through_a_resume_and_new_models_get_another(kept, tmp_path):
    resumed = tmp_path / "resumed"
    shutil.copytree(kept, resumed)
    assert main(["train", "--resume", str(resumed), "--steps", "400", "--keep-every", "100"]) == 0
    ids = {state(p)["run_id"] for p in (resumed / "kept").glob("*.pt")}
    assert len(ids) == 1 and state(resumed / "checkpoint.pt")["run_id"] in ids
    assert state(kept / "other" / "checkpoint.pt")["run_id"] not in ids
