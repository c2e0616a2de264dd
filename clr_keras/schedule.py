"""`CyclicLRSchedule`: the cyclical learning rate as a Keras `LearningRateSchedule`, computed in the step."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np

from clr_core import RangeTestResult, Schedule
from clr_core.extend import checks, face_schedules, planned_schedule

from .config import arguments_from_config, face_arguments, schedule_config
from .ops import evaluate_at_step, warn_if_inexact


@keras.saving.register_keras_serializable(package="clr")
class CyclicLRSchedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]  # no type hints
    """A cyclical learning rate (Smith, arXiv:1506.01186) that the optimizer computes from its step counter.

    Pass it as an optimizer's `learning_rate`. At each step the optimizer calls it with its step counter
    ``i`` (steps taken so far; the first step gets ``i = 0``) and the compiled train step computes::

        cycle = floor(1 + i / (2 * step_size))
        x     = abs(i / step_size - 2 * cycle + 1)
        lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale_fn(s)

    with ``s = cycle`` (``scale_mode='cycle'``) or ``s = i`` (``'iterations'``), through the one formula of
    `clr_core` run on float64 Keras tensors (`clr_keras.ops`): exact at every step an int64 counter can
    reach below 2**53, where float32 schedules lose whole steps past 2**24 (from 2**53 on, the counter
    rounds to the nearest float64 and the rate is that of the rounded step, still within the bounds). On JAX
    without ``jax_enable_x64`` (no float64) it runs in float32 with the int32 counter kept an integer, exact
    to float32 rounding at every step up to 2**31 - 1 (a warning says so when a schedule cannot be: a step
    size that is not a whole number, a custom `scale_fn` of the iteration). The result is cast to
    ``keras.backend.floatx()``. Nothing happens on the host, so it costs no time per batch, and every step
    of a ``steps_per_execution`` call and every replica of a distributed step gets the same, right rate.

    Saving: `get_config` holds the constructor's arguments as JSON-safe data, and the class is registered
    with Keras (``"clr>CyclicLRSchedule"``), so a model saved to ``.keras`` loads with
    ``keras.saving.load_model`` (once ``clr_keras`` is imported) and its schedule resumes from the saved step
    counter. A custom `scale_fn` is saved by its Keras registered name or by its import path; a lambda
    cannot be saved (``get_config`` says how to fix that). Loading follows Keras' safe mode: an import path
    is imported only with ``load_model(..., safe_mode=False)`` or after
    ``keras.config.enable_unsafe_deserialization()``; a registered function always loads.

    A custom `scale_fn` runs on a float64 tensor inside the compiled step: arithmetic and `keras.ops`
    calls work (``lambda s: 1 / 5 ** (s * 1e-4)``, ``lambda s: 0.5 * (1 + keras.ops.sin(s * math.pi / 2))``);
    `numpy` or `math` functions work only when the step runs eagerly. For those, use the `CyclicLR` callback,
    which computes the rates on the host.

    Args:
        base_lr: lower bound, a finite float >= 0; the rate of step 0. Default 0.001.
        max_lr: upper bound, a finite float >= `base_lr`. Default 0.006.
        step_size: optimizer steps in half a cycle, a finite float > 0. Default 2000.
        mode: ``'triangular'``, ``'triangular2'`` or ``'exp_range'``; ignored when `scale_fn` is given.
        gamma: the decay of ``'exp_range'``, in (0, 1].
        scale_fn: a custom amplitude function of one float, a `clr_core` scale object, an import path
            ``"package.module:function"`` or a Keras registered name ``"package>name"``; overrides `mode`.
        scale_mode: ``'cycle'`` or ``'iterations'``: what a custom `scale_fn` receives.
        step_size_down: steps in the falling half of a cycle; default `step_size`.
        waveform: ``'triangle'`` (the paper's) or ``'cosine'`` (the same bounds, a smooth turn at both ends).
        schedule: a ready `clr_core` schedule instead of the arguments.
        accumulation_steps: the optimizer's ``gradient_accumulation_steps`` (1 without): Keras calls the
            schedule with its count of micro-batches, and update ``j`` (micro-batches ``kj .. kj + k - 1``)
            gets ``lr_at(j)``, so that an iteration is one optimizer update, as everywhere in clr.

    Raises:
        TypeError, ValueError: for invalid arguments, with the messages of `clr_core.CyclicSchedule`, and a
            `ValueError` for bounds above the largest value of ``keras.backend.floatx()`` (``max_lr=1e39``
            would reach a float32 optimizer as ``inf``).

    Examples:
        >>> schedule = CyclicLRSchedule(base_lr=0.001, max_lr=0.006, step_size=4)
        >>> optimizer = keras.optimizers.SGD(learning_rate=schedule)
        >>> print(*(round(float(schedule(step)), 6) for step in (0, 2, 4, 6, 8)))
        0.001 0.0035 0.006 0.0035 0.001
    """

    def __init__(self, base_lr: float = 0.001, max_lr: float = 0.006, step_size: float = 2000.0,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn: Any = None, scale_mode: str = "cycle",
                 *, step_size_down: float | None = None, waveform: str = "triangle",
                 schedule: Schedule | dict[str, Any] | None = None, accumulation_steps: int = 1) -> None:
        super().__init__()
        self.accumulation_steps = checks.count("accumulation_steps", accumulation_steps, low=1)
        self.schedule = face_schedules(1, **face_arguments(
            schedule, base_lr=base_lr, max_lr=max_lr, step_size=step_size, mode=mode, gamma=gamma,
            scale_fn=scale_fn, scale_mode=scale_mode, step_size_down=step_size_down, waveform=waveform))[0]
        floatx = keras.backend.floatx()  # what the optimizer receives: a larger bound would be inf there
        checks.fits_dtype("CyclicLRSchedule", self.schedule, floatx, _largest(floatx))
        warn_if_inexact(self.schedule)
        _warn_if_unsavable(self.schedule)

    @classmethod
    def from_range_test(cls, result: RangeTestResult, *, epochs: int, steps_per_epoch: int,
                        mode: str = "triangular", metric: str | None = None, skip_start: int | None = None,
                        higher_is_better: bool | None = None, **options: Any) -> CyclicLRSchedule:
        """The schedule ``result.schedule(...)`` plans from the range test's bounds (see `CyclicLR.from_range_test`).

        Raises:
            TypeError: `result` is not a `clr_core.RangeTestResult`.
            ValueError: no bounds, or a run too short for a cycle (the message suggests ``mode='one_cycle'``).
        """
        return cls(schedule=planned_schedule(result, "clr_keras", epochs=epochs, steps_per_epoch=steps_per_epoch,
                                             mode=mode, metric=metric, skip_start=skip_start,
                                             higher_is_better=higher_is_better, **options))

    def __call__(self, step: Any) -> Any:
        """The learning rate at optimizer step `step` (a tensor, variable or int), as a floatx tensor.

        Keras passes its micro-batch counter; the rate is that of update ``step // accumulation_steps``.
        """
        if self.accumulation_steps > 1:
            step = keras.ops.floor_divide(step, self.accumulation_steps)
        return evaluate_at_step(self.schedule, step)

    def lr_at(self, step: Any) -> Any:
        """The same rate computed on the host in float64 (an int, a float or a numpy array of steps)."""
        return self.schedule.lr_at(step)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments as JSON-safe data; raises `ValueError` for an unsavable scale_fn."""
        config = schedule_config(self.schedule)
        if self.accumulation_steps > 1:
            config["accumulation_steps"] = self.accumulation_steps
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CyclicLRSchedule:
        """Rebuild from `get_config()`, following Keras' safe mode.

        A `scale_fn` saved by import path loads only outside Keras' safe mode
        (``load_model(..., safe_mode=False)``) or when registered; else it is refused before any import.
        """
        return cls(**arguments_from_config(config))

    def __repr__(self) -> str:
        return f"CyclicLRSchedule({self.schedule!r})"


def _largest(floatx: str) -> float:
    """The largest finite number of `floatx` (numpy has no bfloat16, and Keras 3.0 does not bring ml_dtypes)."""
    if floatx == "bfloat16":
        return (2 - 2**-7) * 2.0**127  # 8 bits of precision, float32's exponents
    return float(np.finfo(floatx).max)


def _warn_if_unsavable(schedule: Schedule) -> None:
    """Warn now when `model.save` would fail later.

    Keras opens (and so empties) the file before it asks for the config, so a `ModelCheckpoint` would replace
    a good file with an empty one.
    """
    try:
        schedule_config(schedule)
    except ValueError as error:
        warnings.warn(f"this CyclicLRSchedule cannot be saved with its model: {error}. model.save() and "
                      f"ModelCheckpoint would raise only after Keras has opened the file, leaving it empty",
                      UserWarning, stacklevel=3)
