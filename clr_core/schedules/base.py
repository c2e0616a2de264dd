"""What a schedule is: the `Schedule` protocol, the `ScheduleBase` of the built-in kinds, saving by kind.

Adapters and the state object accept any object following `Schedule`, so new kinds plug in without adapter
changes. A kind written on `ScheduleBase` only writes ``evaluate(i, ops)`` once (against the ops namespace)
and ``to_config``; the base gives it the checked door `lr_at` for numbers and numpy arrays, `describe` and
`restore`. `register_schedule_kind` makes a class loadable by `schedule_from_config` under its `kind`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from .. import _checks
from .._arrays import lr_at_array
from .._checks import ITERATION_LIMIT
from .._ops import MATH_OPS, ArrayOps


@runtime_checkable
class Schedule(Protocol):
    """A learning rate (or momentum) as a pure function of the iteration, plus the means to save it.

    - `lr_at(i)`: checked evaluation on an int/float (returns a float) or a numpy array (returns an array).
    - `evaluate(i, ops)`: unchecked evaluation on any array kind, through an `ArrayOps` namespace.
    - `to_config()` / `from_config(config, *, safe_mode=True)`: JSON-safe, complete; refuses what cannot be
      rebuilt from data, and imports a function's import path only with ``safe_mode=False``.
    - `describe()` / `restore(description)`: plain data for a state dict, never failing; `restore` takes
      every function (a custom `scale_fn`) from the object it is called on and never imports anything.
    - `kind`: the name the kind is registered under (a class attribute).

    Optional: `lr_range()` returns ``(lowest, highest)``, bounds of every value the schedule gives. Momentum
    cycling (`momentum_for`, ``cycle_momentum=True`` in the adapters) mirrors the lr over that range, so a
    kind without it works everywhere except there. Every built-in kind has one (a `Join`'s is the union of
    its pieces').
    """

    @property
    def kind(self) -> str:
        """The registered kind name, e.g. ``'cyclic'``."""

    def lr_at(self, iteration: Any) -> Any:
        """The checked value at `iteration`: a float for a number, an array for a numpy array."""

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        """The unchecked value at `iteration`, in the array kind of `ops`."""

    def to_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments; raises `ValueError` for what cannot be rebuilt from data."""

    def describe(self) -> dict[str, Any]:
        """Plain data for a state dict; never fails (a lambda is named, not saved)."""

    def restore(self, description: dict[str, Any]) -> Schedule:
        """The schedule `description` holds, taking unsavable parts from this object."""


class ScheduleBase:
    """Base of the built-in schedule kinds: the checked `lr_at` (and `value_at`), and saving as configs."""

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
        """The value at `iteration` (an int or float in [0, 2**53), or a numpy array of them).

        A number gives a float, an array an array of the same shape (computed with whole-array numpy
        operations). Raises `ValueError` for an iteration out of range and for a non-finite result.
        """
        kind = iteration.__class__
        if kind is int or kind is float:  # the per-step hot path
            if 0 <= iteration < ITERATION_LIMIT:
                value = self.evaluate(float(iteration), MATH_OPS)
                if value.__class__ is not float:
                    value = float(value)
                if value - value == 0.0:  # neither NaN nor an infinity
                    return value
                raise ValueError(f"the schedule gave a non-finite lr ({value!r}) at iteration {iteration!r}")
        elif isinstance(iteration, (int, float)) and not isinstance(iteration, bool):
            if 0 <= iteration < ITERATION_LIMIT:  # a numpy scalar or an int/float subclass
                return self.lr_at(float(iteration))
        else:
            return lr_at_array(self.evaluate, iteration)
        raise ValueError(f"iteration must be a number in [0, 2**53), got {iteration!r}")

    def value_at(self, iteration: Any) -> Any:
        """`lr_at` under the name that reads true for momentum schedules (the same checked door)."""
        return self.lr_at(iteration)

    def describe(self) -> dict[str, Any]:
        """Plain data for a state dict: the config (schedules holding other schedules override this)."""
        return self.to_config()

    def restore(self, description: dict[str, Any]) -> Any:
        """The schedule a `describe()` output holds."""
        return self.from_config(description)


def lr_range_of(schedule: Schedule) -> tuple[float, float]:
    """``schedule.lr_range()`` checked: two finite floats, lowest first.

    Raises:
        TypeError: the kind has no `lr_range` (the message says how to give it one).
        ValueError: the range it gives is not two finite numbers ``low <= high``.

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> lr_range_of(CyclicSchedule(base_lr=0.01, max_lr=0.1))
        (0.01, 0.1)
    """
    lr_range = getattr(schedule, "lr_range", None)
    if not callable(lr_range):
        raise TypeError(f"cannot tell the lr range of a {type(schedule).__name__}: give the kind an lr_range() "
                        f"method returning (lowest lr, highest lr)")
    low, high = lr_range()
    if not (isinstance(low, (int, float)) and isinstance(high, (int, float)) and 0 <= low <= high < math.inf):
        raise ValueError(f"{type(schedule).__name__}.lr_range() must return two finite numbers 0 <= low <= high, "
                         f"got {(low, high)!r}")
    return float(low), float(high)


SCHEDULE_KINDS: dict[str, Any] = {}

KindT = TypeVar("KindT", bound="type[ScheduleBase]")


def register_schedule_kind(cls: KindT) -> KindT:
    """Class decorator: make `cls` (with a `kind` name and `from_config`) loadable by `schedule_from_config`."""
    SCHEDULE_KINDS[cls.kind] = cls
    return cls


def schedule_to_config(schedule: Schedule) -> dict[str, Any]:
    """``{"kind": ..., "config": ...}``: everything needed to rebuild `schedule` in another process.

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> schedule_to_config(CyclicSchedule(step_size=10))["kind"]
        'cyclic'
    """
    return {"kind": schedule.kind, "config": schedule.to_config()}


def schedule_from_config(data: dict[str, Any], *, safe_mode: bool = True) -> Schedule:
    """Rebuild a schedule from `schedule_to_config` output.

    Built-in and registered scale functions always load; a custom one saved by import path is imported only
    with ``safe_mode=False`` (Keras' word), else refused with a `ValueError` before any import. Malformed
    data raises `TypeError` or `ValueError` naming the key.
    """
    _checks.flag("safe_mode", safe_mode)
    if not isinstance(data, Mapping):
        raise TypeError(f"schedule config must be a dict with 'kind' and 'config', got {type(data).__name__}")
    unknown = sorted(set(data) - {"kind", "config"}, key=str)
    if unknown:
        raise ValueError(f"schedule config has an unknown key {unknown[0]!r} (allowed: 'kind', 'config')")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in SCHEDULE_KINDS:
        known = ", ".join(repr(name) for name in sorted(SCHEDULE_KINDS))
        raise ValueError(f"schedule config 'kind' must be one of {known}, got {_checks.shown(kind, 100)}")
    try:
        schedule: Schedule = SCHEDULE_KINDS[kind].from_config(data.get("config", {}), safe_mode=safe_mode)
    except RecursionError as error:
        raise ValueError("schedule config is nested too deeply to be a schedule") from error
    return schedule


def describe_schedules(schedules: Sequence[Schedule]) -> list[dict[str, Any]]:
    """``[{"kind": ..., "description": ...}, ...]``: plain data for a state dict (see `Schedule.describe`)."""
    return [{"kind": item.kind, "description": item.describe()} for item in schedules]


def restore_schedules(schedules: Sequence[Schedule], saved: Any, *, holder: str) -> list[Schedule]:
    """Each of `schedules` restored from its entry of `describe_schedules` output.

    Raises `ValueError` (naming the `holder`) when the counts or the kinds differ; nothing is restored then.
    """
    if isinstance(saved, (str, bytes)) or not isinstance(saved, Sequence) or len(saved) != len(schedules):
        found = len(saved) if isinstance(saved, Sequence) else saved
        raise ValueError(f"cannot restore: the saved {holder} has {found} schedules but this one has "
                         f"{len(schedules)}; build it with as many before loading")
    for item, entry in zip(schedules, saved):
        if not isinstance(entry, Mapping) or set(entry) != {"kind", "description"}:
            raise ValueError(f"cannot restore: each saved schedule in the {holder} must be a dict with 'kind' "
                             f"and 'description', got {_checks.shown(entry, 200)}")
        kind = entry.get("kind")
        if kind != item.kind:
            known = ", ".join(repr(name) for name in sorted(SCHEDULE_KINDS))
            raise ValueError(f"cannot restore: the saved {holder} holds a schedule of kind {kind!r} (known: "
                             f"{known}) where this one holds {item.kind!r}")
    restored: dict[int, tuple[Any, Schedule]] = {}  # a schedule shared by several groups stays shared
    result = []
    for item, entry in zip(schedules, saved):
        earlier = restored.get(id(item))
        if earlier is None or earlier[0] != entry:
            earlier = restored[id(item)] = (entry, item.restore(entry["description"]))
        result.append(earlier[1])
    return result


def init_fields(cls: type) -> tuple[str, ...]:
    """The constructor arguments of a dataclass schedule (what its config may hold)."""
    return tuple(item.name for item in dataclasses.fields(cls) if item.init)
