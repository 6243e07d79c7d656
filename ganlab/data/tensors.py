"""Constant tensors of a distribution, made once per device."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["on_device"]


Cache = dict[str, tuple[torch.Tensor, ...]]


def on_device(cache: Cache, device: torch.device, arrays: Sequence) -> tuple[torch.Tensor, ...]:
    """``arrays`` as float32 tensors on ``device``, made on the first call for that device and
    kept in ``cache``: no host-to-device copy per draw, so a draw can be captured in a CUDA graph."""
    key = str(device)
    if key not in cache:
        cache[key] = tuple(torch.tensor(a, dtype=torch.float32, device=device) for a in arrays)
    return cache[key]
