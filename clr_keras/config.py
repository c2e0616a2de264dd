"""The arguments both Keras faces share: building the core schedule from them, and saving them as data.

`CyclicLR` and `CyclicLRSchedule` take the classic callback's arguments (or a ready `clr_core` schedule) and
hand them to the core's face builder (`clr_core.extend.face_state`), which validates them: bad input gets the
core's own messages, and the defaults are every face's. A
config is the constructor's arguments as JSON-safe data; a custom `scale_fn` is saved by its Keras
registered name (``@keras.saving.register_keras_serializable()``) when it has one, else by its import path
(``"package.module:function"``). A lambda or local function cannot be saved: asking for a config raises the
core's error, which says how to make the function savable.
"""

from __future__ import annotations

from typing import Any

import keras

from clr_core import CyclicSchedule, Schedule, schedule_from_config, schedule_to_config
from clr_core.extend import CustomScale, ImportRefused, scale_from_config

from . import _keras

REGISTERED = "registered_name"


def face_arguments(schedule: Any = None, *, safe_mode: bool = False, **arguments: Any) -> dict[str, Any]:
    """A constructor's arguments as the core's face builder (`clr_core.extend.face_state`) takes them.

    `scale_fn` may be a function, a `clr_core` scale object (``clr_core.exp_range(0.99)``), an import path
    ``"package.module:function"``, a Keras registered name ``"package>name"``, or a config dict as
    `schedule_config` writes it; `schedule` a `clr_core` schedule or its config dict. Their saved forms are
    resolved under `safe_mode` (see `scale_function`).

    Examples:
        >>> face_arguments(None, base_lr=0.1, scale_fn=None)
        {'schedule': None, 'base_lr': 0.1, 'scale_fn': None}
    """
    if arguments.get("scale_fn") is not None:
        arguments["scale_fn"] = scale_function(arguments["scale_fn"], safe_mode=safe_mode)
    if isinstance(schedule, dict):
        schedule = schedule_from_config(schedule, safe_mode=safe_mode)
    return {"schedule": schedule, **arguments}


def scale_function(value: Any, *, safe_mode: bool = False) -> Any:
    """A `scale_fn` argument as the core takes it: saved forms (names, paths, dicts) become functions.

    A constructor argument is the user's own code, so an import path is imported (``safe_mode=False``);
    `from_config` passes Keras' safe mode, which refuses import paths unless they are registered.
    """
    if isinstance(value, dict) and REGISTERED in value:
        value = value[REGISTERED]
    if isinstance(value, str) and ">" in value and ":" not in value:
        found = keras.saving.get_registered_object(value)
        if found is None:
            raise ValueError(f"scale_fn {value!r} is not a registered Keras object; import the module that "
                             f"registers it (keras.saving.register_keras_serializable) before loading")
        return found
    if isinstance(value, (str, dict)):
        return scale_from_config(value, safe_mode=safe_mode)
    return value


def arguments_from_config(config: Any) -> dict[str, Any]:
    """A `get_config()` dict as constructor arguments, its saved functions resolved under Keras' safe mode.

    In safe mode (Keras' default) a custom `scale_fn` saved by import path is refused before anything is
    imported, unless it is registered (with Keras or `clr_core.register_scale_fn`).
    """
    if not isinstance(config, dict):
        raise TypeError(f"CyclicLRSchedule config must be a dict, got {type(config).__name__}")
    try:
        return face_arguments(**config, safe_mode=_keras.keras_safe_mode())
    except ImportRefused as error:
        raise ImportRefused(f"{error}; with Keras, allow it with keras.saving.load_model(path, safe_mode=False) "
                            f"or keras.config.enable_unsafe_deserialization(), or register the function with "
                            f"@keras.saving.register_keras_serializable()") from error


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
