"""ganlab: watch a GAN learn, step by step (Goodfellow et al. 2014, arXiv 1406.2661)."""

from ganlab.config import ConfigError, ToyConfig
from ganlab.presets import PRESETS, get_preset
from ganlab.snapshot import Snapshot, take_snapshot
from ganlab.train import Trainer

__all__ = ["ConfigError", "ToyConfig", "Trainer", "Snapshot", "take_snapshot", "PRESETS", "get_preset"]
__version__ = "0.1.0"
