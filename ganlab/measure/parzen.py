"""The Parzen-window log-likelihood of Table 1, with the protocol of the paper's released code.

A Gaussian kernel of width σ on each of N generated samples μ_i gives
log p(x) = logmeanexp_i(−‖x − μ_i‖² / (2σ²)) − d·log(σ√(2π)). σ is the value of
logspace(−1, 0, 10) with the best mean log-likelihood on validation images (MNIST train
50000–51000); the score is the mean over the 10,000 test images ± std / √n.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ganlab.data.mnist import TRAIN_END, load_mnist

__all__ = ["ParzenResult", "parzen_log_likelihood", "parzen_evaluate", "parzen_mnist", "SIGMAS"]

SIGMAS = np.logspace(-1, 0, 10)


@dataclass(frozen=True)
class ParzenResult:
    mean: float  # nats, mean log-likelihood of the test images
    stderr: float  # std / sqrt(n)
    sigma: float  # the kernel width chosen on the validation images
    validation: dict[float, float]  # mean validation log-likelihood per σ tried


@torch.no_grad()
def parzen_log_likelihood(
    x: torch.Tensor,
    centres: torch.Tensor,
    sigmas: np.ndarray | list[float],
    batch: int = 256,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """log p(x) under the Parzen window on ``centres`` (N, d), for each σ: (len(sigmas), n)."""
    x, centres = x.double(), centres.to(x.device).double()
    d = x.shape[1]
    c2 = (centres * centres).sum(1)  # (N,)
    out = np.empty((len(sigmas), len(x)))
    for start in range(0, len(x), batch):
        xb = x[start : start + batch]
        sq = ((xb * xb).sum(1, keepdim=True) + c2 - 2 * xb @ centres.T).clamp_min_(0)  # (b, N)
        for i, s in enumerate(sigmas):
            lme = torch.logsumexp(-sq / (2 * s * s), dim=1) - math.log(len(centres))
            out[i, start : start + len(xb)] = (lme - d * math.log(s * math.sqrt(2 * math.pi))).cpu().numpy()
        if progress:
            progress(min(1.0, (start + batch) / len(x)))
    return out


def parzen_evaluate(
    samples: torch.Tensor,
    validation: torch.Tensor,
    test: torch.Tensor,
    sigmas: np.ndarray | list[float] = SIGMAS,
    progress: Callable[[str, float], None] | None = None,
) -> ParzenResult:
    """Choose σ on ``validation``, then score ``test``; all (n, d) in the same units ([0, 1])."""
    val = parzen_log_likelihood(
        validation, samples, sigmas, progress=progress and (lambda f: progress("σ", f))
    )
    means = val.mean(1)
    best = int(np.argmax(means))
    sigma = float(sigmas[best])
    ll = parzen_log_likelihood(test, samples, [sigma], progress=progress and (lambda f: progress("test", f)))[
        0
    ]
    return ParzenResult(
        mean=float(ll.mean()),
        stderr=float(ll.std() / math.sqrt(len(ll))),
        sigma=sigma,
        validation={float(s): float(m) for s, m in zip(sigmas, means)},
    )


def parzen_mnist(samples: np.ndarray, progress: Callable[[str, float], None] | None = None) -> ParzenResult:
    """Table 1's protocol for MNIST samples (n, 784) in [0, 1]: σ on train images 50000-51000,
    the score on the 10,000 test images."""

    def as_tensor(images: np.ndarray, scale: float = 1.0) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(images, dtype=np.float64).reshape(-1, 784) / scale)

    train, test = load_mnist("train")[0], load_mnist("test")[0]
    stages = {"σ": "choosing σ", "test": "test images"}
    return parzen_evaluate(
        as_tensor(samples),
        as_tensor(train[TRAIN_END : TRAIN_END + 1000], 255.0),
        as_tensor(test, 255.0),
        progress=progress and (lambda stage, f: progress(stages[stage], f)),
    )
