"""ganlab: watch a GAN learn, step by step (Goodfellow et al. 2014, arXiv 1406.2661).

The rooms, lowest first (docs/architecture.md): config, presets, files, losses; data; models,
measure; train; snapshot; runs; figures; bench; cli. Data flows one way: Config -> Trainer ->
Snapshot -> figure -> dashboard or file.

>>> from ganlab import Config, Trainer, take_snapshot
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ConfigError", "Config", "Trainer", "Snapshot", "take_snapshot", "PRESETS", "get_preset"]
__version__ = "0.1.0"

# Loaded on first use (PEP 562), so `import ganlab.cli` does not pull in torch and scipy:
# `ganlab --help` and a mistyped argument answer at once instead of after ~4 s of imports.
# Inside ganlab, modules import from the room that holds a name, never from here
# (tools/import_graph.py checks it).
_HOMES = {
    "ConfigError": "ganlab.config",
    "Config": "ganlab.config",
    "PRESETS": "ganlab.presets",
    "get_preset": "ganlab.presets",
    "Snapshot": "ganlab.snapshot",
    "take_snapshot": "ganlab.snapshot",
    "Trainer": "ganlab.train",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ganlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
