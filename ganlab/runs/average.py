"""One generator from several saved states of a run: the uniform mean of their weights.

The trainer's EMA averages G over the last ~1/(1 - ema) iterations (1,000 at 0.999). Averaging
states saved tens of thousands of iterations apart widens that window (Polyak averaging;
Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training"). The result is
for sampling and evaluation, not for training on (`ganlab train --resume` refuses it): with
no EMA, the averaged generator is the one that trains.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ganlab.train import Trainer

__all__ = ["AverageError", "average_generators"]

TOO_FEW = "averaging needs at least two saved states of the run"
BN_BATCHES = 50  # batches of noise that measure a BatchNorm G's statistics afresh


class AverageError(ValueError):
    """States that cannot be averaged; the message says why in one line."""


def average_generators(trainers: Sequence[Trainer], names: Sequence[str]) -> Trainer:
    """The latest of ``trainers`` (by G updates), its sampling generator (``G_eval``) set to
    the mean of all their ``G_eval`` weights. They must be states of one run (the same run id
    where the states have one) and of one model (the same architecture and seed), at different
    iterations. ``names`` (one per trainer) are for messages."""
    if len(trainers) < 2:
        raise AverageError(TOO_FEW)
    order = sorted(range(len(trainers)), key=lambda i: trainers[i].g_updates)
    last = trainers[order[-1]]
    seen: dict[int, str] = {}
    for i in order:
        t, name = trainers[i], names[i]
        differ = last.rebuild_fields(t.cfg.replace(device=last.cfg.device))  # saved on any device
        if differ:
            raise AverageError(
                f"{name} and {names[order[-1]]} are not states of one model (they differ in "
                f"{', '.join(sorted(differ))})"
            )
        if t.run_id and last.run_id and t.run_id != last.run_id:
            raise AverageError(
                f"{name} and {names[order[-1]]} are states of different runs (run ids "
                f"{t.run_id} and {last.run_id}); average the states that one run kept"
            )
        if t.g_updates in seen:
            raise AverageError(f"{seen[t.g_updates]} and {name} are both at iteration {t.g_updates}")
        seen[t.g_updates] = name
    with torch.no_grad():
        weights = [list(t.G_eval.parameters()) for t in trainers]
        for target, *sources in zip(list(last.G_eval.parameters()), *weights):
            target.copy_(torch.stack([s.to(target.device) for s in sources]).mean(0))
    _measure_batchnorm(last)
    return last


@torch.no_grad()
def _measure_batchnorm(trainer: Trainer) -> None:
    """A BatchNorm G's running statistics, measured afresh for the averaged weights (the
    mean of the states' statistics would not match them)."""
    net = trainer.G_eval
    norms = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative mean over the batches below
    rng = torch.Generator(device=trainer.device).manual_seed(0)
    was_training = net.training
    net.train()
    for _ in range(BN_BATCHES):
        net(trainer.noise(trainer.cfg.batch_size, rng))
    net.train(was_training)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
