"""Hostile input, property-based: whatever text or bytes arrive, each entry point answers with
a valid value or one clear line, never a traceback."""

import io

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.urlstate import PARSERS
from ganlab.config import Config, ConfigError, parse_assignment
from ganlab.data.points import PointsError, read_points_csv
from ganlab.runs.checkpoint import CheckpointError, load_checkpoint

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NUMBERISH = st.one_of(
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e309", "0x10", "1_000", " 3 ", "", "=", "k=="]),
)


def one_line(exc: Exception) -> bool:
    text = str(exc)
    return bool(text.strip()) and "\n" not in text and "Traceback" not in text


@FAST
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_any_csv_bytes_give_points_or_one_line(data):
    try:
        points = read_points_csv(data)
    except PointsError as exc:
        assert one_line(exc)
        return
    assert points.ndim == 2 and points.shape[1] == 2 and len(points) >= 1
    assert np.isfinite(points).all() and np.abs(points).max() <= 1e6


@FAST
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda k, v: f"{k}={v}",
            st.sampled_from([*Config.names(), "points", "flavour", ""]),
            NUMBERISH,
        ),
    )
)
def test_any_set_assignment_gives_a_valid_config_or_one_line(text):
    try:
        cfg = parse_assignment(Config(), text)
    except ConfigError as exc:
        assert one_line(exc)
        return
    assert cfg == Config.from_dict(cfg.to_dict())  # what came back passes validation again


@FAST
@given(st.sampled_from(sorted(PARSERS)), NUMBERISH)
def test_any_url_value_gives_an_offered_value_or_is_refused(name, text):
    try:
        value = PARSERS[name](text)
    except ValueError:
        return
    assert value is not None
    if isinstance(value, float):
        assert np.isfinite(value)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2000))
def test_any_checkpoint_bytes_are_refused_in_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("ckpt") / "checkpoint.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert one_line(info.value)


@pytest.mark.parametrize(
    "state",
    [
        {"config": {}, "generator": {}},  # keys missing
        [1, 2, 3],  # not a dict
        {"config": "x", "generator": 1, "discriminator": 2, "opt_g": 3, "opt_d": 4}
        | {"d_updates": 0, "g_updates": 0},  # the right keys, nonsense values
    ],
)
def test_well_formed_but_wrong_checkpoints_are_refused(tmp_path, state):
    from ganlab.runs.load import load_trainer

    buf = io.BytesIO()
    torch.save(state, buf)
    (tmp_path / "checkpoint.pt").write_bytes(buf.getvalue())
    with pytest.raises(CheckpointError) as info:
        load_trainer(tmp_path)
    assert one_line(info.value)
