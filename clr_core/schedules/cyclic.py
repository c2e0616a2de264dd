"""`CyclicSchedule`: Smith's cyclical learning rate as an immutable, validated value with `lr_at(i)`."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, get_args

from .. import _checks
from .._ops import ArrayOps
from ._fingerprint import same_function
from ._formula import WAVEFORMS, Waveform, cyclic_lr
from .base import Schedule, ScheduleBase, register_schedule_kind
from .scale import (
    CustomScale,
    ExpRange,
    ScaleFunction,
    as_scale_function,
    scale_from_config,
    triangular,
    triangular2,
)

Mode = Literal["triangular", "triangular2", "exp_range"]
ScaleMode = Literal["cycle", "iterations"]
MODES: tuple[str, ...] = get_args(Mode)
SCALE_MODES: tuple[str, ...] = get_args(ScaleMode)
_MODE_SCALE_MODE = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


@register_schedule_kind
@dataclass(frozen=True)
class CyclicSchedule(ScheduleBase):
    """A cyclical learning rate: a triangle between `base_lr` and `max_lr`, its amplitude scaled.

    For a cycle iteration count ``i`` (optimizer steps since the start or the last reset)::

        cycle = floor(1 + i / (2 * step_size))
        x     = abs(i / step_size - 2 * cycle + 1)
        lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale_fn(s)

    where ``s = cycle`` (1, 2, 3, ... as a float) when `scale_mode` is ``'cycle'`` and ``s = i`` (as a
    float) when it is ``'iterations'``. Results equal this formula within 1e-12 relative error for every
    ``i`` up to 2**53; `triangular2` and `exp_range` underflow to `base_lr`, never overflow.

    Args:
        base_lr: lower bound, a finite float >= 0; the lr of iteration 0.
        max_lr: upper bound, a finite float >= `base_lr`; reached at ``i = step_size`` when the scale is 1.
        step_size: iterations in the rising half of a cycle, a finite float > 0. Smith suggests 2 to 8
            epochs' worth of iterations.
        mode: ``'triangular'`` (scale 1), ``'triangular2'`` (``1 / 2**(cycle - 1)``) or ``'exp_range'``
            (``gamma**i``). Each fixes its own scale mode, as in the classic callback; ignored when
            `scale_fn` is given.
        gamma: the decay of ``'exp_range'``, a float in (0, 1].
        scale_fn: a function of one float returning the amplitude factor, a number in [0, 1], or a
            built-in scale object such as ``exp_range(0.99)``; overrides `mode`. `lr_at` raises if it
            returns anything else (NaN, infinity, a negative factor or one above 1).
        scale_mode: ``'cycle'`` or ``'iterations'``: what a custom `scale_fn` receives.
        step_size_down: iterations in the falling half, a finite float > 0; default `step_size` (the
            paper's symmetric triangle).
        waveform: ``'triangle'`` (the paper's) or ``'cosine'``: the height ``h = max(0, 1 - x)`` becomes
            ``(1 - cos(pi * h)) / 2``, the same bounds with a smooth turn at both ends. Works with every scale
            function and scale mode.

    Examples:
        >>> schedule = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=4)
        >>> [round(schedule.lr_at(i), 6) for i in range(9)]
        [0.001, 0.00225, 0.0035, 0.00475, 0.006, 0.00475, 0.0035, 0.00225, 0.001]

    Reference: L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", arXiv:1506.01186.
    """

    base_lr: float = 0.001
    max_lr: float = 0.006
    step_size: float = 2000.0
    mode: Mode = "triangular"
    gamma: float = 1.0
    scale_fn: Any = None
    scale_mode: ScaleMode = "cycle"
    step_size_down: float | None = None
    waveform: Waveform = "triangle"
    scale: ScaleFunction = field(init=False, repr=False, compare=False)
    #: Iterations in the falling half of a cycle (`step_size_down`, or `step_size` when not given).
    falling_steps: float = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "cyclic"

    def __post_init__(self) -> None:
        base_lr = _checks.non_negative("base_lr", self.base_lr)
        max_lr = _checks.non_negative("max_lr", self.max_lr)
        _checks.ordered("base_lr", base_lr, "max_lr", self.max_lr)
        step_size = _checks.positive("step_size", self.step_size)
        step_size_down = None if self.step_size_down is None else _checks.positive("step_size_down",
                                                                                    self.step_size_down)
        falling_steps = step_size if step_size_down is None else step_size_down
        _countable_cycle(step_size, falling_steps)
        mode = _checks.choice("mode", self.mode, MODES)
        gamma = ExpRange(self.gamma).gamma
        scale_mode = _checks.choice("scale_mode", self.scale_mode, SCALE_MODES)
        _checks.choice("waveform", self.waveform, WAVEFORMS)
        if self.scale_fn is not None:
            scale = as_scale_function(self.scale_fn)
        else:
            scale = {"triangular": triangular, "triangular2": triangular2, "exp_range": ExpRange(gamma)}[mode]
            scale_mode = _MODE_SCALE_MODE[mode]
        for name, value in (("base_lr", base_lr), ("max_lr", max_lr), ("step_size", step_size),
                            ("step_size_down", step_size_down), ("gamma", gamma), ("scale_mode", scale_mode),
                            ("scale", scale), ("falling_steps", falling_steps)):
            object.__setattr__(self, name, value)

    def lr_range(self) -> tuple[float, float]:
        """``(base_lr, max_lr)``: the lowest and highest lr the schedule can give (what momentum mirrors)."""
        return self.base_lr, self.max_lr

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        """The formula on `iteration` as the array kind of `ops` (no checks: `lr_at` is the checked door).

        Adapters use this with their own namespace (e.g. Keras ops inside a compiled step).

        Examples:
            >>> import numpy as np
            >>> CyclicSchedule(0.0, 1.0, step_size=2).lr_at(np.arange(5))
            array([0. , 0.5, 1. , 0.5, 0. ])
        """
        return cyclic_lr(iteration, self.base_lr, self.max_lr, self.step_size, self.falling_steps,
                         self.scale, self.scale_mode, ops, self.waveform)

    def replace(self, **changes: Any) -> CyclicSchedule:
        """A copy with some constructor arguments changed (and validated again)."""
        arguments = self.to_arguments()
        unknown = set(changes) - set(arguments)
        if unknown:
            raise TypeError(f"CyclicSchedule has no argument {sorted(unknown)[0]!r}")
        arguments.update(changes)
        return CyclicSchedule(**arguments)

    def to_arguments(self) -> dict[str, Any]:
        """The constructor arguments, with the scale function as the caller gave it."""
        return {"base_lr": self.base_lr, "max_lr": self.max_lr, "step_size": self.step_size, "mode": self.mode,
                "gamma": self.gamma, "scale_fn": self.scale_fn, "scale_mode": self.scale_mode,
                "step_size_down": self.step_size_down, "waveform": self.waveform}

    def to_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments; `scale_fn` by name or import path (a lambda raises `ValueError`).

        Examples:
            >>> CyclicSchedule(mode="exp_range", gamma=0.5).to_config()["gamma"]
            0.5
        """
        config = self.to_arguments()
        if self.scale_fn is not None:
            config["scale_fn"] = self.scale.to_config()
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], *, safe_mode: bool = True) -> CyclicSchedule:
        """Rebuild a schedule from `to_config()` output.

        A custom `scale_fn` saved by import path is imported only with ``safe_mode=False`` (or when it is
        registered, `clr_core.register_scale_fn`); by default it is refused before anything is imported.
        """
        arguments = _checks.config_keys("CyclicSchedule config", config, CYCLIC_DEFAULTS)
        if arguments.get("scale_fn") is not None:
            scale = scale_from_config(arguments["scale_fn"], safe_mode=safe_mode)
            arguments["scale_fn"] = scale.fn if isinstance(scale, CustomScale) else scale
        return cls(**arguments)

    def describe(self) -> dict[str, Any]:
        """Plain data for a state dict: like `to_config`, but never an import path.

        A custom function is held by its name and a fingerprint of its code (see the Safety guide).
        """
        if isinstance(self.scale, CustomScale):
            return {**self.to_arguments(), "scale_fn": self.scale.describe()}
        return self.to_config()

    def restore(self, description: dict[str, Any]) -> CyclicSchedule:
        """The schedule `description` (from `describe`) holds, taking a custom `scale_fn` from this object.

        Bounds, step sizes and built-in modes are adopted as data; a description never brings a function.
        Raises `ValueError` when the description used a custom function and this schedule has none or
        another one (another name or other code), or the reverse: continuing would silently give other
        learning rates. A description naming an import path is refused: nothing is imported.
        """
        arguments = _checks.config_keys("saved cyclic schedule", description, CYCLIC_DEFAULTS, CYCLIC_DEFAULTS)
        saved = arguments["scale_fn"]
        if isinstance(saved, str) or isinstance(saved, dict) and ("import_path" in saved or "registered" in saved):
            raise ValueError(f"cannot restore: the saved schedule names a scale_fn to load "
                             f"({_checks.shown(saved, 200)}); a state dict never brings a function: build the "
                             f"schedule with its scale_fn")
        saved_custom = saved.get("custom") if isinstance(saved, dict) else None
        own_custom = self.scale.function_name if isinstance(self.scale, CustomScale) else None
        if saved_custom != own_custom:
            raise ValueError(
                f"cannot restore: the saved schedule used scale_fn {_label(saved_custom)} but this one has "
                f"{_label(own_custom)}; build the schedule with the same scale_fn before loading its state")
        if saved_custom is None:
            if saved is not None:
                arguments["scale_fn"] = scale_from_config(saved)
            return type(self)(**arguments)
        _checks.config_keys("saved scale_fn", saved, ("custom", "fingerprint"), ("custom", "fingerprint"))
        own = self.scale.describe()["fingerprint"]
        fingerprint = saved["fingerprint"]
        if not isinstance(fingerprint, str) or not same_function(fingerprint, own, saved_custom):
            raise ValueError(f"cannot restore: the saved schedule used another function named {own_custom!r} (its "
                             f"code differs from this one's); build the schedule with the scale_fn it was saved "
                             f"with, or start a new run")
        return type(self)(**{**arguments, "scale_fn": self.scale_fn})


def _countable_cycle(step_size: float, step_size_down: float) -> None:
    """Refuse step sizes whose cycle (their sum) is infinite, or too short to count up to 2**53 iterations.

    So no accepted argument can fail at a later iteration.
    """
    period = step_size + step_size_down
    if not (math.isfinite(period) and math.isfinite(_checks.ITERATION_LIMIT / period)):
        shortest = _checks.ITERATION_LIMIT / sys.float_info.max
        raise ValueError(f"step_size + step_size_down (one cycle) must be a finite number of iterations with a "
                         f"countable number of cycles below 2**53 (>= {shortest:.1e}), "
                         f"got step_size={step_size!r}, step_size_down={step_size_down!r}")


def _label(name: str | None) -> str:
    return "none (a built-in mode)" if name is None else f"custom function {name!r}"


#: The constructor's arguments and their defaults (those of the classic Keras callback and of DESIGN.md).
CYCLIC_DEFAULTS: dict[str, Any] = {item.name: item.default for item in fields(CyclicSchedule) if item.init}


def cyclic_arguments(schedule: Any, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
    """Resolve an adapter's "schedule= or the cyclic arguments".

    Returns None when a ready `schedule` is given, else every `CyclicSchedule` argument (the defaults
    completed by `arguments`).

    Raises `TypeError` when `schedule` comes with cyclic arguments that differ from their defaults: those
    belong inside the schedule object.

    Examples:
        >>> cyclic_arguments(None, {"max_lr": 0.01})["max_lr"], cyclic_arguments(CyclicSchedule(), {})
        (0.01, None)
        >>> cyclic_arguments(CyclicSchedule(), {"base_lr": 0.01})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: give either schedule= or the cyclic arguments, not both: schedule= came with base_lr; ...
    """
    unknown = sorted(set(arguments) - set(CYCLIC_DEFAULTS))
    if unknown:
        raise TypeError(f"unexpected cyclic argument {unknown[0]!r}; the arguments are "
                        f"{', '.join(CYCLIC_DEFAULTS)}")
    if schedule is None:
        return {**CYCLIC_DEFAULTS, **arguments}
    given = sorted(name for name, value in arguments.items() if not _is_default(name, value))
    if given:
        raise TypeError(f"give either schedule= or the cyclic arguments, not both: schedule= came with "
                        f"{', '.join(given)}; put those into the schedule object")
    return None


def checked_schedule(value: Any, name: str = "schedule") -> Schedule:
    """`value` if it follows `clr_core.Schedule`, else a `TypeError` naming the argument."""
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be a clr_core schedule (e.g. clr_core.CyclicSchedule), got "
                        f"{type(value).__name__} {value!r}")
    return value


def _is_default(name: str, value: Any) -> bool:
    default = CYCLIC_DEFAULTS[name]
    plain = (int, float, str)
    return value is default or (type(value) in plain and type(default) in plain and value == default)
