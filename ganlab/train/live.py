"""Settings changed while a run trains: which a running trainer takes as they are, which give
it fresh optimisers, and which need new models (a new run)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Literal

from ganlab.config import Config
from ganlab.data import get_distribution
from ganlab.train.ema import ema_copy
from ganlab.train.optim import make_optimizers, set_hyperparameters

if TYPE_CHECKING:
    from ganlab.train.trainer import Trainer

__all__ = ["LIVE_FIELDS", "OPTIMIZER_FIELDS", "Change", "changed_fields", "rebuild_fields", "apply"]

# Settings a running trainer takes without losing its models.
LIVE_FIELDS = frozenset(
    {"p_data", "points", "batch_size", "k", "lr_d", "lr_g", "momentum", "g_loss", "ema", "decay_steps"}
    | {"instance_noise", "instance_noise_steps", "r1"}
)
# Settings that only need fresh optimisers; everything else rebuilds the models.
OPTIMIZER_FIELDS = frozenset({"optimizer"})


@dataclass(frozen=True)
class Change:
    """What a change of settings did to a running trainer; ``str()`` says it in words."""

    kind: Literal["none", "live", "optimizers", "rebuilt"]  # rebuilt: new G and D, training restarts
    fields: frozenset[str]  # the settings that changed
    message: str

    @property
    def rebuilt(self) -> bool:
        return self.kind == "rebuilt"

    def __str__(self) -> str:
        return self.message


def changed_fields(old: Config, new: Config) -> set[str]:
    """The settings ``new`` changes; with a change of p_data's dimension, that too."""
    changed = {f.name for f in fields(new) if getattr(new, f.name) != getattr(old, f.name)}
    if new.data_dim != old.data_dim:
        changed.add(f"p_data ({old.data_dim}D to {new.data_dim}D)")
    return changed


def rebuild_fields(old: Config, new: Config) -> set[str]:
    """The changed settings that need new models (empty: ``apply`` keeps G and D)."""
    return changed_fields(old, new) - LIVE_FIELDS - OPTIMIZER_FIELDS


def apply(trainer: Trainer, cfg: Config) -> Change:
    """Switch ``trainer`` to ``cfg``.

    Learning rates, k, batch size, G loss and p_data (of the same dimension) change live; the
    optimiser kind gives fresh optimisers; anything else (latent dimension, widths, packing,
    noise, seed, device) rebuilds the models from scratch.
    """
    old = trainer.cfg
    changed = frozenset(changed_fields(old, cfg))
    if not changed:
        return Change("none", changed, "no change")
    if rebuild_fields(old, cfg):
        trainer.build(cfg)
        what = ", ".join(sorted(changed - LIVE_FIELDS))
        return Change("rebuilt", changed, f"rebuilt G and D ({what} changed); training restarts")
    trainer.cfg = cfg
    if (cfg.ema > 0) != (old.ema > 0):  # an average starts from the current G, or stops
        trainer.G_ema, trainer.ema_updates = ema_copy(trainer.G, cfg.ema), 0
    if changed & {"p_data", "points"}:  # a new object only for new data (a CUDA graph reads the old)
        trainer.dist = get_distribution(cfg.p_data, cfg.points)
    if changed & OPTIMIZER_FIELDS:
        trainer.opt_d, trainer.opt_g = make_optimizers(
            cfg, trainer.device, trainer.D.parameters(), trainer.G.parameters()
        )
        return Change("optimizers", changed, f"new {cfg.optimizer} optimisers; models kept")
    factor = trainer.lr_factor()
    set_hyperparameters(trainer.opt_d, cfg.lr_d * factor, cfg.momentum)
    set_hyperparameters(trainer.opt_g, cfg.lr_g * factor, cfg.momentum)
    return Change("live", changed, "applied live: " + ", ".join(sorted(changed)))
