"""`LrTable`: learning rates computed on the host, applied inside the train step, one per optimizer step.

The rates of the coming steps live in a `clr_keras.ring.Ring`, and the optimizer reads, at each step, the slot
of its own step counter::

    lr(step) = ring[step]    if variable == owner (a CyclicLR callback drives it),
    lr(step) = variable      otherwise (the optimizer's own learning_rate variable).

`owner` is a second scalar: the callback sets it and the optimizer's variable to the same value when it takes
the rate over, and to NaN when it lets go, so anything that writes the variable behind the callback's back
wins at once, inside the compiled step too. Writes through ``optimizer.learning_rate = value`` (Keras'
setter assigns the variable) are also seen on the host as they happen: the table hands them to the fit that
owns it (which composes with them, refuses them, or re-anchors on a restore). The next ``fit`` or
``train_on_batch`` lets go of a fit that ended without saying so (an exception, Ctrl-C), and a checkpoint
saved during a fit holds the next step's rate in the optimizer's variable.

The optimizer keeps its `learning_rate` variable and its saved config: a model saved while the table drives
it loads as an ordinary model. The momentum (`clr_keras.momentum`) rides on a second ring.

The Keras internals this relies on are in `clr_keras._keras`; `LrTable.claim` checks the two it cannot do
without when training starts: the optimizer reads its rate through ``_get_current_learning_rate()``, and its
``learning_rate`` setter assigns the variable.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import keras
from keras import ops

from . import _keras
from .ring import Ring

ATTRIBUTE = "_clr_lr_table"
MIN_SIZE = 1024


def is_variable(value: Any) -> bool:
    """Whether `value` is a Keras variable, on every Keras 3.

    Keras 3.0's optimizers hold backend variables that are not instances of ``keras.Variable``.
    """
    return (hasattr(value, "assign") and hasattr(value, "value") and hasattr(value, "dtype")
            and not callable(value) and not isinstance(value, keras.optimizers.schedules.LearningRateSchedule))


class Fit(Protocol):
    """What `LrTable` asks of the fit that drives it (the `clr_keras.CyclicLR` callback)."""

    def _other_writer(self, value: Any) -> None:
        """Another writer assigned `value` to the learning rate during the fit: compose with it or raise."""

    def _fit_ended(self) -> None:
        """The table let go of the optimizer after the fit ended without telling it (an interrupted fit)."""


class LrTable:
    """The per-step learning rates of one optimizer, read by its step counter inside the train step.

    Build one with `LrTable.attach`, which installs it on the optimizer (or returns the one installed).

    Args:
        optimizer: a Keras optimizer whose learning rate is a variable (built from a float).
        variable: that variable (``optimizer.learning_rate`` before the table is installed).
        size: slots in the ring; at least twice the steps run per call of the train function.
    """

    def __init__(self, optimizer: Any, variable: Any, size: int) -> None:
        self.optimizer = optimizer
        self.variable = variable
        self.rates = Ring(optimizer, size, variable.dtype, "clr_lr_table")
        self.owner = keras.Variable(math.nan, dtype=variable.dtype, trainable=False, name="clr_lr_table_owner")
        self.fit: Fit | None = None
        self.reads = 0  # calls of `learning_rate` (checked when training starts)
        self.setter_seen = False  # whether the probe write of `claim` came through the variable's assign
        self._probing = False
        self.on_read: Any = None  # called at each read of the rate (in a compiled step: when it is traced)

    @classmethod
    def attach(cls, optimizer: Any, steps_per_call: int) -> tuple[LrTable, bool]:
        """Return the table installed on `optimizer`, installing a new one if it has none or too few slots.

        The second value is True when a new table was installed: a train function traced before reads the
        old one and must be traced again.
        """
        table = getattr(optimizer, ATTRIBUTE, None)
        if table is not None and table.rates.size >= 2 * steps_per_call:
            return table, False
        variable = table.variable if table is not None else optimizer.learning_rate
        if table is not None:
            table.let_go()
        table = cls(optimizer, variable, max(MIN_SIZE, 4 * steps_per_call))
        _keras.install(optimizer, ATTRIBUTE, table)  # the table is not optimizer state
        _keras.route_learning_rate(optimizer, table.learning_rate)
        _keras.intercept_assign(variable, table._assigned)
        return table, True

    def learning_rate(self) -> Any:
        """The learning rate of the optimizer's current step (what `optimizer.learning_rate` returns)."""
        self.reads += 1
        if self.on_read is not None:
            self.on_read()
        variable = self.variable.value  # the table's rates while it equals the owner (a NaN owner never does)
        return self.rates.read(ops.equal(variable, self.owner.value), variable)

    def _assigned(self, value: Any) -> Any:
        """The variable's ``assign``: a write by anyone but the table (Keras' setter, a checkpoint restore)."""
        if self._probing:
            self.setter_seen = True
            self.hold(value)
        elif self.fit is None or _keras.purged(self.variable):  # purged: Keras' JAX trainer restores it
            return _keras.assign(self.variable, value)
        else:
            self.fit._other_writer(value)
        return value

    def hold(self, lr: Any) -> None:
        """Make the optimizer's variable (what a saved model holds) `lr`, the table driving the steps."""
        _keras.assign(self.variable, lr)  # the class's own assign, past the interception
        _keras.assign(self.owner, ops.copy(self.variable.value))  # a buffer of its own (JAX donates each once)

    def claim(self, fit: Fit, lr: float) -> None:
        """Drive the optimizer for `fit`, its variable set to `lr` through Keras' own setter.

        Raises:
            RuntimeError: this Keras reads or writes the learning rate in a way the table does not see.
        """
        reads = self.reads
        before = keras.ops.convert_to_numpy(self.variable.value)
        self.optimizer.learning_rate  # noqa: B018  (a read through the installed method, counted)
        self.setter_seen, self._probing = False, True
        try:
            self.optimizer.learning_rate = lr
        finally:
            self._probing = False
        problem = None
        if self.reads == reads:
            problem = "its optimizers do not read the rate through _get_current_learning_rate()"
        elif not self.setter_seen:
            problem = "its optimizer.learning_rate setter does not assign the learning-rate variable"
        if problem is not None:
            self.release(before)  # as it was
            raise RuntimeError(
                f"CyclicLR cannot drive the learning rate on Keras {keras.__version__}: {problem}, as the Keras "
                f"versions it supports do. Pass clr_keras.CyclicLRSchedule(...) as the optimizer's learning_rate "
                f"instead, or use a supported Keras (see pyproject.toml)")
        self.fit = fit

    def before_save(self) -> None:
        """During a fit, the optimizer's variable (what a checkpoint saves) gets the next step's rate."""
        if self.fit is not None:
            lr = self.rates.at(_keras.read_step(self.optimizer))
            if lr is not None:
                self.hold(lr)

    def release(self, lr: Any) -> None:
        """Let go at the end of a fit: the optimizer uses its own variable again, set to `lr` (unless None)."""
        self.fit = None
        if lr is not None:
            _keras.assign(self.variable, lr)
        _keras.assign(self.owner, math.nan)

    def let_go(self) -> None:
        """Let go after a fit that ended without saying so.

        The variable gets the rate the table held for the optimizer's next step (when it has it), and the
        fit is told.
        """
        fit, self.fit = self.fit, None
        try:
            if fit is not None:
                fit._fit_ended()
        finally:
            self.release(self.rates.at(_keras.read_step(self.optimizer)))


def end_fit(model: Any) -> None:
    """A ``fit`` or ``train_on_batch`` of `model` starts: a table still driven by an earlier fit lets go.

    That fit ended without ``on_train_end`` (an exception, Ctrl-C).
    """
    optimizer = getattr(model, "optimizer", None)
    table = getattr(_keras.own_optimizer(optimizer), ATTRIBUTE, None)
    if table is not None and table.fit is not None:
        table.let_go()
