"""What a sweep trains: a preset over a grid of settings (and seeds), one trial per combination.

Nothing here needs Ray or torch: a mistyped grid answers at once, in one line.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from ganlab.config import Config, ConfigError, parse_assignment
from ganlab.presets import get_preset

__all__ = ["SweepSpec", "Trial", "parse_grid", "MAX_TRIALS", "MAX_SEEDS"]

MAX_TRIALS = 10_000  # more needs --yes: a typo in a grid should not start a week of training
MAX_SEEDS = 100


def _number_text(value: Any) -> str:
    """A value as a trial's name shows it: 0.001, 3, minimax."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_grid(text: str) -> tuple[str, tuple[str, ...]]:
    """ "lr_d=1e-4,1e-3" as ("lr_d", ("1e-4", "1e-3")); ConfigError in one line when malformed.
    The values are checked against the setting's type and range by ``SweepSpec``."""
    name, sep, raw = str(text).partition("=")
    name = name.strip().replace("-", "_")
    values = tuple(v.strip() for v in raw.split(","))
    if not sep or not name:
        raise ConfigError(f"--grid expects NAME=V1,V2,..., e.g. lr_d=1e-4,1e-3; got {text!r}")
    if not raw.strip() or any(not v for v in values):
        raise ConfigError(f"--grid {name}: the list of values is empty or has an empty item ({text!r})")
    if len(set(values)) != len(values):
        raise ConfigError(f"--grid {name}: a value is listed twice ({text!r})")
    return name, values


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: its name (its directory under the sweep's folder), the settings that
    make it differ from the others, and its whole configuration."""

    name: str
    settings: dict[str, Any]
    config: Config = field(compare=False)


@dataclass(frozen=True)
class SweepSpec:
    """A preset (with ``sets`` applied to every trial) over the product of ``grid``'s values and
    ``seeds`` seeds, each trial trained for ``steps`` iterations (the preset's own if 0)."""

    preset: str = "paper-1d"
    grid: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sets: tuple[str, ...] = ()
    seeds: int = 1
    steps: int = 0
    device: str | None = None
    parzen: bool = False
    log_every: int = 100
    save_every: float = field(default=30.0, compare=False)  # seconds a task trains before handing back

    def __post_init__(self) -> None:
        names = [name for name, _ in self.grid]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(f"--grid {name} is given twice: list all its values in one --grid")
        if not 1 <= self.seeds <= MAX_SEEDS:
            raise ConfigError(f"--seeds must be between 1 and {MAX_SEEDS}; got {self.seeds}")
        if self.seeds > 1 and "seed" in names:
            raise ConfigError("--grid seed and --seeds both choose seeds: give one of them")
        if not self.grid and self.seeds == 1:
            raise ConfigError("nothing to sweep: give --grid NAME=V1,V2 (and/or --seeds N)")
        if not 0 <= self.steps <= 10_000_000:
            raise ConfigError(f"--steps must be between 1 and 10,000,000; got {self.steps}")
        if not 1 <= self.log_every <= 1_000_000:
            raise ConfigError(f"--log-every must be between 1 and 1,000,000; got {self.log_every}")
        base = self.base_config()
        if self.parzen and base.kind != "mnist":
            raise ConfigError(
                f"--parzen is Table 1's measure of MNIST samples; {self.preset} is scored by its JSD"
            )
        for name, values in self.grid:
            for value in values:  # each value of each setting, checked once, with its name
                try:
                    parse_assignment(base, f"{name}={value}")
                except ConfigError as exc:
                    raise ConfigError(f"--grid {name}: {exc}") from None

    @property
    def size(self) -> int:
        """How many trials: the product of the grid's lengths, times the seeds."""
        count = self.seeds
        for _, values in self.grid:
            count *= len(values)
        return count

    @property
    def total_steps(self) -> int:
        return self.steps or get_preset(self.preset).steps

    def base_config(self) -> Config:
        """The preset with ``sets`` and ``device``: what every trial shares."""
        cfg = get_preset(self.preset).config
        for assignment in self.sets:
            cfg = parse_assignment(cfg, assignment)
        return cfg.replace(device=self.device) if self.device else cfg

    def trials(self) -> list[Trial]:
        """Every trial, the last setting of the grid varying fastest, then the seed."""
        base = self.base_config()
        names = [name for name, _ in self.grid]
        width = len(str(self.size - 1))
        out = []
        combos = itertools.product(*(values for _, values in self.grid), range(self.seeds))
        for index, (*values, s) in enumerate(combos):
            cfg = base
            for name, value in zip(names, values):
                cfg = parse_assignment(cfg, f"{name}={value}")
            if self.seeds > 1:
                cfg = cfg.replace(seed=base.seed + s)
            settings = {name: getattr(cfg, name) for name in names}
            if self.seeds > 1:
                settings["seed"] = cfg.seed
            label = "_".join(f"{k}={_number_text(v)}" for k, v in settings.items())
            out.append(Trial(f"{index:0{width}d}_{label}", settings, cfg))
        return out

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["grid"] = [[name, list(values)] for name, values in self.grid]
        data["sets"] = list(self.sets)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepSpec:
        """The spec a sweep's folder holds (sweep.json); ConfigError when it is not one."""
        try:
            grid = tuple((str(name), tuple(str(v) for v in values)) for name, values in data["grid"])
            return cls(
                preset=str(data["preset"]),
                grid=grid,
                sets=tuple(str(s) for s in data["sets"]),
                seeds=int(data["seeds"]),
                steps=int(data["steps"]),
                device=data.get("device"),
                parzen=bool(data.get("parzen", False)),
                log_every=int(data.get("log_every", 100)),
                save_every=float(data.get("save_every", 30.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"not a sweep's sweep.json ({type(exc).__name__}: {exc})") from None

    def same_trials(self, other: SweepSpec) -> bool:
        """Whether ``other`` trains the same trials (its run length may differ: a longer --steps
        resumes every trial from its checkpoint)."""
        mine, theirs = self.to_dict(), other.to_dict()
        for key in ("steps", "log_every", "save_every"):
            mine.pop(key)
            theirs.pop(key)
        return mine == theirs
