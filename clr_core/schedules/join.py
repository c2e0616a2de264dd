"""`Join`: schedules one after another, each seeing its own iteration count from zero (the optax way).

Warmup, one-cycle and any phase plan are joins; the join also says what happens past its end: hold the
last value, repeat from the start, or raise a clear error (instead of PyTorch's "Tried to step N times").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import _checks
from .._ops import ArrayOps
from .base import (
    Schedule,
    ScheduleBase,
    describe_schedules,
    init_fields,
    lr_range_of,
    register_schedule_kind,
    restore_schedules,
    schedule_from_config,
    schedule_to_config,
)

AFTER = ("hold", "repeat", "raise")


class ScheduleEnded(ValueError):
    """An iteration past the end of a schedule built with ``after='raise'``."""


@register_schedule_kind
@dataclass(frozen=True)
class Join(ScheduleBase):
    """`schedules[0]` until `boundaries[0]`, then `schedules[1]` (from its iteration 0), and so on.

    Args:
        schedules: two or more schedules (any `clr_core.Schedule`).
        boundaries: the iteration at which each schedule after the first starts; increasing, > 0, one fewer
            than `schedules`. May be fractional (PyTorch's one-cycle phases are).
        length: the number of iterations the join covers (iterations 0 to ``length - 1``), a float >= 1,
            or None for no end (the last schedule runs for ever).
        after: past the end, ``'hold'`` the value of the last iteration, ``'repeat'`` from the start, or
            ``'raise'`` a `ValueError` (arrays and numbers; an in-graph schedule holds).

    Examples:
        >>> from clr_core import Anneal
        >>> warm_then_decay = Join([Anneal(0.0, 1.0, 2), Anneal(1.0, 0.0, 4)], boundaries=[2], length=7)
        >>> [warm_then_decay.lr_at(i) for i in range(9)]
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0]
    """

    schedules: Sequence[Schedule]
    boundaries: Sequence[float]
    length: float | None = None
    after: str = "hold"
    kind: ClassVar[str] = "join"

    def __post_init__(self) -> None:
        schedules = tuple(self.schedules) if isinstance(self.schedules, Sequence) else ()
        if len(schedules) < 2 or not all(isinstance(item, Schedule) for item in schedules):
            raise TypeError(f"schedules must be two or more clr_core schedules, got "
                            f"{self.schedules!r}")
        if isinstance(self.boundaries, (str, bytes)) or not isinstance(self.boundaries, Sequence):
            raise TypeError(f"boundaries must be a list of iterations, got {_checks.shown(self.boundaries)}")
        boundaries = tuple(_checks.positive("boundaries entry", value) for value in self.boundaries)
        if len(boundaries) != len(schedules) - 1:
            raise ValueError(f"boundaries must have one entry fewer than schedules ({len(schedules) - 1}), "
                             f"got {len(boundaries)}")
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ValueError(f"boundaries must increase, got {list(boundaries)}")
        if self.length is not None:  # at least iteration 0: a shorter one would hold a negative iteration
            length = _checks.finite("length", self.length, low=1.0, low_inclusive=True, range_text=">= 1")
            if length <= boundaries[-1]:
                raise ValueError(f"length must be > the last boundary ({boundaries[-1]!r}), got {self.length!r}")
            object.__setattr__(self, "length", length)
        _checks.choice("after", self.after, AFTER)
        object.__setattr__(self, "schedules", schedules)
        object.__setattr__(self, "boundaries", boundaries)

    def lr_at(self, iteration: Any) -> Any:
        if self.after == "raise" and self.length is not None:
            last = _largest(iteration)
            if last is not None and last > self.length - 1:
                raise ScheduleEnded(f"this schedule covers iterations 0 to {self.length - 1:g} and iteration "
                                 f"{last:g} is past its end; build it with after='hold' or 'repeat', or longer")
        return super().lr_at(iteration)

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        if self.length is not None:
            if self.after == "repeat":
                iteration = ops.fmod(iteration, self.length)
            else:
                iteration = ops.minimum(iteration, self.length - 1.0)
        value = self.schedules[0].evaluate(iteration, ops)
        for start, schedule in zip(self.boundaries, self.schedules[1:]):
            local = schedule.evaluate(ops.maximum(iteration - start, 0.0), ops)
            value = ops.where(iteration >= start, local, value)
        return value

    def lr_range(self) -> tuple[float, float]:
        """The union of its pieces' ranges (each piece's `lr_range`; raises `TypeError` if one has none)."""
        ranges = [lr_range_of(item) for item in self.schedules]
        return min(low for low, _ in ranges), max(high for _, high in ranges)

    def to_config(self) -> dict[str, Any]:
        return {"schedules": [schedule_to_config(item) for item in self.schedules],
                "boundaries": list(self.boundaries), "length": self.length, "after": self.after}

    @classmethod
    def from_config(cls, config: dict[str, Any], *, safe_mode: bool = True) -> Join:
        arguments = _checks.config_keys("Join config", config, init_fields(cls), ("schedules",))
        items = arguments["schedules"]
        if not isinstance(items, list):
            raise TypeError(f"Join config 'schedules' must be a list, got {type(items).__name__}")
        return cls(**{**arguments, "schedules": [schedule_from_config(item, safe_mode=safe_mode) for item in items]})

    def describe(self) -> dict[str, Any]:
        return {"schedules": describe_schedules(self.schedules),
                "boundaries": list(self.boundaries), "length": self.length, "after": self.after}

    def restore(self, description: dict[str, Any]) -> Join:
        fields = init_fields(type(self))
        saved = _checks.config_keys("saved join", description, fields, fields)
        restored = restore_schedules(self.schedules, saved["schedules"], holder="join")
        return type(self)(restored, saved["boundaries"], saved["length"], saved["after"])


def _largest(iteration: Any) -> float | None:
    """The largest iteration asked for (None for an empty array or anything `lr_at` will refuse)."""
    if isinstance(iteration, (int, float)) and not isinstance(iteration, bool):
        return float(iteration) if math.isfinite(iteration) else None
    try:
        import numpy

        values = numpy.asarray(iteration, dtype=float)
    except (TypeError, ValueError):
        return None
    return float(values.max()) if values.size and numpy.isfinite(values).all() else None
