"""`RangeSweep`: the lr of each step of an LR range test, rising from `start_lr` to `end_lr`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import _checks
from .._ops import ArrayOps
from ..schedules.base import ScheduleBase, register_schedule_kind

SWEEPS = ("exponential", "linear")


@register_schedule_kind
@dataclass(frozen=True)
class RangeSweep(ScheduleBase):
    """The lr of step ``k`` of a range test: from `start_lr` at ``k = 0`` to `end_lr` at ``k = num_iter - 1``.

    ``'exponential'``: ``start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))`` (even steps on a log axis,
    the usual choice); ``'linear'``: ``start_lr + (end_lr - start_lr) * k / (num_iter - 1)`` (Smith's
    original). Past the end the lr stays at `end_lr`.

    Examples:
        >>> sweep = RangeSweep(1e-4, 1.0, num_iter=5)
        >>> [round(sweep.lr_at(k), 6) for k in range(5)]
        [0.0001, 0.001, 0.01, 0.1, 1.0]
    """

    start_lr: float = 1e-7
    end_lr: float = 10.0
    num_iter: int = 100
    sweep: str = "exponential"
    kind: ClassVar[str] = "range_sweep"

    def __post_init__(self) -> None:
        start = _checks.positive("start_lr", self.start_lr)
        end = _checks.positive("end_lr", self.end_lr)
        if end <= start:
            raise ValueError(f"end_lr must be > start_lr ({start!r}), got {self.end_lr!r}")
        if not math.isfinite(end / start):
            raise ValueError(f"end_lr / start_lr must be a finite ratio, got end_lr={end!r} over start_lr={start!r}")
        _checks.count("num_iter", self.num_iter, low=2, high=_checks.STEP_LIMIT)
        _checks.choice("sweep", self.sweep, SWEEPS)
        object.__setattr__(self, "start_lr", start)
        object.__setattr__(self, "end_lr", end)

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        fraction = ops.minimum(iteration / (self.num_iter - 1), 1.0)
        if self.sweep == "linear":
            return self.start_lr + (self.end_lr - self.start_lr) * fraction
        return self.start_lr * ops.power(self.end_lr / self.start_lr, fraction)

    def lr_range(self) -> tuple[float, float]:
        """``(start_lr, end_lr)``."""
        return self.start_lr, self.end_lr

    def to_config(self) -> dict[str, Any]:
        return {"start_lr": self.start_lr, "end_lr": self.end_lr, "num_iter": self.num_iter, "sweep": self.sweep}
