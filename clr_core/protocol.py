"""The schedule protocol every adapter relies on, and saving any schedule by its kind.

Adapters and the state object accept any object with these methods, so new schedule kinds (one-cycle,
warmup, joins) plug in without adapter changes: register the class under a `kind` name and it saves and
loads like `CyclicSchedule`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .cyclic import CyclicSchedule
from .ops import ArrayOps


@runtime_checkable
class Schedule(Protocol):
    """A learning rate as a pure function of the iteration, plus the means to save it.

    - `lr_at(i)`: checked evaluation on an int/float (returns a float) or a numpy array (returns an array).
    - `evaluate(i, ops)`: unchecked evaluation on any array kind, through an `ArrayOps` namespace.
    - `to_config()` / `from_config(config)`: JSON-safe, complete; refuses what cannot be rebuilt from data.
    - `describe()` / `restore(description)`: plain data for a state dict, never failing; `restore` takes
      unsavable parts (a lambda `scale_fn`) from the object it is called on.

    Optional: `lr_range()` returns ``(lowest, highest)``, bounds of every value the schedule gives. Momentum
    cycling (`momentum_for`, ``cycle_momentum=True`` in the adapters) mirrors the lr over that range, so a
    kind without it works everywhere except there. Every built-in kind has one (a `Join`'s is the union of
    its pieces').
    """

    kind: str

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


SCHEDULE_KINDS: dict[str, Any] = {CyclicSchedule.kind: CyclicSchedule}


def lr_range_of(schedule: Schedule) -> tuple[float, float]:
    """``schedule.lr_range()`` checked: two finite floats, lowest first.

    Raises:
        TypeError: the kind has no `lr_range` (the message says how to give it one).
        ValueError: the range it gives is not two finite numbers ``low <= high``.

    Examples:
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


def register_schedule_kind(cls: type) -> type:
    """Class decorator: make `cls` (with a `kind` name and `from_config`) loadable by `schedule_from_config`."""
    SCHEDULE_KINDS[cls.kind] = cls
    return cls


def schedule_to_config(schedule: Schedule) -> dict[str, Any]:
    """``{"kind": ..., "config": ...}``: everything needed to rebuild `schedule` in another process.

    Examples:
        >>> schedule_to_config(CyclicSchedule(step_size=10))["kind"]
        'cyclic'
    """
    return {"kind": schedule.kind, "config": schedule.to_config()}


def schedule_from_config(data: dict[str, Any]) -> Schedule:
    """Rebuild a schedule from `schedule_to_config` output."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in SCHEDULE_KINDS:
        known = ", ".join(repr(name) for name in SCHEDULE_KINDS)
        raise ValueError(f"schedule config 'kind' must be one of {known}, got {kind!r}")
    return SCHEDULE_KINDS[kind].from_config(data.get("config", {}))


def describe_schedules(schedules: Sequence[Schedule]) -> list[dict[str, Any]]:
    """``[{"kind": ..., "description": ...}, ...]``: plain data for a state dict (see `Schedule.describe`)."""
    return [{"kind": item.kind, "description": item.describe()} for item in schedules]


def restore_schedules(schedules: Sequence[Schedule], saved: Any, *, holder: str) -> list[Schedule]:
    """Each of `schedules` restored from its entry of `describe_schedules` output.

    Raises `ValueError` (naming the `holder`) when the counts or the kinds differ; nothing is restored then.
    """
    if not isinstance(saved, Sequence) or len(saved) != len(schedules):
        found = len(saved) if isinstance(saved, Sequence) else saved
        raise ValueError(f"cannot restore: the saved {holder} has {found} schedules but this one has "
                         f"{len(schedules)}; build it with as many before loading")
    for item, entry in zip(schedules, saved):
        kind = entry.get("kind") if isinstance(entry, Mapping) else None
        if kind != item.kind:
            known = ", ".join(repr(name) for name in SCHEDULE_KINDS)
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

