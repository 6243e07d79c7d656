"""The paper's objectives, written on D's logits for numerical stability.

V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], with D = sigmoid(logit), so
log D = -softplus(-logit) and log(1 - D) = -softplus(logit).
"""

from __future__ import annotations

import torch
from torch.nn.functional import softplus

__all__ = ["d_loss", "g_loss", "G_LOSSES"]

G_LOSSES = ("non-saturating", "minimax")


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-V on a minibatch: D ascends V by descending this."""
    return softplus(-real_logits).mean() + softplus(fake_logits).mean()


def g_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """G's objective to descend: "minimax" log(1 - D(G(z))) or "non-saturating" -log D(G(z))."""
    if kind == "minimax":
        return -softplus(fake_logits).mean()
    if kind == "non-saturating":
        return softplus(-fake_logits).mean()
    raise ValueError(f"g_loss must be one of {', '.join(G_LOSSES)}; got {kind!r}")
