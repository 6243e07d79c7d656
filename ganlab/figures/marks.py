"""Marks that stay cheap to draw: dots and arrows as small filled polygons chained into one
outline per trace, for the plane views (2D samples, gradient fields)."""

from __future__ import annotations

import numpy as np

__all__ = ["arrow_vectors", "arrows", "dots", "polygons", "DOT_RADIUS", "DOT_SIDES"]


def arrow_vectors(vec: np.ndarray, span: float) -> np.ndarray:
    """Gradient vectors (n, 2) scaled for drawing in a view ``span`` wide: the
    90th-percentile arrow is 8 % of the view and none is longer than 15 %."""
    norms = np.linalg.norm(vec, axis=1, keepdims=True)
    scale = 0.08 * span / max(float(np.quantile(norms, 0.9)), 1e-12)
    return np.minimum(scale * norms, 0.15 * span) * vec / np.maximum(norms, 1e-12)


# Plotly draws every marker, and every gap-separated piece of a line or fill, as an SVG
# element of its own, styled one by one: ~900 elements in a 2D frame, rebuilt each time.
# So the plane's dots and arrows are small filled polygons chained into one unbroken outline
# per trace, and the manifold is one unbroken line: a handful of elements. Sizes are
# fractions of the view's width.
DOT_RADIUS = 0.0048  # a 5 px dot in the 640 px plane
DOT_SIDES = 6  # at 5 px a hexagon reads as a dot
SHAFT_HALF_WIDTH = 0.0011  # arrows: a 1.2 px shaft ...
HEAD_LENGTH, HEAD_HALF_WIDTH = 0.012, 0.0058  # ... and a head 6.5 px long, 6 px wide


def polygons(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, k, 2) polygon corners -> x, y of one outline for a "toself" fill: each polygon
    closed in turn, the steps between them retraced backwards at the end, so that they
    enclose no area and only the polygons are filled."""
    rings = np.concatenate([corners, corners[:, :1]], axis=1).reshape(-1, 2)
    pts = np.concatenate([rings, corners[-2::-1, 0]]) if len(corners) else rings
    return pts[:, 0], pts[:, 1]


def dots(pts: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """Points (n, 2) as small filled hexagons."""
    angle = np.linspace(0, 2 * np.pi, DOT_SIDES, endpoint=False)
    ring = DOT_RADIUS * span * np.column_stack([np.cos(angle), np.sin(angle)])
    return polygons(pts[:, None, :] + ring[None])


def arrows(at: np.ndarray, vec: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrows from ``at`` along the drawn gradient, each a filled 7-corner outline (shaft and head)."""
    drawn = arrow_vectors(vec, span)
    length = np.linalg.norm(drawn, axis=1, keepdims=True)
    along = drawn / np.maximum(length, 1e-12)
    across = np.column_stack([-along[:, 1], along[:, 0]])
    tip = at + drawn
    neck = tip - np.minimum(HEAD_LENGTH * span, length) * along
    shaft, head = SHAFT_HALF_WIDTH * span * across, HEAD_HALF_WIDTH * span * across
    corners = [at + shaft, neck + shaft, neck + head, tip, neck - head, neck - shaft, at - shaft]
    return polygons(np.stack(corners, axis=1))
