"""The formula's array namespace for Keras tensors, in float64, for schedules computed inside the train step.

`clr_core` writes each schedule's formula once against a tiny namespace (`fmod`, `floor`, `minimum`,
`maximum`, `where`, `power`, `exp2`, `sin`, `log`, `to_float`, `apply`; see `clr_core.extend.ArrayOps`).
`KerasOps` is that namespace for the tensors of the Keras backend in use, so
`CyclicSchedule.evaluate(step, KERAS_OPS)` builds the formula into a compiled train step without a second
copy of it (and so does any other `clr_core` schedule kind).

Everything runs in float64, which `keras.ops` alone does not give:

- Keras turns a bare Python float into float32, which would make ``fmod(i, 4001.37)`` and ``0.99994 ** i``
  wrong long before the step counts an optimizer reaches; so every operand, constants included, is first
  made a float64 tensor (`to_float`).
- On the torch and JAX backends, `keras.ops` computes float64 inputs in float32 (Keras follows JAX's
  default of 32-bit results); so each operation calls the backend's own function (`tf.*`, `torch.*`,
  `jax.numpy.*`), which keeps float64. Other backends fall back to `keras.ops`.

The int64 step becomes float64 exactly (up to 2**53), and `fmod` is exact in IEEE arithmetic, so the position
inside a cycle is exact at every step the optimizer's counter can reach.

JAX has no float64 unless ``jax_enable_x64`` is set. There `evaluate_at_step` runs the formula through
`clr_core.extend.CountOps` on `jax.numpy` in float32 instead, which keeps the int32 step counter an integer
where the formula needs whole steps: exact to float32 rounding at every step up to 2**31 - 1, the counter's
limit (see `warn_if_inexact` for the schedules that cannot be).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from functools import reduce
from types import SimpleNamespace
from typing import Any

import keras
import numpy
from keras import ops

from clr_core import Schedule
from clr_core.extend import CountOps, checks

FLOAT = "float64"
# The backend's own functions by numpy's names (`take` and `remainder` serve `clr_keras.ring`'s lookup), where
# a backend names one otherwise. tf.truncatemod is C's fmod in one operation (keras.ops.fmod builds it from five);
# torch.take wants int64 indices, and the torch backend's step counter is int32: it indexes instead.
NAMES = ("fmod", "floor", "minimum", "maximum", "where", "power", "sin", "log", "take", "remainder")
MODULES = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax.numpy"}  # float64 in JAX needs x64
RENAMED = {"tensorflow": {"fmod": "truncatemod", "power": "pow", "log": "math.log", "take": "gather",
                          "remainder": "math.floormod"},
           "torch": {"power": "pow", "take": "Tensor.__getitem__"},
           "keras.ops": {"remainder": "mod"}}


def native_functions(backend: str) -> SimpleNamespace:
    """The backend's own float64-preserving functions for the namespace's operations (else `keras.ops`')."""
    module = MODULES.get(backend, "keras.ops")
    names = {name: RENAMED.get(module, {}).get(name, name) for name in NAMES}
    found = importlib.import_module(module)
    return SimpleNamespace(**{name: reduce(getattr, path.split("."), found) for name, path in names.items()})


def _on_floats(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` called with each argument made a float64 tensor first (`KerasOps.to_float`)."""
    return lambda *args: function(*map(KerasOps.to_float, args))


class KerasOps:
    """`clr_core.ArrayOps` for the tensors of the Keras backend in use, every operation in float64.

    Args:
        backend: the Keras backend's name; default `keras.backend.backend()`.

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> step = KERAS_OPS.to_float(keras.ops.convert_to_tensor(2**40 + 3))
        >>> lr = CyclicSchedule(base_lr=0.0, max_lr=1.0, step_size=4).evaluate(step, KERAS_OPS)
        >>> float(lr)
        0.75
    """

    def __init__(self, backend: str | None = None) -> None:
        self.native = native = native_functions(backend or keras.backend.backend())
        self.fmod = _on_floats(native.fmod)
        self.floor = _on_floats(native.floor)
        self.minimum = _on_floats(native.minimum)
        self.maximum = _on_floats(native.maximum)
        self.power = _on_floats(native.power)
        self.sin = _on_floats(native.sin)
        self.log = _on_floats(native.log)

    @staticmethod
    def to_float(x: Any) -> Any:
        """`x` (a tensor, variable, array or Python number) as a float64 tensor."""
        if ops.is_tensor(x) or isinstance(x, keras.Variable):
            return ops.cast(x, FLOAT)
        return ops.convert_to_tensor(x, dtype=FLOAT)

    def where(self, condition: Any, x: Any, y: Any) -> Any:
        return self.native.where(condition, self.to_float(x), self.to_float(y))

    def exp2(self, x: Any) -> Any:
        return self.power(2.0, x)

    def apply(self, fn: Callable[[Any], Any], x: Any) -> Any:
        """`fn(x)` on the float64 tensor `x`, as a float64 tensor.

        A function made of arithmetic and `keras.ops` calls (``lambda s: 1 / 5 ** (s * 1e-4)``) runs on the
        tensor, also inside a compiled step (`keras.ops` may compute it in float32 on torch and JAX). A
        function that needs a Python number (``math.sin``, ``numpy.sin`` on some backends, ``if``) works only
        when the step runs eagerly (``run_eagerly=True``, the torch backend); inside a compiled step it raises
        a `TypeError` that says how to rewrite it.

        Where the values are known (eager calls), a factor outside [0, 1], NaN or infinity raises
        `ValueError` as in `clr_core`; inside a compiled step it cannot raise (see the Keras guide's limits).
        """
        try:
            factor = self.to_float(fn(x))
        except Exception as error:
            tensor_error = error
        else:
            return _checked_when_known(factor, x)
        try:
            number = float(ops.convert_to_numpy(x))
        except Exception:
            raise TypeError(_cannot_trace(fn, tensor_error)) from tensor_error
        return self.to_float(checks.scale_factor(fn(number), number))


def _checked_when_known(factor: Any, s: Any) -> Any:
    """`factor`, after checking it is in [0, 1] when its value is known (eager); symbolic ones pass as they are."""
    try:
        values, points = ops.convert_to_numpy(factor), ops.convert_to_numpy(s)
    except Exception:  # a symbolic tensor inside a compiled step: nothing to check on the host
        return factor
    checks.scale_factors(values, numpy.broadcast_to(points, values.shape))
    return factor


def _cannot_trace(fn: Callable[[Any], Any], error: Exception) -> str:
    name = getattr(fn, "__qualname__", repr(fn))
    return (f"scale_fn {name} cannot run on a tensor inside the compiled train step "
            f"({type(error).__name__}: {error}). Write it with arithmetic and keras.ops functions, e.g. "
            f"lambda s: 0.5 * (1 + keras.ops.sin(s * math.pi / 2)), or use the clr_keras.CyclicLR callback, "
            f"which computes the learning rates on the host")


KERAS_OPS = KerasOps()


def count_ops() -> CountOps | None:
    """On JAX without x64 (JAX's default: no float64 for the formula), a fresh float32 `CountOps` on `jax.numpy`.

    None elsewhere: the formula runs in float64 with `KERAS_OPS`.
    """
    if keras.backend.backend() != "jax":
        return None
    import jax
    import jax.numpy as jnp

    return None if jax.enable_x64.value else CountOps(jnp, "float32")


def evaluate_at_step(schedule: Schedule, step: Any) -> Any:
    """`schedule` at the optimizer step counter `step` inside the train step, as a ``floatx`` tensor.

    In float64 with `KERAS_OPS`, or on JAX without x64 in float32 with the step an exact integer (`count_ops`).
    """
    namespace = count_ops()
    if namespace is None:
        lr = KERAS_OPS.to_float(schedule.evaluate(KERAS_OPS.to_float(step), KERAS_OPS))
    else:
        lr = namespace.to_float(schedule.evaluate(namespace.count(ops.convert_to_tensor(step)), namespace))
    return ops.cast(lr, keras.backend.floatx())


def warn_if_inexact(schedule: Schedule) -> None:
    """On JAX without x64, warn when `schedule` cannot be exact to float32 rounding up to 2**31 - 1 steps.

    That is a period or boundary that is not a whole number, or a custom `scale_fn` of the iteration.
    """
    namespace = count_ops()
    if namespace is None:
        return
    import jax

    try:
        jax.eval_shape(lambda step: schedule.evaluate(namespace.count(step), namespace),
                       jax.ShapeDtypeStruct((), "int32"))
    except TypeError:  # a scale_fn that needs a Python number: the train step says so when it traces it
        return
    message = namespace.exactness_warning(f"{type(schedule).__name__} on JAX without jax_enable_x64")
    if message is not None:
        warnings.warn(message, UserWarning, stacklevel=3)
