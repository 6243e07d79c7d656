"""The live charts' plain specs: valid Plotly, and the fast JSON says what plotly.py's would."""

import base64
import json

import numpy as np
import pytest

from ganlab.figures.marks import DOT_RADIUS, DOT_SIDES, arrow_vectors, arrows, dots
from ganlab.figures.mnist import d_histogram_spec, digit_share_spec
from ganlab.figures.spec import as_figure, spec_json
from ganlab.figures.toy1d import figure1_spec
from ganlab.figures.toy2d import BACKGROUNDS, _manifold_lines, plane_spec
from ganlab.presets import get_preset
from ganlab.snapshot import take_snapshot
from ganlab.train import Trainer


def decoded(value):
    """A typed-array object as a flat float64 array (lists pass through)."""
    if isinstance(value, dict) and "bdata" in value:
        dtype = {"f4": np.float32, "f8": np.float64, "u1": np.uint8, "i4": np.int32}[value["dtype"]]
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype).astype(float)
    return np.asarray([np.nan if v is None else v for v in np.ravel(value)], dtype=float)


def same_traces(fast: dict, slow: dict) -> None:
    assert [t["type"] for t in fast["data"]] == [t["type"] for t in slow["data"]]
    for a, b in zip(fast["data"], slow["data"]):
        assert a.get("name") == b.get("name")
        for axis in ("x", "y", "z"):
            if axis not in b:
                assert axis not in a
            elif isinstance(b[axis], list) and isinstance(b[axis][0], str):
                assert a[axis] == b[axis]  # category labels
            else:
                np.testing.assert_array_equal(decoded(a[axis]), decoded(b[axis]))
    assert (fast["layout"].get("title") or None) == slow["layout"].get("title")


def specs():
    one = Trainer(get_preset("paper-1d").config)
    one.advance(50)
    two = Trainer(get_preset("ring8").config)
    two.advance(50)
    snap1, snap2 = take_snapshot(one), take_snapshot(two)
    yield figure1_spec(snap1, title="<b>G updates</b> 50")
    yield figure1_spec(snap1, show_d_star=False)
    for background in BACKGROUNDS:
        yield plane_spec(snap2, background, title="plane")
    rng = np.random.default_rng(0)
    yield d_histogram_spec(rng.random(512), rng.random(512))
    yield digit_share_spec(rng.dirichlet(np.ones(10)))


@pytest.mark.parametrize("spec", list(specs()))
def test_fast_json_matches_plotly(spec):
    fig = as_figure(spec)  # plotly validates every property: a bad spec raises here
    same_traces(json.loads(spec_json(spec)), json.loads(fig.to_json()))


def test_spec_json_encodes_arrays_compactly_and_nan_as_null():
    z = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = json.loads(spec_json({"data": [{"z": z, "v": float("nan"), "n": np.int64(3)}], "layout": {}}))
    assert out["data"][0]["z"]["shape"] == "2, 3" and out["data"][0]["z"]["dtype"] == "f4"
    np.testing.assert_array_equal(decoded(out["data"][0]["z"]), z.ravel())
    assert out["data"][0]["v"] is None and out["data"][0]["n"] == 3


def test_light_2d_snapshot_has_no_densities_and_says_so():
    trainer = Trainer(get_preset("ring8").config)
    snap = take_snapshot(trainer, metrics=False, densities=False)
    assert snap.p_g is None and snap.d_star is None
    full = take_snapshot(trainer, metrics=False)
    np.testing.assert_array_equal(snap.d, full.d)
    np.testing.assert_array_equal(snap.fake, full.fake)
    plane_spec(snap, "d")  # D's background needs no densities
    with pytest.raises(ValueError, match="densities=True"):
        plane_spec(snap, "d_star")


def shoelace(x: np.ndarray, y: np.ndarray) -> float:
    """Signed area enclosed by the closed outline x, y."""
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def test_chained_polygons_fill_only_the_polygons():
    """The dots and arrows of the plane are one outline per trace: the steps between the
    polygons enclose nothing, so the filled area is the polygons' own, however far apart."""
    rng = np.random.default_rng(1)
    centres = rng.uniform(-2, 2, (40, 2))
    x, y = dots(centres, span=4.0)
    hexagon = 3 * np.sqrt(3) / 2 * (DOT_RADIUS * 4.0) ** 2
    assert np.isfinite(x).all() and len(x) == 40 * (DOT_SIDES + 1) + 39
    assert shoelace(x, y) == pytest.approx(40 * hexagon, rel=1e-9)
    # every dot is drawn around its own centre
    rings = np.column_stack([x, y])[: 40 * (DOT_SIDES + 1)].reshape(40, DOT_SIDES + 1, 2)
    np.testing.assert_allclose(rings[:, :-1].mean(axis=1), centres, atol=1e-12)
    # arrows: each outline is a shaft and a head ending at the drawn tip
    at, vec = rng.uniform(-1, 1, (30, 2)), rng.normal(size=(30, 2))
    ax, ay = arrows(at, vec, span=4.0)
    outlines = np.column_stack([ax, ay])[: 30 * 8].reshape(30, 8, 2)
    np.testing.assert_allclose(outlines[:, 3], at + arrow_vectors(vec, 4.0), atol=1e-12)
    single = sum(abs(shoelace(*o[:-1].T)) for o in outlines)
    assert abs(shoelace(ax, ay)) == pytest.approx(single, rel=1e-9) and single > 0


def test_the_manifold_is_one_line_through_every_mesh_edge():
    trainer = Trainer(get_preset("ring8").config)
    snap = take_snapshot(trainer, metrics=False, densities=False)
    x, y = _manifold_lines(snap)
    assert np.isfinite(x).all()  # no gaps: one SVG path
    key = {tuple(p): (i, j) for i, row in enumerate(snap.manifold) for j, p in enumerate(row)}
    walked = [key[p] for p in zip(x, y)]
    steps = {frozenset(pair) for pair in zip(walked, walked[1:]) if pair[0] != pair[1]}
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in map(tuple, steps))  # mesh edges only
    rows, cols = snap.manifold.shape[:2]
    edges = {frozenset({(i, j), (i, j + 1)}) for i in range(rows) for j in range(cols - 1)}
    edges |= {frozenset({(i, j), (i + 1, j)}) for i in range(rows - 1) for j in range(cols)}
    assert steps == edges
