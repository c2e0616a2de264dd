"""`ScheduleState`: a schedule with its two counters and its history; what every adapter keeps.

The counters follow DESIGN.md section 2: the first step runs at ``lr_at(0)``; after each completed step both
`cycle_iterations` (what the formula receives, set back to 0 by `reset`) and `total_iterations` (never reset;
what the history records) grow by one. Several schedules (one per optimizer param group) share the counters;
``history['lr']`` follows the first and ``history['lr_group1']``, ... the others. With momentum bounds the
state also holds each schedule's momentum (`momentum_for`) and records it the same way, in
``history['momentum']``, ``'momentum_group1'``, ...: every adapter records momentum through here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _checks, _plans
from .history import History
from .schedules.base import Schedule, describe_schedules, restore_schedules
from .schedules.join import ScheduleEnded
from .schedules.momentum import Mirrored, momentum_bounds, momentum_for

#: The layout of `ScheduleState.state_dict()`: 2 packs the history (`clr_core._packing`); 1 (plain lists) loads too.
STATE_FORMAT = 2
_LOADABLE_FORMATS = (1, 2)
STATE_KEYS = ("format", "cycle_iterations", "total_iterations", "schedules", "history")


class ScheduleState:
    """Counters, history and the current learning rate(s) of one or more schedules stepped together.

    Args:
        schedule: any object following `clr_core.Schedule` (e.g. `CyclicSchedule`), or a non-empty
            sequence of them, one per param group.
        keep_history: True keeps the whole history (default); False records none (O(1) memory, a state
            dict of a few hundred bytes at any length); an int N >= 1 keeps the last N steps. The counters
            and schedules are the state, so resuming is exact in every mode.
        momentum: None (no momentum), or ``(base_momentum, max_momentum)`` for every schedule, or a sequence
            with one such pair per schedule: the state then also steps ``momentum_for(schedule, base, max)``
            and records it (see `set_momentum`).

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
        >>> cycled = ScheduleState(CyclicSchedule(base_lr=1.0, max_lr=3.0, step_size=2), momentum=(0.5, 0.75))
        >>> cycled.step(), cycled.step()
        (2.0, 3.0)
        >>> cycled.history['momentum'], cycled.momentum
        ([0.75, 0.625], 0.5)
    """

    def __init__(self, schedule: Schedule | Sequence[Schedule], keep_history: bool | int = True,
                 momentum: Any = None) -> None:
        schedules = tuple(schedule) if isinstance(schedule, Sequence) else (schedule,)
        if not schedules:
            raise ValueError("schedule must be a schedule or a non-empty sequence of schedules, got an empty one")
        for item in schedules:
            if not isinstance(item, Schedule):
                raise TypeError(f"schedule must follow clr_core.Schedule (lr_at, evaluate, to_config, describe, "
                                f"restore), got {type(item).__name__}")
        self.cycle_iterations = 0
        self.total_iterations = 0
        self.history = History(keep=keep_history)
        self._latest: tuple[list[float], dict[str, float] | None] = ([], None)
        self._lr_keys = ("lr", *(f"lr_group{k}" for k in range(1, len(schedules))))
        self._ended: ScheduleEnded | None = None
        self._lrs = self._lrs_at(0, schedules)
        self._momentum_bounds: tuple[tuple[float, float], ...] | None = None
        self._adopt(schedules, None)
        self._momentums: list[float] = []
        self._record_keys = self._lr_keys
        self.set_momentum(momentum)

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
        """The lrs (``'lr'``, ``'lr_group1'``, ...), momenta (when stepped) and metrics of the latest step.

        Kept whatever the history keeps; empty before the first step and after a load.
        """
        lrs, metrics = self._latest
        return {**dict(zip(self._record_keys, lrs)), **(metrics or {})}

    @property
    def momentum(self) -> float | None:
        """The momentum the next step runs at (first schedule), or None without momentum bounds."""
        return self._momentums[0] if self._momentums else None

    @property
    def momentums(self) -> list[float] | None:
        """The momentum the next step runs at, one per schedule, or None without momentum bounds."""
        return list(self._momentums) if self._momentum_schedules is not None else None

    @property
    def momentum_schedules(self) -> tuple[Schedule, ...] | None:
        """The momentum schedule of each lr schedule (derived again after a reset or a load), or None."""
        return self._momentum_schedules

    @property
    def momentum_bounds(self) -> tuple[tuple[float, float], ...] | None:
        """``(base_momentum, max_momentum)`` per schedule, or None."""
        return self._momentum_bounds

    def set_momentum(self, momentum: Any) -> None:
        """Step a momentum with the lr from now on (or stop, with None), recorded as ``history['momentum']``.

        Args:
            momentum: ``(base_momentum, max_momentum)`` for every schedule, or one such pair per schedule.
                Each schedule's momentum is ``momentum_for(schedule, base, max)``: `max_momentum` at its
                lowest lr, `base_momentum` at its highest (a `OneCycle` brings its own phases).

        Raises:
            ValueError, TypeError: bad bounds, or a schedule whose lr range cannot be told. Nothing changes.
        """
        if momentum is None:
            bounds = None
        else:
            pairs = list(momentum) if _is_pair_sequence(momentum) else [momentum] * len(self._schedules)
            if len(pairs) != len(self._schedules):
                raise ValueError(f"momentum must be one (base_momentum, max_momentum) pair or one per schedule "
                                 f"({len(self._schedules)}), got {len(pairs)} pairs")
            bounds = tuple(_momentum_pair(pair, k if len(self._schedules) > 1 else None)
                           for k, pair in enumerate(pairs))
        derived = self._derived_momentum(self._schedules, bounds)
        momentums = self._momentums_at(self.cycle_iterations - (self._ended is not None), derived,
                                       self._schedules, self._lrs)
        count = len(self._schedules)
        momentum_keys = () if bounds is None else ("momentum", *(f"momentum_group{k}" for k in range(1, count)))
        self._momentum_bounds, self._momentums = bounds, momentums
        self._adopt(self._schedules, derived)
        self._record_keys = (*self._lr_keys, *momentum_keys)

    @staticmethod
    def _derived_momentum(schedules: tuple[Schedule, ...],
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

    @staticmethod
    def _momentums_at(iteration: int, derived: tuple[Schedule, ...] | None, schedules: tuple[Schedule, ...],
                      lrs: list[float]) -> list[float]:
        """The momentum of each schedule at `iteration`, where `lrs` are the schedules' lrs there."""
        if derived is None:
            return []
        first = derived[0]
        value = _momentum_at(first, schedules[0], lrs[0], iteration)
        return [value if item is first else _momentum_at(item, schedule, lr, iteration)
                for item, schedule, lr in zip(derived, schedules, lrs)]

    def _adopt(self, schedules: tuple[Schedule, ...], derived: tuple[Schedule, ...] | None) -> None:
        """Take `schedules` and their momentum schedules, and the shortcuts `step` takes with them.

        `step` runs at every optimizer step, so what it can skip is decided here, once per change: one lr
        schedule object for every group (one lr for all), and one momentum that mirrors it (computed from
        that lr, without evaluating the schedule again).
        """
        first = schedules[0]
        self._schedules, self._momentum_schedules = schedules, derived
        self._shared = all(item is first for item in schedules)
        mirror = None if derived is None else derived[0]
        shared = derived is not None and all(item is mirror for item in derived)
        if not (shared and self._shared and type(mirror) is Mirrored and mirror.schedule is first):
            mirror = None
        self._mirror = mirror

    @property
    def ended(self) -> bool:
        """True when the next iteration is past the end of a schedule built with ``after='raise'``."""
        return self._ended is not None

    def _lrs_or_last(self, iteration: int, schedules: tuple[Schedule, ...] | None = None
                     ) -> tuple[list[float], ScheduleEnded | None]:
        """The lrs at `iteration`, or past the end of a schedule that raises there, the last ones and why."""
        schedules = self._schedules if schedules is None else schedules
        try:
            return self._lrs_at(iteration, schedules), None
        except ScheduleEnded as ended:
            return self._lrs_at(iteration - 1, schedules), ended

    @staticmethod
    def _lrs_at(iteration: int, schedules: tuple[Schedule, ...]) -> list[float]:
        first = schedules[0]
        first_lr = _as_float(first.lr_at(iteration))  # groups sharing the first schedule share its lr
        return [first_lr if item is first else _as_float(item.lr_at(iteration)) for item in schedules]

    def step(self, **metrics: Any) -> float:
        """Record a completed step (its lrs and any `metrics`), advance the counters, return the next lr.

        Everything that can fail (the next lr, the metric values) is computed before anything changes. After
        the last iteration of a schedule built with ``after='raise'``, recording one more step raises
        `ScheduleEnded` (a `ValueError`); the step that reaches the end is recorded as usual.
        """
        if self._ended is not None:
            raise ScheduleEnded(str(self._ended))
        ended = None
        try:  # _lrs_or_last, written out with the shortcuts of `_adopt`: this runs at every optimizer step
            if self._shared:
                lr = self._schedules[0].lr_at(self.cycle_iterations + 1)
                next_lrs = [lr if lr.__class__ is float else float(lr)] * len(self._schedules)
            else:
                next_lrs = self._lrs_at(self.cycle_iterations + 1, self._schedules)
        except ScheduleEnded as reason:
            next_lrs, ended = self._lrs, reason
        momentums = self._momentums
        if momentums:
            if self._mirror is not None:
                next_momentums = [self._mirror.from_lr(next_lrs[0])] * len(self._schedules)
            else:
                next_momentums = self._momentums_at(self.cycle_iterations + (ended is None),
                                                    self._momentum_schedules, self._schedules, next_lrs)
        values = self._metric_values(metrics) if metrics else None
        total = self.total_iterations + 1
        recorded = self._lrs + momentums if momentums else self._lrs
        if values:  # the metrics go along with the lrs (and momenta): one append each
            self.history.add_lrs(total, (*self._record_keys, *values), [*recorded, *values.values()])
        else:
            self.history.add_lrs(total, self._record_keys, recorded)
        self.cycle_iterations += 1
        self.total_iterations = total
        self._latest = (recorded, values)
        self._lrs, self._ended = next_lrs, ended
        if momentums:
            self._momentums = next_momentums
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
        momentums = self._momentums_at(cycle - (ended is not None), self._momentum_schedules, self._schedules, lrs)
        self.total_iterations, self.cycle_iterations, self._lrs, self._ended = total, cycle, lrs, ended
        self._momentums = momentums

    def log(self, **metrics: Any) -> None:
        """Record metrics at the current total iteration without stepping (e.g. a report after N steps)."""
        self.history._append(self.total_iterations, self._metric_values(metrics))

    def _metric_values(self, metrics: Mapping[str, Any]) -> dict[str, float]:
        """`metrics` as floats, refusing the names the state records itself (``'lr'``, ``'lr_group1'``...)."""
        reserved = [name for name in metrics if name in self._record_keys]
        if reserved:
            raise ValueError(f"metric name {reserved[0]!r} is recorded by the state itself (the lr or momentum of "
                             f"each step); log metrics under other names")
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
        derived = self._momentum_schedules
        if schedules is not self._schedules:
            derived = self._derived_momentum(schedules, self._momentum_bounds)
        momentums = self._momentums_at(0, derived, schedules, lrs)
        self.cycle_iterations, self._lrs, self._ended, self._momentums = 0, lrs, None, momentums
        self._adopt(schedules, derived)

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

    def load_state_dict(self, state: Mapping[str, Any], plan: str | None = None) -> None:
        """Adopt a `state_dict()`: counters, history and the plan `plan` chooses.

        Args:
            state: a `state_dict()` output.
            plan: which schedules continue. ``'saved'``: the saved ones (bounds changed by a reset included; a
                custom `scale_fn` comes from this object's schedules and must match the saved one).
                ``'current'``: the ones this object holds, of any kind, from the saved counters: the next step
                runs at ``schedule.lr_at(cycle_iterations)`` of the new plan, so the lr jumps at the seam to
                wherever the new plan is at that count (nothing is blended). None (the default): the saved
                plan, with a `UserWarning` naming both plans when they differ.

        The whole state is checked before anything changes; a mismatch raises `ValueError`.

        Examples:
            >>> from clr_core import OneCycle
            >>> short = ScheduleState(OneCycle(0.1, total_steps=100))
            >>> for _ in range(100):
            ...     _ = short.step()
            >>> longer = ScheduleState(OneCycle(0.1, total_steps=200))
            >>> longer.load_state_dict(short.state_dict(), plan="current")
            >>> longer.total_iterations, round(longer.lr, 4)
            (100, 0.0803)
        """
        plan = _plans.checked(plan)
        version = state.get("format") if isinstance(state, Mapping) else None
        if type(version) is not int or version not in _LOADABLE_FORMATS:
            raise ValueError(f"state must be a mapping from ScheduleState.state_dict() with format "
                             f"{' or '.join(map(str, _LOADABLE_FORMATS))}, got {_preview(state)}")
        _checks.config_keys("state", state, STATE_KEYS, STATE_KEYS)
        cycle_iterations = _checks.count("cycle_iterations", state["cycle_iterations"])
        total_iterations = _checks.count("total_iterations", state["total_iterations"])
        if cycle_iterations > total_iterations:
            raise ValueError(f"state 'cycle_iterations' ({cycle_iterations}) cannot exceed 'total_iterations' "
                             f"({total_iterations})")
        if plan == "current":
            _plans.check_saved(state["schedules"], len(self._schedules), "state")
            schedules = self._schedules
        else:
            try:
                schedules = tuple(restore_schedules(self._schedules, state["schedules"], holder="state"))
            except RecursionError as error:
                raise ValueError("state 'schedules' is nested too deeply to be a saved schedule") from error
        history = History.from_state_dict(state["history"])
        lrs, ended = self._lrs_or_last(cycle_iterations, schedules)
        derived = self._derived_momentum(schedules, self._momentum_bounds)
        momentums = self._momentums_at(cycle_iterations - (ended is not None), derived, schedules, lrs)
        if plan is None:  # before any change: a warning turned into an error leaves the state as it was
            _plans.warn_if_changed(self._schedules, schedules, stacklevel=2)
        self.cycle_iterations, self.total_iterations, self._lrs, self._ended, self._momentums = (
            cycle_iterations, total_iterations, lrs, ended, momentums)
        self._adopt(schedules, derived)
        self.history.adopt(history)
        self._latest = ([], None)


def _preview(value: Any) -> str:
    """The start of `value`'s repr, for an error message (never fails, never prints megabytes)."""
    try:
        return repr(value)[:200]
    except Exception:  # a broken __repr__ must not hide the real error
        return type(value).__name__
def _is_pair_sequence(momentum: Any) -> bool:
    """True for ``[(base, max), ...]`` (one pair per schedule), False for one ``(base, max)`` pair."""
    return isinstance(momentum, Sequence) and bool(momentum) and isinstance(momentum[0], Sequence)


def _momentum_pair(pair: Any, index: int | None) -> tuple[float, float]:
    if not isinstance(pair, Sequence) or isinstance(pair, (str, bytes)) or len(pair) != 2:
        raise ValueError(f"momentum must be a (base_momentum, max_momentum) pair, got {pair!r:.200}")
    return momentum_bounds(pair[0], pair[1], "" if index is None else f" (schedule {index})")


def _momentum_at(momentum: Schedule, schedule: Schedule, lr: float, iteration: int) -> float:
    """From the lr computed already when the momentum mirrors that very schedule, else from the iteration."""
    if momentum.__class__ is Mirrored and momentum.schedule is schedule:
        return momentum.from_lr(lr)
    return _as_float(momentum.lr_at(iteration))


def _as_float(lr: Any) -> float:
    return lr if type(lr) is float else float(lr)


def _replaced(schedule: Schedule, changes: dict[str, Any]) -> Schedule:
    replace = getattr(schedule, "replace", None)
    if replace is None:
        raise TypeError(f"{type(schedule).__name__} cannot change {', '.join(changes)} on reset; call reset() "
                        f"without arguments or build a new schedule")
    replaced: Schedule = replace(**changes)
    return replaced
