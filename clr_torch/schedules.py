"""The core schedules a `clr_torch.CyclicLR` runs: built from its arguments, or given by the caller.

Everything is validated by `clr_core` (the one place that words argument errors) before a scheduler touches
its optimizer. With one `base_lr` and one `max_lr` every param group shares a single `CyclicSchedule`, so
the lr is computed once per step however many groups there are.
"""

from __future__ import annotations

from typing import Any

from clr_core import CyclicSchedule, Schedule
from clr_core.extend import checks, cyclic_arguments


def build_schedules(count: int, schedule: Any = None, **cyclic: Any) -> list[Schedule]:
    """One schedule per param group: `schedule` as given, or `CyclicSchedule`s from the cyclic arguments.

    Args:
        count: the number of param groups (>= 1).
        schedule: None, one object following `clr_core.Schedule` (shared by every group), or a list/tuple
            with one per group. When given, the cyclic arguments must keep their defaults.
        **cyclic: `CyclicSchedule`'s arguments; `base_lr` and `max_lr` may be a list/tuple with one
            value per group.

    Returns:
        A list of `count` schedules; groups with equal arguments share one object.

    Raises:
        ValueError, TypeError: from `clr_core` for a bad value (prefixed with the group when per group),
            or for a list of the wrong length, or `schedule` given together with cyclic arguments.

    Examples:
        >>> schedules = build_schedules(2, base_lr=0.01, max_lr=[0.1, 0.2], step_size=4)
        >>> [s.lr_at(4) for s in schedules]
        [0.1, 0.2]
    """
    arguments = cyclic_arguments(schedule, cyclic)
    if arguments is None:
        return checks.per_item("schedule", schedule, count)
    per_group_bounds = isinstance(arguments["base_lr"], (list, tuple)) or isinstance(arguments["max_lr"], (list, tuple))
    base_lrs = checks.per_item("base_lr", arguments.pop("base_lr"), count)
    max_lrs = checks.per_item("max_lr", arguments.pop("max_lr"), count)
    built: dict[tuple[Any, Any], CyclicSchedule] = {}
    schedules = []
    for index, (base_lr, max_lr) in enumerate(zip(base_lrs, max_lrs)):
        key = (_identity(base_lr), _identity(max_lr))
        if key not in built:
            built[key] = _cyclic(f"param group {index}: " if per_group_bounds and count > 1 else "",
                                 base_lr, max_lr, arguments)
        schedules.append(built[key])
    return schedules


def _cyclic(where: str, base_lr: Any, max_lr: Any, arguments: dict[str, Any]) -> CyclicSchedule:
    """A `CyclicSchedule`, its error (if any) prefixed with `where` (the param group, when per group)."""
    try:
        return CyclicSchedule(base_lr=base_lr, max_lr=max_lr, **arguments)
    except (TypeError, ValueError) as error:
        if not where:
            raise
        raise type(error)(f"{where}{error}") from error


def _identity(value: Any) -> Any:
    """A key under which equal numbers share one schedule (anything else is keyed by its identity)."""
    return (type(value), value) if type(value) in (int, float) else id(value)
