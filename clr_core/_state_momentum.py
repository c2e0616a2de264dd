"""The momentum a `ScheduleState` steps with its lrs: the bounds given, each schedule's momentum schedule, its values.

``(base_momentum, max_momentum)`` per lr schedule gives ``momentum_for(schedule, base, max)`` per schedule
(DESIGN.md section 9). A momentum that mirrors an lr schedule is computed from that schedule's lr, which
`ScheduleState.step` has computed already, rather than by evaluating the schedule a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import _checks
from .schedules.base import Schedule
from .schedules.momentum import Mirrored, momentum_bounds, momentum_for


def checked_bounds(momentum: Any, count: int) -> tuple[tuple[float, float], ...] | None:
    """`momentum` (None, one pair, or one pair per schedule) as checked bounds for `count` schedules."""
    if momentum is None:
        return None
    pairs = list(momentum) if _is_pair_sequence(momentum) else [momentum] * count
    if len(pairs) != count:
        raise ValueError(f"momentum must be one (base_momentum, max_momentum) pair or one per schedule "
                         f"({count}), got {len(pairs)} pairs")
    return tuple(checked_pair(item, k if count > 1 else None) for k, item in enumerate(pairs))


def checked_pair(pair: Any, index: int | None) -> tuple[float, float]:
    """One ``(base_momentum, max_momentum)`` pair, checked; `index` names its schedule when there are several."""
    if not isinstance(pair, Sequence) or isinstance(pair, (str, bytes)) or len(pair) != 2:
        raise ValueError(f"momentum must be a (base_momentum, max_momentum) pair, got {_checks.shown(pair, 200)}")
    return momentum_bounds(pair[0], pair[1], "" if index is None else f" (schedule {index})")


def momentum_schedules(schedules: tuple[Schedule, ...],
            bounds: tuple[tuple[float, float], ...] | None) -> tuple[Schedule, ...] | None:
    """The momentum schedule of each of `schedules` (those sharing a schedule and bounds share one)."""
    if bounds is None:
        return None
    built: dict[tuple[int, tuple[float, float]], Schedule] = {}
    for schedule, pair in zip(schedules, bounds):
        key = (id(schedule), pair)
        if key not in built:
            built[key] = momentum_for(schedule, *pair)
    return tuple(built[(id(schedule), pair)] for schedule, pair in zip(schedules, bounds))


def momentums_at(iteration: int, derived: tuple[Schedule, ...] | None, schedules: tuple[Schedule, ...],
                 lrs: list[float]) -> list[float]:
    """The momentum of each schedule at `iteration`, where `lrs` are the schedules' lrs there."""
    if derived is None:
        return []
    first = derived[0]
    value = _momentum_at(first, schedules[0], lrs[0], iteration)
    return [value if item is first else _momentum_at(item, schedule, lr, iteration)
            for item, schedule, lr in zip(derived, schedules, lrs)]


def _is_pair_sequence(momentum: Any) -> bool:
    """True for ``[(base, max), ...]`` (one pair per schedule), False for one ``(base, max)`` pair."""
    return isinstance(momentum, Sequence) and bool(momentum) and isinstance(momentum[0], Sequence)


def _momentum_at(momentum: Schedule, schedule: Schedule, lr: float, iteration: int) -> float:
    """From the lr computed already when the momentum mirrors that very schedule, else from the iteration."""
    if momentum.__class__ is Mirrored and momentum.schedule is schedule:
        return momentum.from_lr(lr)
    value = momentum.lr_at(iteration)
    return value if type(value) is float else float(value)
