"""User data: 2D points from a CSV of x,y (uploaded in the dashboard or given to the CLI)."""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ganlab.config import MAX_POINTS

__all__ = ["PointsError", "read_points_csv", "MAX_CSV_BYTES"]

MAX_CSV_BYTES = 2_000_000


class PointsError(ValueError):
    """A CSV that cannot be used as data; the message says why in one line."""


def read_points_csv(data: bytes | str) -> np.ndarray:
    """Points (n, 2) from CSV text with two numeric columns x,y; an optional header line.

    >>> read_points_csv("x,y\\n0,1\\n2.5,-1\\n").tolist()
    [[0.0, 1.0], [2.5, -1.0]]
    """
    if isinstance(data, bytes):
        if len(data) > MAX_CSV_BYTES:
            raise PointsError(f"the CSV is {len(data):,} bytes; at most {MAX_CSV_BYTES:,} are accepted")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PointsError("the file is not UTF-8 text; expected a CSV of x,y numbers") from None
    if "\x00" in data:
        raise PointsError("the file holds NUL bytes; expected a CSV of x,y numbers")
    try:
        rows = [row for row in csv.reader(io.StringIO(data, newline="")) if any(cell.strip() for cell in row)]
    except csv.Error as exc:  # e.g. a lone carriage return inside a field
        raise PointsError(f"the CSV cannot be read ({exc})") from None
    if not rows:
        raise PointsError("the CSV is empty; expected lines of x,y numbers")
    points = []
    for line, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if len(cells) != 2:
            raise PointsError(f"line {line} has {len(cells)} columns; expected 2 (x,y)")
        try:
            x, y = float(cells[0]), float(cells[1])
        except ValueError:
            if line == 1:
                continue  # a header such as "x,y"
            raise PointsError(f"line {line}: {','.join(cells)[:40]!r} is not two numbers") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise PointsError(f"line {line}: NaN or infinite values are not allowed")
        if abs(x) > 1e6 or abs(y) > 1e6:
            raise PointsError(f"line {line}: values must lie within ±1e6")
        points.append((x, y))
        if len(points) > MAX_POINTS:
            raise PointsError(f"the CSV has more than {MAX_POINTS} points; at most {MAX_POINTS} are accepted")
    if len(points) < 2:
        raise PointsError(f"the CSV has {len(points)} point(s); at least 2 are needed")
    return np.array(points, dtype=np.float64)
