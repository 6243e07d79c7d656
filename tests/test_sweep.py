"""ganlab sweep: the grid, one trial's stretches, the results table, and real Ray runs (a local
Ray, a Ctrl-C and the resume, a second head started with `ray start --head`, a map split in
batches over it)."""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from test_cli import run_cli

from ganlab.config import ConfigError
from ganlab.sweep.grid import SweepSpec, parse_grid
from ganlab.sweep.results import row_of, sort_rows, table, write_results
from ganlab.sweep.trial import train_stretch

ray = pytest.importorskip("ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def weights(run: Path) -> dict:
    return torch.load(run / "checkpoint.pt", weights_only=True)


def same_weights(a: dict, b: dict) -> bool:
    return all(torch.equal(a[n][k], b[n][k]) for n in ("generator", "discriminator") for k in a[n])


# -- the grid ------------------------------------------------------------------------------
def test_the_grid_makes_one_trial_per_combination_named_by_its_settings():
    spec = SweepSpec(
        grid=(parse_grid("lr_d=1e-3,1e-2"), parse_grid("g_loss=minimax,non-saturating")), seeds=2
    )
    trials = spec.trials()
    assert spec.size == len(trials) == 8
    assert trials[0].name == "0_lr_d=0.001_g_loss=minimax_seed=0"
    assert trials[3].settings == {"lr_d": 0.001, "g_loss": "non-saturating", "seed": 1}
    assert trials[7].config.lr_d == 0.01 and trials[7].config.seed == 1
    assert len({t.name for t in trials}) == 8
    assert SweepSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    longer = SweepSpec(grid=spec.grid, seeds=2, steps=5000)
    assert spec.same_trials(longer) and not spec.same_trials(SweepSpec(grid=spec.grid[:1], seeds=2))


@pytest.mark.parametrize(
    "grid, kwargs, fragment",
    [
        (["bogus=1,2"], {}, "unknown setting 'bogus'"),
        (["lr_d="], {}, "empty"),
        (["lr_d=1e-3,,1e-2"], {}, "empty item"),
        (["lr_d"], {}, "NAME=V1,V2"),
        (["=1,2"], {}, "NAME=V1,V2"),
        (["lr_d=fast"], {}, "lr_d must be a number"),
        (["lr_d=100"], {}, "lr_d"),
        (["k=1,1"], {}, "listed twice"),
        (["k=1", "k=2"], {}, "given twice"),
        ([], {}, "nothing to sweep"),
        (["seed=1,2"], {"seeds": 2}, "--seeds"),
        (["k=1,2"], {"parzen": True}, "--parzen"),
    ],
)
def test_bad_grids_are_one_line_errors(grid, kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        SweepSpec(grid=tuple(parse_grid(g) for g in grid), **kwargs)
    assert "\n" not in str(info.value)


# -- one trial, stretch by stretch -----------------------------------------------------------
def job(cfg, steps=200, seconds=1e9, files=None):
    return {
        "config": cfg.to_dict(),
        "steps": steps,
        "log_every": 50,
        "seconds": seconds,
        "files": files or {},
    }


def test_a_trial_in_stretches_is_the_trial_in_one_go(tmp_path):
    """Stretches that stop at every metrics line and hand the files on give the same run."""
    from ganlab.presets import get_preset

    cfg = get_preset("paper-1d").config
    whole = train_stretch(job(cfg))
    assert whole["status"] == "done" and whole["iterations"] == 200 and whole["metrics"]["jsd"] > 0
    files, stretches = {}, 0
    while True:
        part = train_stretch(job(cfg, seconds=0, files=files))
        files, stretches = part["files"], stretches + 1
        if part["status"] != "running":
            break
        assert part["metrics"] == {} and part["iterations"] == 50 * stretches
    assert stretches == 4 and part["status"] == "done"
    assert part["metrics"]["jsd"] == whole["metrics"]["jsd"]
    for name, result in (("whole", whole), ("stretched", part)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "checkpoint.pt").write_bytes(result["files"]["checkpoint.pt"])
    assert same_weights(weights(tmp_path / "whole"), weights(tmp_path / "stretched"))
    lines = part["files"]["metrics.jsonl"].decode().splitlines()
    assert [json.loads(line)["g_updates"] for line in lines] == [50, 100, 150, 200]


def test_a_diverging_trial_says_so_and_a_failing_one_says_why_in_one_line():
    from ganlab.presets import get_preset

    cfg = get_preset("paper-1d").config.replace(optimizer="sgd", lr_d=1.0, lr_g=1.0)
    result = train_stretch(job(cfg))
    assert result["status"] == "diverged" and "diverged" in result["error"]
    assert result["files"]["checkpoint.pt"] and result["iterations"] < 200  # the last good state
    broken = job(cfg)
    broken["config"]["p_data"] = "no-such-data"
    result = train_stretch(broken)
    assert result["status"] == "failed" and result["error"].startswith("ConfigError")
    assert "\n" not in result["error"]


# -- the table ------------------------------------------------------------------------------
def test_the_results_table_sorts_finished_trials_by_the_metric(tmp_path):
    rows = [
        row_of("0_a", {"lr_d": 0.1}, "done", 200, 1.0, {"jsd": 0.3}),
        row_of("1_b", {"lr_d": 0.2}, "diverged", 120, 0.5, {"jsd": float("nan")}, "training diverged"),
        row_of("2_c", {"lr_d": 0.3}, "done", 200, 2.0, {"jsd": 0.1}),
        row_of("3_d", {"lr_d": 0.4}, "pending"),
    ]
    assert [r["trial"] for r in sort_rows(rows, "jsd")] == ["2_c", "0_a", "1_b", "3_d"]
    assert rows[1]["jsd"] is None and rows[0]["its_per_s"] == 200.0
    write_results(tmp_path, rows)
    assert json.loads((tmp_path / "results.json").read_text()) == rows
    with open(tmp_path / "results.csv") as f:
        read = list(csv.DictReader(f))
    assert read[1]["status"] == "diverged" and read[1]["error"] == "training diverged"
    assert list(read[0])[:3] == ["trial", "lr_d", "status"]
    text = table(rows, "jsd", ["lr_d"])
    assert text.splitlines()[1].split()[:3] == ["0.3", "done", "0.1"]
    assert "1_b: training diverged" in text


# -- bad input on the command line ----------------------------------------------------------
@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--grid", "bogus=1,2"], "unknown setting 'bogus'"),
        (["--grid", "lr_d="], "empty"),
        (["--grid", "lr_d:1,2"], "NAME=V1,V2"),
        (
            [
                "--grid",
                "k=" + ",".join(map(str, range(1, 21))),
                "--grid",
                "lr_d=1e-3,2e-3,3e-3,4e-3,5e-3,6e-3",
                "--seeds",
                "100",
            ],
            "12,000 trials",
        ),
        (["--grid", "k=1,2", "--address", "127.0.0.1:1"], "nothing answers"),
        (["--grid", "k=1,2", "--address", "localhost"], "HOST:PORT"),
    ],
)
def test_bad_sweep_input_is_one_line_exit_2_and_writes_nothing(args, fragment, tmp_path):
    out = tmp_path / "sweep"
    start = time.perf_counter()
    result = run_cli("sweep", *args, "--out", str(out), timeout=60)
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert time.perf_counter() - start < 30
    assert not out.exists()


# -- on a real local Ray ----------------------------------------------------------------------
GRID = ["--set", "optimizer=sgd", "--grid", "lr_d=0.001,0.002,0.005,1", "--steps", "200"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "s"
    result = run_cli("sweep", *GRID, "--out", str(out))
    return out, result


def test_a_sweep_on_local_ray_writes_runs_results_and_a_report(swept):
    out, result = swept
    assert result.returncode == 0, result.stderr
    assert "on a local Ray" in result.stderr
    rows = json.loads((out / "results.json").read_text())
    assert [r["status"] for r in rows] == ["done", "done", "done", "diverged"]
    assert rows[3]["lr_d"] == 1.0 and "diverged" in rows[3]["error"]
    for row in rows[:3]:
        assert row["iterations"] == 200 and 0 <= row["jsd"] < 0.7 and row["its_per_s"] > 0
    assert (out / "results.csv").read_text().count("\n") == 5
    assert (out / "report.png").read_bytes()[:4] == b"\x89PNG"
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["lr_d", "status", "jsd"] and lines[-1].startswith("3_lr_d=1")
    for row in rows:  # every trial is a normal run directory
        assert {p.name for p in (out / row["trial"]).iterdir()} == {
            "config.json",
            "metrics.jsonl",
            "checkpoint.pt",
        }


def test_a_sweeps_runs_open_in_the_other_commands(swept, tmp_path):
    out, _ = swept
    run = out / "0_lr_d=0.001"
    assert run_cli("sample", "--run", str(run), "--n", "50", "--out", str(tmp_path / "s.npy")).returncode == 0
    again = tmp_path / "again"
    import shutil

    shutil.copytree(run, again)
    assert run_cli("train", "--resume", str(again), "--steps", "250").returncode == 0
    report = run_cli("sweep", "--report", str(out))
    assert report.returncode == 0 and report.stdout == swept[1].stdout


def test_running_the_same_sweep_again_keeps_what_is_finished(swept):
    out, _ = swept
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/checkpoint.pt")}
    again = run_cli("sweep", *GRID, "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/checkpoint.pt")} == before
    assert "4 finished before, kept as they are" in again.stderr
    other = run_cli("sweep", "--grid", "k=1,2", "--out", str(out))
    assert other.returncode == 2 and "holds another sweep" in other.stderr
    from ganlab.sweep.grid import SweepSpec
    from ganlab.sweep.run import SweepFolder

    with SweepFolder(out, SweepSpec(seeds=2)).lock():  # as a sweep running there holds it
        twice = run_cli("sweep", *GRID, "--out", str(out))
    assert twice.returncode == 2 and f"another ganlab sweep (pid {os.getpid()})" in twice.stderr
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/checkpoint.pt")} == before


def test_ctrl_c_keeps_finished_trials_and_the_sweep_resumes_exactly(tmp_path):
    out = tmp_path / "s"
    args = ["sweep", "--grid", "lr_d=0.001,0.002,0.003,0.004", "--steps", "3000", "--save-every", "0.5"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganlab.cli", *args, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as in a terminal: a test run started in the background inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    rows = []
    while time.time() < deadline:
        try:
            rows = json.loads((out / "results.json").read_text())
        except (OSError, ValueError):
            rows = []
        if any(r["status"] == "done" for r in rows) and any(
            r["iterations"] for r in rows if r["status"] != "done"
        ):
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "run the same command again" in err
    rows = json.loads((out / "results.json").read_text())
    done = [r["trial"] for r in rows if r["status"] == "done"]
    stopped = [r for r in rows if r["status"] == "stopped"]
    assert done and stopped and all(0 < r["iterations"] < 3000 for r in stopped)
    kept = {t: (out / t / "checkpoint.pt").stat().st_mtime_ns for t in done}

    again = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", *args, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    rows = json.loads((out / "results.json").read_text())
    assert [r["status"] for r in rows] == ["done"] * 4 and all(r["iterations"] == 3000 for r in rows)
    assert {t: (out / t / "checkpoint.pt").stat().st_mtime_ns for t in done} == kept
    # a stopped trial went on from its checkpoint exactly as an unbroken `ganlab train` of it
    resumed = stopped[0]
    straight = tmp_path / "straight"
    train = run_cli("train", "--set", f"lr_d={resumed['lr_d']}", "--steps", "3000", "--out", str(straight))
    assert train.returncode == 0, train.stderr
    assert same_weights(weights(straight), weights(out / resumed["trial"]))
    lines = (out / resumed["trial"] / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["g_updates"] for line in lines] == list(range(100, 3001, 100))


# -- on a second Ray head, started as a cluster is ----------------------------------------------
@pytest.fixture(scope="module")
def head():
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ray"),
            "start",
            "--head",
            "--port",
            str(port),
            "--num-cpus",
            "2",
            "--include-dashboard=false",
            "--disable-usage-stats",
            "--block",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(60)


def test_the_same_sweep_runs_on_a_ray_cluster_by_its_address(head, swept, tmp_path):
    out = tmp_path / "s"
    result = run_cli("sweep", *GRID, "--address", head, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"the Ray cluster at {head}" in result.stderr
    local = json.loads((swept[0] / "results.json").read_text())
    remote = json.loads((out / "results.json").read_text())
    assert [r["status"] for r in remote] == [r["status"] for r in local]
    assert [r["jsd"] for r in remote] == [r["jsd"] for r in local]  # the same runs, wherever they ran


def test_a_map_split_over_the_cluster_joins_into_one_map(head, tmp_path):
    whole, split = tmp_path / "whole", tmp_path / "split"
    args = ["map", "--n", "4", "--steps", "200"]
    assert run_cli(*args, "--out", str(whole)).returncode == 0
    result = run_cli(*args, "--address", head, "--batch", "5", "--out", str(split))
    assert result.returncode == 0, result.stderr
    a, b = (json.loads((d / "map.json").read_text()) for d in (whole, split))
    assert b["batches"] == 4 and len(b["cells"]) == len(a["cells"]) == 16
    for x, y in zip(a["cells"], b["cells"]):
        assert (x["lr_d"], x["lr_g"], x["outcome"]) == (y["lr_d"], y["lr_g"], y["outcome"])
        if x["outcome"] == "converged":  # an oscillating GAN's last JSD depends on rounding
            assert abs(x["jsd"] - y["jsd"]) < 1e-3
    assert (split / "map.png").read_bytes()[:4] == b"\x89PNG"
