"""`LrTable`: learning rates computed on the host, applied inside the train step, one per optimizer step.

Keras runs ``steps_per_execution`` optimizer steps per call of its compiled train function and calls batch
hooks only between calls, so a callback that sets the optimizer's learning rate between batches gives every
step of a call the same rate. `LrTable` instead keeps the rates of the coming steps in a small variable (a
ring of `size` slots) and makes the optimizer read, at each step, the slot of its own step counter::

    lr(step) = values[step % size]    while a CyclicLR callback drives it,
    lr(step) = the optimizer's own learning_rate variable    otherwise.

The host writes the ring rarely (once per `size` steps, and on a reset), without waiting for the device.
The optimizer keeps its `learning_rate` variable and its saved config: a model saved while the table drives
it loads as an ordinary model. The momentum (`clr_keras.momentum`) rides on a second ring laid out the same.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import keras
import numpy as np
from keras import ops

from .ops import KERAS_OPS

ATTRIBUTE = "_clr_lr_table"
MIN_SIZE = 1024


def _lookup(step: Any, size: int, values: Any, active: Any, fallback: Any) -> Any:
    """``values[step % size]`` if `active` else `fallback`, with `keras.ops` (any backend)."""
    # The slot in float64, exact below 2**53: keras.ops.mod would compute an int64 step in int32 on torch.
    slot = ops.cast(KERAS_OPS.fmod(KERAS_OPS.to_float(step), float(size)), "int32")
    return ops.where(active, ops.take(values, slot), fallback)


def _lookup_function() -> Any:
    """`_lookup` in TensorFlow's own operations where it runs (5 operations per step instead of 12)."""
    if keras.backend.backend() != "tensorflow":
        return _lookup
    import tensorflow as tf

    def lookup(step: Any, size: int, values: Any, active: Any, fallback: Any) -> Any:
        return tf.where(active, tf.gather(values, tf.math.floormod(step, size)), fallback)

    return lookup


_LOOKUP = _lookup_function()


def lookup(step: Any, size: int, values: Any, active: Any, fallback: Any) -> Any:
    """``values[step % size]`` if `active` else `fallback`, for a step counter read inside the train step."""
    return _LOOKUP(step, size, values, active, fallback)


def ring(first_step: int, values: Any, size: int) -> np.ndarray:
    """A ring of `size` slots (float64) holding `values` (at most `size`) for the steps from `first_step` on.

    The value of step ``s`` is in slot ``s % size``; other slots hold 0.

    Examples:
        >>> ring(6, [1.0, 2.0, 3.0], 4).tolist()
        [3.0, 0.0, 1.0, 2.0]
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)[:size]
    slots = np.zeros(size)
    slots[(first_step + np.arange(values.size)) % size] = values
    return slots


def read_step(optimizer: Any) -> int:
    """The optimizer's step counter as a Python int (one read from the device)."""
    counter = optimizer.iterations
    try:
        return int(counter)
    except TypeError:  # a tf.distribute variable has no __int__
        return int(counter.numpy())


class LrTable:
    """The per-step learning rates of one optimizer, read by its step counter inside the train step.

    Build one with `LrTable.attach`, which installs it on the optimizer (or returns the one installed).

    Args:
        optimizer: a Keras optimizer whose `learning_rate` is a variable (built from a float).
        size: slots in the ring; at least twice the steps run per call of the train function.
        strategy: the `tf.distribute` strategy the model trains under (TensorFlow only), or None.
    """

    def __init__(self, optimizer: Any, size: int, strategy: Any = None) -> None:
        self.optimizer = optimizer
        self.size = int(size)
        variable = optimizer._learning_rate
        self.dtype = variable.dtype
        scope = strategy.scope() if strategy is not None else nullcontext()
        with scope:
            self.values = keras.Variable(np.zeros(self.size), dtype=self.dtype, trainable=False,
                                         name="clr_lr_table")
            self.active = keras.Variable(False, dtype="bool", trainable=False, name="clr_lr_table_active")
        self.first_step = 0
        self.filled = 0
        self.on_read: Any = None  # called at each read of the rate (in a compiled step: when it is traced)

    @classmethod
    def attach(cls, optimizer: Any, steps_per_call: int, strategy: Any = None) -> tuple[LrTable, bool]:
        """Return the table installed on `optimizer`, installing a new one if it has none or too few slots.

        The second value is True when a new table was installed: a train function traced before reads the
        old one and must be traced again.
        """
        table = getattr(optimizer, ATTRIBUTE, None)
        if table is not None and table.size >= 2 * steps_per_call:
            return table, False
        table = cls(optimizer, max(MIN_SIZE, 4 * steps_per_call), strategy)
        # Plain attributes, set past the optimizer's variable tracking: the table is not optimizer state.
        object.__setattr__(optimizer, ATTRIBUTE, table)
        object.__setattr__(optimizer, "_get_current_learning_rate", table.learning_rate)
        return table, True

    def learning_rate(self) -> Any:
        """The learning rate of the optimizer's current step (what `optimizer.learning_rate` returns)."""
        if self.on_read is not None:
            self.on_read()
        return _LOOKUP(self.optimizer._iterations.value, self.size, self.values.value, self.active.value,
                       self.optimizer._learning_rate.value)

    def covers(self, step: int, count: int) -> bool:
        """Whether the ring holds the rates of steps ``step, ..., step + count - 1``."""
        return self.first_step <= step and step + count <= self.first_step + self.filled

    def write(self, first_step: int, lrs: Any) -> None:
        """Hold `lrs` (at most `size` rates) as the rates of the steps from `first_step` on."""
        lrs = np.asarray(lrs, dtype=np.float64).reshape(-1)[: self.size]
        self.values.assign(ring(first_step, lrs, self.size).astype(self.dtype))
        self.first_step, self.filled = first_step, lrs.size

    def activate(self) -> None:
        """Make the optimizer use the ring's rates."""
        self.active.assign(True)

    def deactivate(self, lr: float) -> None:
        """Make the optimizer use its own learning rate variable again, set to `lr`."""
        self.active.assign(False)
        self.optimizer._learning_rate.assign(lr)

