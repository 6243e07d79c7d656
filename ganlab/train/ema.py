"""The average of G's weights that pictures, metrics and samples can use instead of G
(an exponential moving average, warmed up; training itself never reads it)."""

from __future__ import annotations

import copy

import torch

__all__ = ["warmed_ema", "ema_step", "ema_step_by", "ema_copy"]


def warmed_ema(ema: float, n: int) -> float:
    """The averaging weight of an EMA's update after ``n`` updates: min(ema, (1 + n) / (10 + n)).

    Without the warm-up the average would sit near G's random start for ~1 / (1 - ema)
    updates (1,000 at 0.999), and the pictures would look frozen at the start of a run.
    """
    return min(ema, (1 + n) / (10 + n))


def ema_copy(G: torch.nn.Module, ema: float) -> torch.nn.Module | None:
    """A frozen copy of G to average into (None when ``ema`` is 0: no average)."""
    return copy.deepcopy(G).requires_grad_(False) if ema else None


@torch.no_grad()
def ema_step(average: torch.nn.Module, live: torch.nn.Module, beta: float) -> None:
    """average <- beta * average + (1 - beta) * live for the weights; live's buffers (BatchNorm's
    running statistics: the average must draw with the statistics of G's current layers, not
    those of its start) are copied."""
    torch._foreach_lerp_(list(average.parameters()), list(live.parameters()), 1 - beta)
    _copy_buffers(average, live)


@torch.no_grad()
def ema_step_by(average: torch.nn.Module, live: torch.nn.Module, weight: torch.Tensor) -> None:
    """ema_step with 1 - beta in a device tensor, as a captured CUDA graph needs (the graph
    holds the tensor; its value is filled in before each replay)."""
    ema, current = list(average.parameters()), list(live.parameters())
    step = torch._foreach_sub(current, ema)
    torch._foreach_mul_(step, weight)
    torch._foreach_add_(ema, step)
    _copy_buffers(average, live)


def _copy_buffers(average: torch.nn.Module, live: torch.nn.Module) -> None:
    buffers = list(average.buffers())
    if buffers:
        torch._foreach_copy_(buffers, list(live.buffers()))
