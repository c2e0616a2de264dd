"""`ScheduleBase`: the checked `lr_at`, and saving, for schedules defined by their `evaluate` alone.

A schedule kind writes `evaluate(i, ops)` once (against `clr_core.ops`) and `to_config` / `from_config`;
this base gives it `lr_at` for numbers and numpy arrays, `describe` and `restore` (plain data, as configs),
and registration under its `kind` name so state dicts and configs can name it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

from . import _checks
from ._checks import ITERATION_LIMIT as LIMIT
from .arrays import lr_at_array
from .ops import MATH_OPS, ArrayOps


class ScheduleBase:
    """Base of the composable schedules (`Anneal`, `Join`, `OneCycle`, `CosineRestarts`, ...)."""

    kind: ClassVar[str] = ""

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        """The value at `iteration`, written once with `ops` (numbers, numpy arrays or tensors alike)."""
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        """The constructor's arguments as JSON-safe data (what `from_config` takes back)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any], *, safe_mode: bool = True) -> Any:
        """A schedule built from `to_config()` output; unknown keys are refused (`ValueError`).

        `safe_mode` is passed on to the schedules a config holds (see `clr_core.schedule_from_config`).
        """
        _checks.flag("safe_mode", safe_mode)
        return cls(**_checks.config_keys(f"{cls.__name__} config", config, init_fields(cls)))

    def lr_at(self, iteration: Any) -> Any:
        """The value at `iteration` (an int or float >= 0, or a numpy array of them)."""
        if isinstance(iteration, (int, float)) and not isinstance(iteration, bool):
            if not 0 <= iteration < LIMIT:
                raise ValueError(f"iteration must be a number in [0, 2**53), got {iteration!r}")
            value = float(self.evaluate(float(iteration), MATH_OPS))
            if not math.isfinite(value):
                raise ValueError(f"the schedule gave a non-finite lr at iteration {iteration!r}")
            return value
        return lr_at_array(self.evaluate, iteration)

    def describe(self) -> dict[str, Any]:
        """Plain data for a state dict: the config (schedules holding other schedules override this)."""
        return self.to_config()

    def restore(self, description: dict[str, Any]) -> Any:
        """The schedule a `describe()` output holds."""
        return self.from_config(description)


def init_fields(cls: type) -> tuple[str, ...]:
    """The constructor arguments of a dataclass schedule (what its config may hold)."""
    return tuple(item.name for item in dataclasses.fields(cls) if item.init)
