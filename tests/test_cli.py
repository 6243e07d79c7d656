import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
import torch

from ganlab.cli import main


def run_cli(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """`ganlab ARGS` in a fresh interpreter (other test modules import this one)."""
    return subprocess.run(
        [sys.executable, "-m", "ganlab.cli", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert (
        main(["train", "--preset", "paper-1d", "--steps", "300", "--log-every", "100", "--out", str(out)])
        == 0
    )
    return out


def test_train_writes_config_metrics_and_a_safe_checkpoint(trained):
    config = json.loads((trained / "config.json").read_text())
    assert config["p_data"] == "gaussian" and config["k"] == 1
    lines = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert [r["g_updates"] for r in lines] == [100, 200, 300]
    assert {"jsd", "v", "c_g", "loss_d", "loss_g", "mean_d_real", "mean_d_fake"} <= set(lines[0])
    state = torch.load(trained / "checkpoint.pt", weights_only=True)
    assert state["g_updates"] == 300 and state["d_updates"] == 300


def test_resume_continues_exactly_where_the_run_stopped(trained, tmp_path):
    """300 iterations then 200 more by --resume give the same weights as 500 in one go."""
    straight = tmp_path / "straight"
    assert main(["train", "--steps", "500", "--log-every", "100", "--out", str(straight)]) == 0
    resumed = tmp_path / "resumed"
    shutil.copytree(trained, resumed)
    assert main(["train", "--resume", str(resumed), "--steps", "500", "--log-every", "100"]) == 0
    a, b = (torch.load(d / "checkpoint.pt", weights_only=True) for d in (straight, resumed))
    assert b["g_updates"] == 500
    for name in ("generator", "discriminator"):
        for key, value in a[name].items():
            assert torch.equal(value, b[name][key]), f"{name}.{key}"
    lines = [json.loads(line) for line in (resumed / "metrics.jsonl").read_text().splitlines()]
    assert [r["g_updates"] for r in lines] == [100, 200, 300, 400, 500]
    assert lines[3]["elapsed_s"] >= lines[2]["elapsed_s"]  # the clock goes on


def test_resume_refuses_changes_that_need_new_models_and_runs_already_done(trained, tmp_path):
    """... and a new run is not written over an existing one."""
    before = (trained / "checkpoint.pt").read_bytes()
    for args, fragment in (
        (["--resume", str(trained), "--steps", "400", "--set", "latent_dim=3"], "cannot change latent_dim"),
        (["--resume", str(trained), "--steps", "300"], "already at iteration 300"),
        (["--out", str(trained), "--steps", "400"], "already holds a run: go on with --resume"),
    ):
        result = run_cli("train", *args)
        assert result.returncode == 2 and fragment in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert (trained / "checkpoint.pt").read_bytes() == before


def test_sample_shape_and_seed(trained, tmp_path):
    assert main(["sample", "--run", str(trained), "--n", "2500", "--out", str(tmp_path / "s.npy")]) == 0
    assert main(["sample", "--run", str(trained), "--n", "2500", "--out", str(tmp_path / "t.npy")]) == 0
    s = np.load(tmp_path / "s.npy")
    assert s.shape == (2500, 1) and s.dtype == np.float32
    assert np.array_equal(s, np.load(tmp_path / "t.npy"))
    assert abs(s.mean() - 2.0) < 0.5  # 300 iterations move p_g towards N(2, 0.5^2)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["train", "--steps", "0", "--out", "X"], "expected an integer from 1"),
        (["train", "--steps", "ten", "--out", "X"], "expected an integer"),
        (["train", "--preset", "nope", "--out", "X"], "unknown preset 'nope'"),
        (["train", "--set", "k=99", "--out", "X"], "k must be between 1 and 20"),
        (["train", "--set", "lr_d=nan", "--out", "X"], "lr_d must be finite"),
        (["train", "--set", "flavour=1", "--out", "X"], "unknown setting 'flavour'"),
        (["sample", "--run", "does-not-exist", "--n", "5", "--out", "s.npy"], "is neither a directory"),
        (["sample", "--run", ".", "--n", "-5", "--out", "s.npy"], "expected an integer"),
        (["figure1"], "required: --out"),
        (["bench", "--seconds", "0"], "--seconds must be between"),
        (["fly"], "invalid choice"),
        (["train", "--steps", "5"], "--out is required"),
        (["train", "--resume", "X", "--preset", "ring8"], "drop --preset and --data"),
        (["train", "--resume", "X"], "--resume needs --steps"),
        (["train", "--resume", "X", "--steps", "9"], "--resume X is not a directory"),
        (["eval", "parzen", "--run", "X", "--real"], "give --run or --real, not both"),
        (["average", "nowhere/*.pt", "--out", "X"], "nowhere/*.pt is neither a directory"),
        (["plot", "--run", "a", "--label", "a", "--label", "b", "--out", "p.png"], "one label per run"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, fragment, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 2
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "X").exists()


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the file is empty"),
        (b"not a checkpoint", "not a PyTorch file"),
        (b"PK\x03\x04garbage", "a damaged or truncated PyTorch file"),
        (b"\x80\xa4junk", "a damaged or truncated PyTorch file"),  # torch warned of "protocol 164"
    ],
)
def test_bad_checkpoint_is_refused(content, why, tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(content)
    result = run_cli("sample", "--run", str(tmp_path), "--n", "5", "--out", str(tmp_path / "s.npy"))
    assert result.returncode == 2 and f"not a readable ganlab checkpoint ({why})" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.npy").exists()


def test_malicious_pickle_never_runs(tmp_path):
    """A checkpoint that would run code under plain pickle is refused by weights_only loading."""

    class Boom:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"config": Boom()}, tmp_path / "checkpoint.pt")
    result = run_cli("sample", "--run", str(tmp_path), "--n", "5", "--out", str(tmp_path / "s.npy"))
    assert result.returncode == 2 and "pwned" not in result.stdout
    assert "other than tensors and plain values" in result.stderr


def test_diverging_run_stops_and_keeps_the_last_good_state(tmp_path):
    result = run_cli(
        "train",
        "--steps",
        "400",
        "--log-every",
        "20",
        "--out",
        str(tmp_path),
        "--set",
        "optimizer=sgd",
        "--set",
        "momentum=0.9",
        "--set",
        "lr_d=10",
        "--set",
        "lr_g=10",
    )
    assert result.returncode == 1 and "diverged" in result.stderr
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert all(torch.isfinite(v).all() for v in state["generator"].values())
    assert state["g_updates"] < 400


def test_figure1_passes_an_independent_check(tmp_path):
    """The issue's acceptance check, recomputed with scipy from figure1.json alone."""
    from scipy.stats import gaussian_kde, norm

    result = run_cli("figure1", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "figure1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "figure1.json").read_text())
    assert data["p_data"]["kind"] == "gaussian"
    p_data = norm(data["p_data"]["mean"], data["p_data"]["std"])

    def jsd(p, q, x):
        m = (p + q) / 2

        def kl(a):
            return np.trapezoid(
                np.where(a > 0, a * np.log(np.where(a > 0, a, 1) / np.where(m > 0, m, 1)), 0), x
            )

        return 0.5 * kl(p) + 0.5 * kl(q)

    found = {}
    for panel in data["panels"]:
        assert len(panel["samples"]) >= 2000 and len(panel["z"]) == len(panel["g_z"])
        x = np.array(panel["x"], float)
        pd, pg = p_data.pdf(x), gaussian_kde(np.array(panel["samples"], float))(x)
        d = np.array(panel["d"], float)
        seen = (pd + pg) > 0.01 * (pd + pg).max()
        support = pd > 0.01 * pd.max()
        found[panel["label"]] = {
            "jsd": jsd(pd, pg, x),
            "d_vs_d_star": np.mean(np.abs(d - pd / (pd + pg))[seen]),
            "d_vs_half": np.max(np.abs(d - 0.5)[support]),
        }
    assert found["a"]["jsd"] > 0.02
    assert found["b"]["d_vs_d_star"] < 0.08
    assert found["c"]["jsd"] < found["b"]["jsd"]
    assert found["d"]["jsd"] < 0.02 and found["d"]["d_vs_half"] < 0.1


def test_train_ring8_logs_mode_metrics_and_samples_are_2d(tmp_path):
    out = tmp_path / "ring8"
    args = ["train", "--preset", "ring8", "--steps", "60", "--log-every", "30", "--out", str(out)]
    assert main(args) == 0
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["g_updates"] for r in lines] == [30, 60]
    assert lines[-1]["modes_total"] == 8 and 0 <= lines[-1]["modes_covered"] <= 8
    assert 0.0 <= lines[-1]["high_quality"] <= 1.0
    assert main(["sample", "--run", str(out), "--n", "2500", "--out", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (2500, 2) and np.isfinite(samples).all()


def test_train_on_a_csv_of_points(tmp_path):
    data = tmp_path / "pts.csv"
    data.write_text("x,y\n" + "".join(f"{np.cos(a):.4f},{np.sin(a):.4f}\n" for a in np.linspace(0, 6, 50)))
    out = tmp_path / "mine"
    assert main(["train", "--data", str(data), "--preset", "ring8", "--steps", "10", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["p_data"] == "custom" and len(config["points"]) == 50


@pytest.mark.parametrize(
    "content, fragment",
    [("1,2,3\n", "3 columns"), ("x,y\n1,nan\n", "NaN"), (None, "No such file")],
)
def test_bad_csv_is_one_line_exit_2_and_writes_nothing(tmp_path, content, fragment):
    data = tmp_path / "bad.csv"
    if content is not None:
        data.write_text(content)
    out = tmp_path / "never"
    result = run_cli("train", "--data", str(data), "--preset", "ring8", "--steps", "5", "--out", str(out))
    assert result.returncode == 2
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert f"--data {data}" in result.stderr  # which file
    assert not out.exists()


def test_points_with_an_mnist_preset_are_refused(tmp_path):
    (tmp_path / "pts.csv").write_text("x,y\n1,2\n3,4\n")
    data, out = str(tmp_path / "pts.csv"), str(tmp_path / "X")
    result = run_cli("train", "--data", data, "--preset", "mnist-mlp", "--out", out)
    assert result.returncode == 2 and "preset mnist-mlp trains on MNIST" in result.stderr


def test_sample_makes_missing_folders_and_a_file_in_the_way_is_one_line(trained, tmp_path):
    deep = tmp_path / "a" / "b" / "s.npy"
    assert main(["sample", "--run", str(trained), "--n", "5", "--out", str(deep)]) == 0
    assert np.load(deep).shape == (5, 1)
    (tmp_path / "file").write_text("in the way")
    result = run_cli("sample", "--run", str(trained), "--n", "5", "--out", str(tmp_path / "file" / "s.npy"))
    assert result.returncode == 2 and "a file, not a folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bench_reports_both_loops_a_frame_and_memory_per_preset():
    result = run_cli(
        "bench",
        "--seconds",
        "0.3",
        "--preset",
        "ring8",
        "--preset",
        "mnist-paper",
        "--ensemble",
        "8",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [r["preset"] for r in report["results"]] == ["ring8", "mnist-paper"]
    for r in report["results"]:
        assert r["trainer_steps_per_s"] > 0 and r["textbook_steps_per_s"] > 0 and r["frame_ms"] > 0
        assert r["ratio"] == pytest.approx(r["trainer_steps_per_s"] / r["textbook_steps_per_s"], rel=0.01)
        assert r["peak_mib"] > 0
    assert report["results"][1]["batch"] == 100  # the paper's MNIST minibatch, packed in pairs for D
    batched = report["ensemble"]
    assert batched["gans"] == 8 and batched["gan_steps_per_s"] > 0 and batched["trainer_steps_per_s"] > 0
    assert batched["ratio"] == pytest.approx(
        batched["gan_steps_per_s"] / batched["trainer_steps_per_s"], rel=0.01
    )


def test_sigterm_saves_the_run_like_ctrl_c(tmp_path):
    """`kill` stops a long run and keeps what it had trained (a background run ignores SIGINT)."""
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "ganlab.cli", "train", "--preset", "ring8", "--log-every", "20"]
        + ["--out", str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and "G update" not in (proc.stderr.readline() or ""):
        pass
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted at G update" in err
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["g_updates"] >= 20


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["train", "--steps", "5"],
        ["train", "--preset", "nope", "--out", "X"],
        ["train", "--resume", "X"],
        ["train", "--resume", "X", "--steps", "9"],
    ],
)
def test_help_and_typos_answer_without_loading_torch(args, tmp_path):
    """--help and a mistyped argument are answered before torch is imported (~0.2 s, not ~5 s)."""
    code = (
        "import sys\nfrom ganlab.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules and 'scipy' not in sys.modules, 'heavy import'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_the_dashboard_starts_with_the_settings_it_needs_however_it_is_started():
    """`ganlab dashboard` and `streamlit run` (through .streamlit/config.toml) both turn off
    the collection after every script run and Streamlit's message cache (STREAMLIT_SETTINGS)."""
    from pathlib import Path

    import tomllib

    from ganlab.cli import STREAMLIT_SETTINGS, streamlit_command

    command = streamlit_command(server_port="8599")
    assert command[3] == "run" and Path(command[4]).name == "app.py" and Path(command[4]).is_file()
    flags = dict(zip(command[5::2], command[6::2]))
    assert flags["--server.port"] == "8599"
    toml = (Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text()
    config = tomllib.loads(toml)
    for name, value in STREAMLIT_SETTINGS.items():
        section, option = name.split(".")
        assert flags[f"--{name}"] == value
        try:
            parsed = json.loads(value)
        except ValueError:  # a plain word: "minimal"
            parsed = value
        assert config[section][option] == parsed
    assert float(flags["--global.minCachedMessageSize"]) > 1e12  # nothing is ever cached


def _serves(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


def test_dashboard_is_the_server_and_a_busy_port_is_one_line():
    """Stopping `ganlab dashboard` stops the Streamlit server (no orphan left on the port);
    a port in use is refused in one line, exit 2."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("dashboard", "--headless", "--port", str(port))
        assert result.returncode == 2 and f"port {port} is in use" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganlab.cli", "dashboard", "--headless", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while not _serves(port) and time.time() < deadline:
            time.sleep(0.3)
        assert _serves(port)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    time.sleep(1.0)
    assert not _serves(port)


def test_bare_ganlab_shows_its_commands_and_version_answers():
    bare = run_cli()
    assert bare.returncode == 2 and "usage: ganlab" in bare.stdout and "dashboard" in bare.stdout
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("ganlab 0.")
