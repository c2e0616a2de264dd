"""The formula's array namespace for Keras tensors, in float64, for schedules computed inside the train step.

`clr_core` writes each schedule's formula once against a tiny namespace (`fmod`, `floor`, `minimum`,
`maximum`, `where`, `power`, `exp2`, `cos`, `log`, `to_float`, `apply`; see `clr_core.extend.ArrayOps`).
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
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import keras
from keras import ops

FLOAT = "float64"
NATIVE_NAMES = ("fmod", "floor", "minimum", "maximum", "where", "power", "cos", "log")


def native_functions(backend: str) -> SimpleNamespace:
    """The backend's own float64-preserving functions for the namespace's operations."""
    if backend == "tensorflow":
        import tensorflow as tf

        # truncatemod is C's fmod in one operation (keras.ops.fmod builds it from five).
        return SimpleNamespace(fmod=tf.truncatemod, floor=tf.floor, minimum=tf.minimum, maximum=tf.maximum,
                               where=tf.where, power=tf.pow, cos=tf.cos, log=tf.math.log)
    if backend == "torch":
        import torch

        return SimpleNamespace(fmod=torch.fmod, floor=torch.floor, minimum=torch.minimum, maximum=torch.maximum,
                               where=torch.where, power=torch.pow, cos=torch.cos, log=torch.log)
    if backend == "jax":
        import jax.numpy as jnp  # float64 needs jax.config.update("jax_enable_x64", True)

        return SimpleNamespace(**{name: getattr(jnp, name) for name in NATIVE_NAMES})
    return SimpleNamespace(**{name: getattr(ops, name) for name in NATIVE_NAMES})


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
        self.native = native_functions(backend or keras.backend.backend())

    @staticmethod
    def to_float(x: Any) -> Any:
        """`x` (a tensor, variable, array or Python number) as a float64 tensor."""
        if ops.is_tensor(x) or isinstance(x, keras.Variable):
            return ops.cast(x, FLOAT)
        return ops.convert_to_tensor(x, dtype=FLOAT)

    def fmod(self, x: Any, y: Any) -> Any:
        return self.native.fmod(self.to_float(x), self.to_float(y))

    def floor(self, x: Any) -> Any:
        return self.native.floor(self.to_float(x))

    def minimum(self, x: Any, y: Any) -> Any:
        return self.native.minimum(self.to_float(x), self.to_float(y))

    def maximum(self, x: Any, y: Any) -> Any:
        return self.native.maximum(self.to_float(x), self.to_float(y))

    def where(self, condition: Any, x: Any, y: Any) -> Any:
        return self.native.where(condition, self.to_float(x), self.to_float(y))

    def power(self, base: Any, exponent: Any) -> Any:
        return self.native.power(self.to_float(base), self.to_float(exponent))

    def exp2(self, x: Any) -> Any:
        return self.native.power(self.to_float(2.0), self.to_float(x))

    def cos(self, x: Any) -> Any:
        return self.native.cos(self.to_float(x))

    def log(self, x: Any) -> Any:
        return self.native.log(self.to_float(x))

    def apply(self, fn: Callable[[Any], Any], x: Any) -> Any:
        """`fn(x)` on the float64 tensor `x`, as a float64 tensor.

        A function made of arithmetic and `keras.ops` calls (``lambda s: 1 / 5 ** (s * 1e-4)``) runs on the
        tensor, also inside a compiled step (`keras.ops` may compute it in float32 on torch and JAX). A
        function that needs a Python number (``math.sin``, ``numpy.sin`` on some backends, ``if``) works only
        when the step runs eagerly (``run_eagerly=True``, the torch backend); inside a compiled step it raises
        a `TypeError` that says how to rewrite it.
        """
        try:
            return self.to_float(fn(x))
        except Exception as error:
            tensor_error = error
        try:
            number = float(ops.convert_to_numpy(x))
        except Exception:
            raise TypeError(_cannot_trace(fn, tensor_error)) from tensor_error
        return self.to_float(fn(number))


def _cannot_trace(fn: Callable[[Any], Any], error: Exception) -> str:
    name = getattr(fn, "__qualname__", repr(fn))
    return (f"scale_fn {name} cannot run on a tensor inside the compiled train step "
            f"({type(error).__name__}: {error}). Write it with arithmetic and keras.ops functions, e.g. "
            f"lambda s: 0.5 * (1 + keras.ops.sin(s * math.pi / 2)), or use the clr_keras.CyclicLR callback, "
            f"which computes the learning rates on the host")


KERAS_OPS = KerasOps()
