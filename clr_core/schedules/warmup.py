"""`warmup`: a ramp in front of any schedule, as a `Join` (the schedule then counts from its own zero)."""

from __future__ import annotations

from .. import _checks
from .anneal import Anneal
from .base import Schedule
from .join import Join


def warmup(schedule: Schedule, steps: float, *, start_lr: float = 0.0, shape: str = "linear") -> Join:
    """Ramp from `start_lr` to ``schedule.lr_at(0)`` over `steps` iterations, then run `schedule` from its 0.

    Args:
        schedule: any `clr_core.Schedule` (cyclical, one-cycle, restarts, a join, ...).
        steps: warmup iterations, a float > 0.
        start_lr: the first lr, a finite float >= 0.
        shape: ``'linear'`` or ``'cosine'``.

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> schedule = warmup(CyclicSchedule(base_lr=0.1, max_lr=0.5, step_size=2), steps=2)
        >>> [round(schedule.lr_at(i), 3) for i in range(6)]
        [0.0, 0.05, 0.1, 0.3, 0.5, 0.3]
    """
    steps = _checks.positive("steps", steps)
    start_lr = _checks.non_negative("start_lr", start_lr)
    return Join([Anneal(start_lr, schedule.lr_at(0), steps, shape), schedule], [steps])
