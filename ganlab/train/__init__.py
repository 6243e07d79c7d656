"""Training: the Trainer (Algorithm 1, read top to bottom in trainer.py) and what runs beside
it: optimisers and their schedule, the average of G, live changes, rollback, the checkpoint
state, the device and the CUDA graph of one iteration. Next here: the batched trainer of
many GANs at once.

>>> from ganlab.train import Trainer
"""

from ganlab.train.device import resolve_device
from ganlab.train.ema import ema_step, warmed_ema
from ganlab.train.live import LIVE_FIELDS, Change
from ganlab.train.optim import LR_FLOOR
from ganlab.train.trainer import N_FIXED, Trainer

__all__ = [
    "Trainer",
    "Change",
    "N_FIXED",
    "LIVE_FIELDS",
    "LR_FLOOR",
    "resolve_device",
    "warmed_ema",
    "ema_step",
]
