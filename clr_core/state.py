"""`ScheduleState`: a schedule with its two counters and its history; what every adapter keeps.

The counters follow DESIGN.md section 2: the first step runs at ``lr_at(0)``; after each completed step both
`cycle_iterations` (what the formula receives, set back to 0 by `reset`) and `total_iterations` (never reset;
what the history records) grow by one. Several schedules (one per optimizer param group) share the counters;
``history['lr']`` follows the first and ``history['lr_group1']``, ... the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _checks
from .history import History
from .schedules.base import Schedule, describe_schedules, restore_schedules
from .schedules.join import ScheduleEnded

#: The layout of `ScheduleState.state_dict()`: 2 packs the history (`clr_core._packing`); 1 (plain lists) loads too.
STATE_FORMAT = 2
_LOADABLE_FORMATS = (1, 2)


class ScheduleState:
    """Counters, history and the current learning rate(s) of one or more schedules stepped together.

    Args:
        schedule: any object following `clr_core.Schedule` (e.g. `CyclicSchedule`), or a non-empty
            sequence of them, one per param group.
        keep_history: True keeps the whole history (default); False records none (O(1) memory, a state
            dict of a few hundred bytes at any length); an int N >= 1 keeps the last N steps. The counters
            and schedules are the state, so resuming is exact in every mode.

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> state = ScheduleState(CyclicSchedule(base_lr=1.0, max_lr=3.0, step_size=2))
        >>> [state.step(loss=0.5) for _ in range(4)]
        [2.0, 3.0, 2.0, 1.0]
        >>> state.history['lr'], state.history['iterations']
        ([1.0, 2.0, 3.0, 2.0], [1, 2, 3, 4])
        >>> state.reset(max_lr=5.0)
        >>> state.lr, state.cycle_iterations, state.total_iterations
        (1.0, 0, 4)
    """

    def __init__(self, schedule: Schedule | Sequence[Schedule], keep_history: bool | int = True) -> None:
        schedules = tuple(schedule) if isinstance(schedule, Sequence) else (schedule,)
        if not schedules:
            raise ValueError("schedule must be a schedule or a non-empty sequence of schedules, got an empty one")
        for item in schedules:
            if not isinstance(item, Schedule):
                raise TypeError(f"schedule must follow clr_core.Schedule (lr_at, evaluate, to_config, describe, "
                                f"restore), got {type(item).__name__}")
        self._schedules = schedules
        self.cycle_iterations = 0
        self.total_iterations = 0
        self.history = History(keep=keep_history)
        self._latest: tuple[list[float], dict[str, float] | None] = ([], None)
        self._lr_keys = ("lr", *(f"lr_group{k}" for k in range(1, len(schedules))))
        self._sharing: tuple[Any, bool] = (None, False)
        self._ended: ScheduleEnded | None = None
        self._lrs = self._lrs_at(0)

    @property
    def schedule(self) -> Schedule:
        """The (first) schedule, as changed by the latest `reset`."""
        return self._schedules[0]

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        """Every schedule, one per param group."""
        return self._schedules

    @property
    def lr(self) -> float:
        """The lr the next step runs at (first schedule).

        Past the end of a schedule that raises there: the last lr, held until `step` refuses to record a step
        past the end.
        """
        return self._lrs[0]

    @property
    def lrs(self) -> list[float]:
        """The lrs the next step runs at, one per schedule (held at the end, as `lr`)."""
        return list(self._lrs)

    @property
    def keep_history(self) -> bool | int:
        """What the history keeps: True (everything), False (nothing) or N (the last N steps)."""
        return self.history.keep

    @property
    def latest(self) -> dict[str, float]:
        """The lrs (``'lr'``, ``'lr_group1'``, ...) and metrics of the latest completed step.

        Kept whatever the history keeps; empty before the first step and after a load.
        """
        lrs, metrics = self._latest
        return {**dict(zip(self._lr_keys, lrs)), **(metrics or {})}

    @property
    def ended(self) -> bool:
        """True when the next iteration is past the end of a schedule built with ``after='raise'``."""
        return self._ended is not None

    def _lrs_or_last(self, iteration: int, schedules: tuple[Schedule, ...] | None = None
                     ) -> tuple[list[float], ScheduleEnded | None]:
        """The lrs at `iteration`, or past the end of a schedule that raises there, the last ones and why."""
        try:
            return self._lrs_at(iteration, schedules), None
        except ScheduleEnded as ended:
            return self._lrs_at(iteration - 1, schedules), ended

    def _lrs_at(self, iteration: int, schedules: tuple[Schedule, ...] | None = None) -> list[float]:
        schedules = self._schedules if schedules is None else schedules
        first = schedules[0]
        first_lr = _as_float(first.lr_at(iteration))
        if schedules is not self._sharing[0]:
            self._sharing = (schedules, all(item is first for item in schedules))
        if self._sharing[1]:  # one schedule object for every group (one lr for all): computed once
            return [first_lr] * len(schedules)
        return [first_lr if item is first else _as_float(item.lr_at(iteration)) for item in schedules]

    def step(self, **metrics: Any) -> float:
        """Record a completed step (its lrs and any `metrics`), advance the counters, return the next lr.

        Everything that can fail (the next lr, the metric values) is computed before anything changes. After
        the last iteration of a schedule built with ``after='raise'``, recording one more step raises
        `ScheduleEnded` (a `ValueError`); the step that reaches the end is recorded as usual.
        """
        if self._ended is not None:
            raise ScheduleEnded(str(self._ended))
        next_lrs, ended = self._lrs_or_last(self.cycle_iterations + 1)
        values = self._metric_values(metrics) if metrics else None
        total = self.total_iterations + 1
        self.history.add_lrs(total, self._lr_keys, self._lrs)
        if values:
            self.history._append(total, values)
        self.cycle_iterations += 1
        self.total_iterations = total
        self._latest = (self._lrs, values)
        self._lrs, self._ended = next_lrs, ended
        return next_lrs[0]

    def start_at(self, total_iterations: int, cycle_iterations: int | None = None) -> None:
        """Set the counters, e.g. to continue a run whose optimizer has already taken `total_iterations` steps.

        `cycle_iterations` defaults to `total_iterations` (a run that was never reset). The history is kept.

        Examples:
            >>> from clr_core import CyclicSchedule
            >>> state = ScheduleState(CyclicSchedule(base_lr=1.0, max_lr=3.0, step_size=2))
            >>> state.start_at(1)
            >>> state.lr, state.total_iterations
            (2.0, 1)
        """
        total = _checks.count("total_iterations", total_iterations)
        cycle = total if cycle_iterations is None else _checks.count("cycle_iterations", cycle_iterations)
        lrs, ended = self._lrs_or_last(cycle)
        self.total_iterations, self.cycle_iterations, self._lrs, self._ended = total, cycle, lrs, ended

    def log(self, **metrics: Any) -> None:
        """Record metrics at the current total iteration without stepping (e.g. a report after N steps)."""
        self.history._append(self.total_iterations, self._metric_values(metrics))

    def _metric_values(self, metrics: Mapping[str, Any]) -> dict[str, float]:
        """`metrics` as floats, refusing the names the state records itself (``'lr'``, ``'lr_group1'``...)."""
        reserved = [name for name in metrics if name in self._lr_keys]
        if reserved:
            raise ValueError(f"metric name {reserved[0]!r} is recorded by the state itself (the lr of each step); "
                             f"log metrics under other names")
        return self.history._as_floats(metrics)

    def reset(self, base_lr: Any = None, max_lr: Any = None, step_size: Any = None) -> None:
        """Restart the cycle (`cycle_iterations = 0`), changing only the arguments given.

        Each argument is one value for every schedule or a sequence with one per schedule. The history and
        `total_iterations` carry on. Invalid values raise before anything changes.
        """
        changes = {name: _checks.per_item(name, value, len(self._schedules), "schedule")
                   for name, value in (("base_lr", base_lr), ("max_lr", max_lr), ("step_size", step_size))
                   if value is not None}
        schedules = self._schedules
        if changes:
            built: dict[tuple[int, str], Schedule] = {}  # groups that shared a schedule keep sharing one
            replaced = []
            for k, item in enumerate(schedules):
                change = {name: values[k] for name, values in changes.items()}
                key = (id(item), repr(change))
                if key not in built:
                    built[key] = _replaced(item, change)
                replaced.append(built[key])
            schedules = tuple(replaced)
        lrs = self._lrs_at(0, schedules)
        self._schedules, self.cycle_iterations, self._lrs, self._ended = schedules, 0, lrs, None

    def state_dict(self) -> dict[str, Any]:
        """Plain Python data (no functions).

        Counters, the history (packed, see `History.state_dict`) and a description of each schedule.
        """
        return {
            "format": STATE_FORMAT,
            "cycle_iterations": self.cycle_iterations,
            "total_iterations": self.total_iterations,
            "schedules": describe_schedules(self._schedules),
            "history": self.history.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Adopt a `state_dict()`: counters, history and schedules as saved (bounds changed by a reset included).

        A custom `scale_fn` comes from this object's schedules and must match the saved one.

        The whole state is checked before anything changes; a mismatch raises `ValueError`.
        """
        if not isinstance(state, Mapping) or state.get("format") not in _LOADABLE_FORMATS:
            raise ValueError(f"state must be a mapping from ScheduleState.state_dict() with format "
                             f"{' or '.join(map(str, _LOADABLE_FORMATS))}, got {str(state)[:200]}")
        cycle_iterations = _checks.count("cycle_iterations", state.get("cycle_iterations"))
        total_iterations = _checks.count("total_iterations", state.get("total_iterations"))
        schedules = tuple(restore_schedules(self._schedules, state.get("schedules"), holder="state"))
        history = History.from_state_dict(state.get("history", {"values": {}}))
        lrs, ended = self._lrs_or_last(cycle_iterations, schedules)
        self._schedules, self.cycle_iterations, self.total_iterations, self._lrs, self._ended = (
            schedules, cycle_iterations, total_iterations, lrs, ended)
        self.history.adopt(history)
        self._latest = ([], None)


def _as_float(lr: Any) -> float:
    return lr if type(lr) is float else float(lr)


def _replaced(schedule: Schedule, changes: dict[str, Any]) -> Schedule:
    replace = getattr(schedule, "replace", None)
    if replace is None:
        raise TypeError(f"{type(schedule).__name__} cannot change {', '.join(changes)} on reset; call reset() "
                        f"without arguments or build a new schedule")
    replaced: Schedule = replace(**changes)
    return replaced
