"""The arguments both Keras faces share: building the core schedule from them, and saving them as data.

`CyclicLR` and `CyclicLRSchedule` take the classic callback's arguments (or a ready `clr_core` schedule) and
hand them to `clr_core.CyclicSchedule`, which validates them: bad input gets the core's own messages. A
config is the constructor's arguments as JSON-safe data; a custom `scale_fn` is saved by its Keras
registered name (``@keras.saving.register_keras_serializable()``) when it has one, else by its import path
(``"package.module:function"``). A lambda or local function cannot be saved: asking for a config raises the
core's error, which says how to make the function savable.
"""

from __future__ import annotations

from typing import Any

import keras

from clr_core import CyclicSchedule, Schedule, schedule_from_config, schedule_to_config
from clr_core.extend import CustomScale, checked_schedule, cyclic_arguments, scale_from_config

REGISTERED = "registered_name"


def build_schedule(schedule: Any = None, **arguments: Any) -> Schedule:
    """The core schedule for a constructor's arguments, or `schedule` itself when one is given.

    `scale_fn` may be a function, a `clr_core` scale object (``clr_core.exp_range(0.99)``), an import path
    ``"package.module:function"``, a Keras registered name ``"package>name"``, or a config dict as
    `schedule_config` writes it.

    Examples:
        >>> build_schedule(base_lr=0.1, max_lr=0.5, step_size=10.0).lr_at(10)
        0.5
    """
    cyclic = cyclic_arguments(schedule, arguments)
    if cyclic is not None:
        cyclic["scale_fn"] = scale_function(cyclic["scale_fn"])
        return CyclicSchedule(**cyclic)
    if isinstance(schedule, dict):
        schedule = schedule_from_config(schedule)
    return checked_schedule(schedule)


def scale_function(value: Any) -> Any:
    """A `scale_fn` argument as the core takes it: saved forms (names, paths, dicts) become functions."""
    if isinstance(value, dict) and REGISTERED in value:
        value = value[REGISTERED]
    if isinstance(value, str) and ">" in value and ":" not in value:
        found = keras.saving.get_registered_object(value)
        if found is None:
            raise ValueError(f"scale_fn {value!r} is not a registered Keras object; import the module that "
                             f"registers it (keras.saving.register_keras_serializable) before loading")
        return found
    if isinstance(value, (str, dict)):
        return scale_from_config(value)
    return value


def registered_name(fn: Any) -> str | None:
    """The name `fn` is registered under with Keras, or None."""
    try:
        name = keras.saving.get_registered_name(fn)
    except AttributeError:  # a callable object without __name__, never registered
        return None
    return name if name != getattr(fn, "__name__", None) else None


def schedule_config(schedule: Schedule) -> dict[str, Any]:
    """The constructor arguments that rebuild `schedule`, as JSON-safe data.

    Examples:
        >>> schedule_config(CyclicSchedule(mode="exp_range", gamma=0.5))["gamma"]
        0.5
    """
    if not isinstance(schedule, CyclicSchedule):
        return {"schedule": schedule_to_config(schedule)}
    if isinstance(schedule.scale, CustomScale):
        name = registered_name(schedule.scale.fn)
        if name is not None:
            return {**schedule.to_arguments(), "scale_fn": {REGISTERED: name}}
    try:
        return schedule.to_config()
    except ValueError as error:
        raise ValueError(f"{error}, or register it with @keras.saving.register_keras_serializable()") from error
