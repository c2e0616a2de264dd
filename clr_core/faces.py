"""One builder for every face: a constructor's arguments in, the schedules, the momentum and the state out.

Every face (the Keras callback and schedule, the torch scheduler) takes the same arguments: the cyclic ones
(`base_lr`, `max_lr`, `step_size`, `mode`, `gamma`, `scale_fn`, `scale_mode`, `step_size_down`,
`waveform`) or a ready ``schedule=``, and, where it cycles momentum, `cycle_momentum`, `base_momentum` and
`max_momentum`. `face_state` turns them into a `clr_core.ScheduleState`, which holds the schedules, their
momentum schedules (``state.momentum_schedules``) and the counters, so that every face has the same
defaults and the same errors, and the state it saves holds the momentum bounds it resumes.

The momentum defaults are defined here only (one per schedule, DESIGN §9)::

    (base_momentum, max_momentum) = (0.85, 0.95)   for a OneCycle (PyTorch's OneCycleLR),
                                    (0.8, 0.9)     for every other schedule (PyTorch's CyclicLR).

A face with several param groups passes their number (`groups`): `base_lr`, `max_lr`, `schedule`,
`base_momentum` and `max_momentum` may then be one value or one per group, and groups with equal bounds
share one schedule object (so the lr is computed once per step).
"""

from __future__ import annotations

from typing import Any

from . import _checks
from .range_test.result import RangeTestResult
from .schedules.base import Schedule
from .schedules.cyclic import CyclicSchedule, checked_schedule, cyclic_arguments
from .schedules.momentum import momentum_bounds
from .schedules.one_cycle import OneCycle
from .state import ScheduleState

#: ``(base_momentum, max_momentum)`` when not given: PyTorch's CyclicLR defaults, and OneCycleLR's.
CYCLIC_MOMENTUM = (0.8, 0.9)
ONE_CYCLE_MOMENTUM = (0.85, 0.95)


def default_momentum(schedule: Schedule) -> tuple[float, float]:
    """The ``(base_momentum, max_momentum)`` a face uses for `schedule` when the caller gives none.

    Examples:
        >>> default_momentum(OneCycle(0.1, 100)), default_momentum(CyclicSchedule())
        ((0.85, 0.95), (0.8, 0.9))
    """
    return ONE_CYCLE_MOMENTUM if isinstance(schedule, OneCycle) else CYCLIC_MOMENTUM


def face_state(schedule: Any = None, *, groups: int = 1, cycle_momentum: bool = False, base_momentum: Any = None,
               max_momentum: Any = None, keep_history: bool | int = True, **cyclic: Any) -> ScheduleState:
    """The state of a face built with these arguments: its schedules, its momentum and fresh counters.

    Args:
        schedule: None (build `CyclicSchedule`s from `cyclic`), one `clr_core` schedule (shared by every
            group) or a list/tuple with one per group.
        groups: the number of param groups (>= 1); 1 for a face with one learning rate.
        cycle_momentum: step (and record) a momentum cycled inversely to the lr.
        base_momentum: the momentum at the highest lr, in [0, 1), one or one per group; None for the
            default of each group's schedule (`default_momentum`). Checked also when momentum is not cycled.
        max_momentum: the momentum at the lowest lr, in [base_momentum, 1), one or one per group.
        keep_history: what the history keeps (see `clr_core.History`).
        **cyclic: `CyclicSchedule`'s arguments; `base_lr` and `max_lr` may be one per group.

    Raises:
        TypeError, ValueError: any bad argument, with its name, range and value (prefixed with the param
            group when given per group); nothing is built then.

    Examples:
        >>> state = face_state(base_lr=0.1, max_lr=0.5, step_size=2, cycle_momentum=True)
        >>> state.lr, state.momentum, state.momentum_bounds
        (0.1, 0.9, ((0.8, 0.9),))
    """
    schedules = face_schedules(groups, schedule, **cyclic)
    cycle_momentum = _checks.flag("cycle_momentum", cycle_momentum)
    bounds = face_momentum(schedules, base_momentum, max_momentum)
    state = ScheduleState(schedules, keep_history=keep_history)
    if cycle_momentum:
        try:
            state.set_momentum(bounds)
        except TypeError as error:
            raise TypeError(f"cycle_momentum=True: {error}") from error
    return state


def face_schedules(groups: int, schedule: Any = None, **cyclic: Any) -> list[Schedule]:
    """One schedule per group: `schedule` as given, or `CyclicSchedule`s from the cyclic arguments.

    Groups with equal bounds share one object.

    Examples:
        >>> schedules = face_schedules(2, base_lr=0.01, max_lr=[0.1, 0.2], step_size=4)
        >>> [s.lr_at(4) for s in schedules]
        [0.1, 0.2]
    """
    arguments = cyclic_arguments(schedule, cyclic)
    if arguments is None:
        given = _checks.per_item("schedule", schedule, groups)
        return [checked_schedule(item) for item in given]
    per_group = isinstance(arguments["base_lr"], (list, tuple)) or isinstance(arguments["max_lr"], (list, tuple))
    base_lrs = _checks.per_item("base_lr", arguments.pop("base_lr"), groups)
    max_lrs = _checks.per_item("max_lr", arguments.pop("max_lr"), groups)
    built: dict[tuple[Any, Any], CyclicSchedule] = {}
    schedules: list[Schedule] = []
    for index, (base_lr, max_lr) in enumerate(zip(base_lrs, max_lrs)):
        key = (_identity(base_lr), _identity(max_lr))
        if key not in built:
            built[key] = _cyclic(f"param group {index}: " if per_group and groups > 1 else "",
                                 base_lr, max_lr, arguments)
        schedules.append(built[key])
    return schedules


def face_momentum(schedules: list[Schedule], base_momentum: Any, max_momentum: Any) -> list[tuple[float, float]]:
    """``(base_momentum, max_momentum)`` per schedule, checked; None takes each schedule's default.

    Examples:
        >>> face_momentum([CyclicSchedule(), OneCycle(0.1, 100)], None, None)
        [(0.8, 0.9), (0.85, 0.95)]
        >>> face_momentum([CyclicSchedule()], 0.7, None)
        [(0.7, 0.9)]
    """
    count = len(schedules)
    bases = _checks.per_item("base_momentum", base_momentum, count)
    tops = _checks.per_item("max_momentum", max_momentum, count)
    per_group = count > 1 and (isinstance(base_momentum, (list, tuple)) or isinstance(max_momentum, (list, tuple)))
    pairs = []
    for index, (schedule, base, top) in enumerate(zip(schedules, bases, tops)):
        default_base, default_top = default_momentum(schedule)
        pairs.append(momentum_bounds(default_base if base is None else base, default_top if top is None else top,
                                     f" (param group {index})" if per_group else ""))
    return pairs


def planned_schedule(result: Any, face: str, **plan: Any) -> Schedule:
    """``result.schedule(**plan)``: a range test's bounds planned in epochs, for a face's ``from_range_test``.

    Raises:
        TypeError: `result` is not a `clr_core.RangeTestResult` (the message names `face`'s range test).
    """
    if not isinstance(result, RangeTestResult):
        raise TypeError(f"result must be a clr_core.RangeTestResult (what {face}.range_test returns), got "
                        f"{type(result).__name__}")
    return result.schedule(**plan)


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
