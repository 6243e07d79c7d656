"""Snapshots: a trainer's state as plain numpy arrays, one kind per kind of run (1D, 2D, MNIST),
for the figures and the metrics. No Plotly and no drawing here.

A new kind of run adds its module here and its taker to TAKERS.

>>> from ganlab.snapshot import take_snapshot
"""

from __future__ import annotations

from collections.abc import Callable

from ganlab.snapshot.mnist import SnapshotMnist, take_snapshot_mnist
from ganlab.snapshot.toy1d import Snapshot1D, take_snapshot_1d
from ganlab.snapshot.toy2d import Snapshot2D, take_snapshot_2d
from ganlab.train import Trainer
from ganlab.train.device import cuda_lock

__all__ = ["Snapshot", "Snapshot1D", "Snapshot2D", "SnapshotMnist", "TAKERS", "take_snapshot"]

Snapshot = Snapshot1D | Snapshot2D | SnapshotMnist

# Each kind of run (Config.kind) -> its snapshot: taker(trainer, metrics=..., densities=...).
TAKERS: dict[str, Callable[..., Snapshot]] = {
    "1d": take_snapshot_1d,
    "2d": take_snapshot_2d,
    "mnist": take_snapshot_mnist,
}


def take_snapshot(trainer: Trainer, metrics: bool = True, densities: bool = True) -> Snapshot:
    """Evaluate G and D of ``trainer`` for one picture and its metrics, in the form of its kind.

    ``metrics=False`` lets the 2D snapshot skip its costly sample-based metrics (MNIST: D's
    histograms and the judge), and ``densities=False`` its p_g and D* grids; the 1D metrics
    are cheap and always computed.
    """
    # Another thread (a download) may be reading the trainer too; another session may be
    # recording a CUDA graph on the same GPU.
    with trainer.lock, cuda_lock(trainer.device):
        return TAKERS[trainer.cfg.kind](trainer, metrics=metrics, densities=densities)
