"""`Ring`: values computed on the host for the coming optimizer steps, read inside the train step, one per step.

Keras runs ``steps_per_execution`` optimizer steps per call of its compiled train function and calls batch
hooks only between calls, so a value set between batches would serve every step of a call. A `Ring` instead
keeps the values of the coming steps in a small Keras variable of `size` slots, and the train step reads the
slot of the optimizer's own step counter::

    value(step) = values[step % size]    while active,
    value(step) = fallback               otherwise.

The host writes it rarely (once per `size` steps, and on a reset), without waiting for the device. The
learning rate (`clr_keras.lr_table`) and the momentum (`clr_keras.momentum`) each ride on one, written together.
The lookup is in the backend's own integer operations (`clr_keras.ops.native_functions`): 5 operations per step
on TensorFlow, and exact at every step the counter reaches (``keras.ops.mod`` computes an int64 step in int32
on torch).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from . import _keras
from .ops import KERAS_OPS

NATIVE = KERAS_OPS.native


class Ring:
    """The values of the coming steps of `optimizer`, in a variable of `size` slots: step ``s`` in slot ``s % size``.

    Args:
        optimizer: the Keras optimizer whose step counter picks the slot.
        size: slots in the ring; at least twice the steps run per call of the train function.
        dtype: the dtype of the values read.
        name: the variable's name.

    Examples:
        >>> ring = Ring(keras.optimizers.SGD(), 4, "float32", "example")
        >>> ring.write(6, [1.0, 2.0, 3.0])
        >>> ring.host.tolist(), ring.at(8), ring.at(9)
        ([3.0, 0.0, 1.0, 2.0], 3.0, None)
    """

    def __init__(self, optimizer: Any, size: int, dtype: str, name: str) -> None:
        self.optimizer = optimizer
        self.size = int(size)
        self.dtype = dtype
        self.variable = keras.Variable(np.zeros(self.size), dtype=dtype, trainable=False, name=name)
        self.host = np.zeros(self.size)  # what `variable` holds, as written
        self.first_step = self.filled = 0

    def write(self, first_step: int, values: Any) -> None:
        """Hold `values` (at most `size`; other slots get 0) as the values of the steps from `first_step` on."""
        values = np.asarray(values, dtype=np.float64).reshape(-1)[: self.size]
        self.host = np.zeros(self.size)
        self.host[(first_step + np.arange(values.size)) % self.size] = values
        _keras.assign(self.variable, self.host.astype(self.dtype))
        self.first_step, self.filled = first_step, values.size

    def covers(self, step: int, count: int = 1) -> bool:
        """Whether the ring holds the values of steps ``step, ..., step + count - 1``."""
        return self.first_step <= step and step + count <= self.first_step + self.filled

    def at(self, step: int) -> float | None:
        """The value the ring holds for `step`, or None if it holds none."""
        return float(self.host[step % self.size]) if self.covers(step) else None

    def read(self, active: Any, fallback: Any) -> Any:
        """Inside the train step: the value of the optimizer's current step if `active`, else `fallback`."""
        slot = NATIVE.remainder(_keras.update_counter(self.optimizer), self.size)
        return NATIVE.where(active, NATIVE.take(self.variable.value, slot), fallback)
