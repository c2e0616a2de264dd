"""The schedule protocol every adapter relies on, and saving any schedule by its kind.

Adapters and the state object accept any object with these methods, so new schedule kinds (one-cycle,
warmup, joins) plug in without adapter changes: register the class under a `kind` name and it saves and
loads like `CyclicSchedule`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .cyclic import CyclicSchedule
from .ops import ArrayOps


@runtime_checkable
class Schedule(Protocol):
    """A learning rate as a pure function of the iteration, plus the means to save it.

    - `lr_at(i)`: checked evaluation on an int/float (returns a float) or a numpy array (returns an array).
    - `evaluate(i, ops)`: unchecked evaluation on any array kind, through an `ArrayOps` namespace.
    - `to_config()` / `from_config(config, *, safe_mode=True)`: JSON-safe, complete; refuses what cannot be
      rebuilt from data, and imports a function's import path only with ``safe_mode=False``.
    - `describe()` / `restore(description)`: plain data for a state dict, never failing; `restore` takes
      every function (a custom `scale_fn`) from the object it is called on and never imports anything.
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


def schedule_from_config(data: dict[str, Any], *, safe_mode: bool = True) -> Schedule:
    """Rebuild a schedule from `schedule_to_config` output.

    Built-in and registered scale functions always load; a custom one saved by import path is imported only
    with ``safe_mode=False`` (Keras' word), else refused with a `ValueError` before any import. Malformed
    data raises `TypeError` or `ValueError` naming the key.
    """
    if not isinstance(safe_mode, bool):
        raise TypeError(f"safe_mode must be True or False, got {type(safe_mode).__name__} {safe_mode!r}")
    if not isinstance(data, Mapping):
        raise TypeError(f"schedule config must be a dict with 'kind' and 'config', got {type(data).__name__}")
    unknown = sorted(set(data) - {"kind", "config"}, key=str)
    if unknown:
        raise ValueError(f"schedule config has an unknown key {unknown[0]!r} (allowed: 'kind', 'config')")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in SCHEDULE_KINDS:
        known = ", ".join(repr(name) for name in SCHEDULE_KINDS)
        raise ValueError(f"schedule config 'kind' must be one of {known}, got {kind!r:.100}")
    try:
        return SCHEDULE_KINDS[kind].from_config(data.get("config", {}), safe_mode=safe_mode)
    except RecursionError as error:
        raise ValueError("schedule config is nested too deeply to be a schedule") from error


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
                             f"and 'description', got {entry!r:.200}")
        kind = entry.get("kind")
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

