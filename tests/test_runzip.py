"""A run exported as one zip, and imported back: round trip, the CLI, and hostile zips."""

import io
import json
import zipfile

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.cli import main
from ganlab.config import Config
from ganlab.runs.runzip import MAX_TEXT_BYTES, RunZipError, export_run, import_run, metrics_csv
from ganlab.train import Trainer


def one_line(exc: Exception) -> bool:
    text = str(exc)
    return bool(text.strip()) and "\n" not in text and "Traceback" not in text


@pytest.fixture(scope="module")
def exported():
    trainer = Trainer(Config(p_data="mixture", k=2, seed=3, batch_size=64))
    history = []
    for _ in range(3):
        trainer.advance(5)
        history.append({"d_updates": trainer.d_updates, "g_updates": trainer.g_updates, "jsd": 0.5})
    return trainer, history, export_run(trainer, history, {"live.png": b"\x89PNG fake", "live.json": b"{}"})


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_export_holds_a_run_directory_and_the_figures(exported):
    trainer, history, data = exported
    files = members(data)
    assert set(files) == {
        "config.json",
        "checkpoint.pt",
        "metrics.jsonl",
        "metrics.csv",
        "figures/live.png",
        "figures/live.json",
    }
    assert Config.from_dict(json.loads(files["config.json"])) == trainer.cfg
    assert files["metrics.csv"].decode().splitlines() == [
        "d_updates,g_updates,jsd",
        "10,5,0.5",
        "20,10,0.5",
        "30,15,0.5",
    ]


def test_import_continues_exactly_where_the_export_stopped(exported):
    trainer, history, data = exported
    run = import_run(data)
    assert run.history == history
    assert (run.trainer.d_updates, run.trainer.g_updates) == (trainer.d_updates, trainer.g_updates)
    twin = import_run(data).trainer  # the original keeps its state; train both copies on
    run.trainer.advance(7)
    twin.advance(7)
    for a, b in zip(run.trainer.G.parameters(), twin.G.parameters()):
        assert torch.equal(a, b)
    original = Trainer(trainer.cfg)
    original.load_state_dict(trainer.state_dict())
    original.advance(7)
    assert all(torch.equal(a, b) for a, b in zip(original.D.parameters(), run.trainer.D.parameters()))


def test_a_zipped_run_folder_imports_too(exported):
    _, history, data = exported
    files = {f"my-run/{name}": body for name, body in members(data).items()}
    assert import_run(rezip(files)).history == history


def test_the_cli_reads_an_exported_zip_as_a_run(exported, tmp_path):
    _, _, data = exported
    (tmp_path / "run.zip").write_bytes(data)
    assert (
        main(["sample", "--run", str(tmp_path / "run.zip"), "--n", "50", "--out", str(tmp_path / "s.npy")])
        == 0
    )


def test_an_mnist_run_with_its_digit_shares_comes_back():
    """MNIST metrics lines hold a list (the judge's ten digit shares): a downloaded MNIST run
    must load again (it once did not)."""
    trainer = Trainer(Config(p_data="mnist", model="mlp", latent_dim=8, hidden=16, batch_size=16))
    trainer.advance(2)
    history = [{"g_updates": 2, "d_updates": 2, "digit_share": [0.1] * 10, "digit_kl": 0.0}]
    run = import_run(export_run(trainer, history, {}), "mnist.zip")
    assert run.trainer.g_updates == 2 and run.history == history


def test_metrics_csv_takes_every_column():
    text = metrics_csv([{"a": 1}, {"a": 2, "b": 3.5}])
    assert text.splitlines() == ["a,b", "1,", "2,3.5"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: {k: v for k, v in f.items() if k != "checkpoint.pt"}, "no checkpoint.pt"),
        (lambda f: {**f, "b/checkpoint.pt": f["checkpoint.pt"]}, "more than one checkpoint.pt"),
        (lambda f: {**f, "checkpoint.pt": b"not a pickle"}, "not a readable ganlab checkpoint"),
        (lambda f: {**f, "config.json": b"{"}, "config.json is not a valid ganlab config"),
        (lambda f: {**f, "config.json": json.dumps({"k": 0}).encode()}, "k must be between"),
        (
            lambda f: {**f, "config.json": json.dumps({**json.loads(f["config.json"]), "k": 4}).encode()},
            "disagree on k",
        ),
        (
            lambda f: {**f, "metrics.jsonl": b'{"g_updates": 1}\n[1, 2]\n'},
            "line 2 is not an object of numbers",
        ),
        (lambda f: {**f, "metrics.jsonl": b"{oops\n"}, "line 1 is not JSON"),
        (lambda f: {**f, "metrics.jsonl": b'{"digit_share": [0.5, "x"]}\n'}, "line 1 is not an object"),
        (lambda f: {**f, "metrics.jsonl": b'{"s": [' + b"0," * 200 + b"0]}\n"}, "line 1 is not an object"),
        (lambda f: {**f, **{f"figures/{i}.png": b"" for i in range(300)}}, "holds 306 files"),
    ],
)
def test_bad_runs_are_refused_in_one_line(exported, change, message):
    _, _, data = exported
    with pytest.raises(RunZipError, match=message) as info:
        import_run(rezip(change(members(data))), "run.zip")
    assert one_line(info.value)


def test_a_zip_bomb_is_refused_before_it_is_inflated(exported):
    _, _, data = exported
    bomb = rezip({**members(data), "metrics.jsonl": b"0" * (MAX_TEXT_BYTES + 1)})
    assert len(bomb) < 200_000  # 64 MiB of zeros deflate to almost nothing
    with pytest.raises(RunZipError, match="the limit is"):
        import_run(bomb)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_download_is_refused(exported, keep):
    _, _, data = exported
    with pytest.raises(RunZipError) as info:
        import_run(data[: int(len(data) * keep)], "run.zip")
    assert one_line(info.value)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_are_a_run_or_one_line(data):
    with pytest.raises(RunZipError) as info:
        import_run(data, "upload.zip")
    assert one_line(info.value)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_corruption_of_a_real_export_is_a_run_or_one_line(exported, data):
    _, _, good = exported
    raw = bytearray(good)
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        run = import_run(bytes(raw), "upload.zip")
    except RunZipError as exc:
        assert one_line(exc)
        return
    assert run.trainer.g_updates >= 0  # a flip in an unused byte (e.g. a figure) may still load


def test_the_cli_refuses_a_bad_zip_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert main(["sample", "--run", str(bad), "--n", "5", "--out", str(tmp_path / "s.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganlab: error: ") and "is not a zip file" in err and "\n" not in err
    assert not (tmp_path / "s.npy").exists()
    missing = ["sample", "--run", str(tmp_path / "missing.zip"), "--n", "5", "--out", str(tmp_path / "s.npy")]
    assert main(missing) == 2
    assert "neither a directory" in capsys.readouterr().err
