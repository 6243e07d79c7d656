"""Plotly figures as plain dicts, and their fast JSON for live redraws.

Building a ``go.Figure`` validates every property (9–13 ms for one frame's chart on this
CPU); a live view redraws 20 times a second, so its builders return plain dicts instead, and
:func:`spec_json` encodes them in ~1 ms with float arrays as base64 typed arrays, the format
plotly.py itself sends. :func:`as_figure` turns a spec into a validated ``go.Figure`` for
everything else (tests, exports), so a spec plotly would reject still fails loudly.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import orjson
import plotly.graph_objects as go

__all__ = ["Spec", "as_figure", "spec_json", "hline", "f32", "trace", "points", "filled"]

Spec = dict[str, Any]  # {"data": [trace dicts], "layout": {...}}
_DTYPES = {"float32": "f4", "float64": "f8", "int8": "i1", "uint8": "u1", "int16": "i2", "int32": "i4"}


def _typed_array(a: np.ndarray) -> dict[str, str] | list:
    """A numpy array as plotly.js's typed-array object ({dtype, bdata[, shape]})."""
    a = np.ascontiguousarray(a)
    if a.dtype.name not in _DTYPES:
        return a.tolist()
    obj = {"dtype": _DTYPES[a.dtype.name], "bdata": base64.b64encode(a.tobytes()).decode("ascii")}
    if a.ndim > 1:
        obj["shape"] = ", ".join(map(str, a.shape))
    return obj


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return _typed_array(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON: {type(obj).__name__}")


def spec_json(spec: Spec) -> str:
    """The spec as JSON for Plotly.js (NaN and inf outside arrays become null)."""
    return orjson.dumps(spec, default=_default).decode()


def as_figure(spec: Spec) -> go.Figure:
    """A validated ``go.Figure`` with the plain look the live charts have (template "none")."""
    fig = go.Figure(spec)
    fig.update_layout(template="none")
    return fig


def hline(y: float, color: str = "grey", dash: str = "dot") -> dict[str, Any]:
    """A horizontal line across the plot at ``y`` (a layout shape, as ``add_hline`` makes)."""
    return {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"color": color, "width": 1, "dash": dash},
    }


def f32(a: np.ndarray) -> np.ndarray:
    """``a`` as float32: sent compactly, as base64 typed arrays."""
    return np.asarray(a, dtype=np.float32)


def trace(kind: str, **props: Any) -> dict[str, Any]:
    """One trace of a spec: its type and properties, unvalidated (see ``as_figure``)."""
    return {"type": kind, **props}


def points(x: np.ndarray, y: np.ndarray, name: str, marker: dict) -> dict[str, Any]:
    """A scatter trace of markers (float32 coordinates, no hover)."""
    return trace("scatter", x=f32(x), y=f32(y), mode="markers", name=name, marker=marker, hoverinfo="skip")


def filled(x: np.ndarray, y: np.ndarray, name: str, color: str) -> dict[str, Any]:
    """A scatter trace filled inside the outline x, y (float32 coordinates, no hover)."""
    return trace(
        "scatter",
        x=f32(x),
        y=f32(y),
        mode="none",
        fill="toself",
        fillcolor=color,
        name=name,
        hoverinfo="skip",
    )
