"""Momentum cycled inversely to the learning rate, one value per optimizer step, inside the compiled step.

Smith (arXiv:1803.09820) pairs a rising lr with a falling momentum. The momentum of each step comes from
`clr_core` (``clr_core.momentum_for(lr_schedule, base_momentum, max_momentum)``, evaluated at the step's
cycle iteration); this module only puts it where the optimizer reads it:

- ``momentum`` for `SGD` and `RMSprop` (built with ``momentum > 0``, so that they keep a velocity);
- ``beta_1`` for the Adam family: `Adam`, `AdamW`, `Adamax`, `Nadam`, `Lamb`, `Lion`;
- ``momentum`` and ``adam_beta_1`` for `Muon` (its orthogonalised part and its AdamW part).

Keras reads these attributes when it traces the train step, as Python floats: a value set between batches
would be baked into the compiled step (and, with ``steps_per_execution > 1``, could not change inside a
call anyway). So while a callback cycles the momentum, each attribute holds a `StepMomentum` instead: a
Keras variable whose value is computed, wherever the step reads it, from the optimizer's step counter::

    momentum(step) = values[step % size]    while the callback is active,
    momentum(step) = the optimizer's own float    otherwise,

with `values` the slots of a `clr_keras.ring.Ring`, like the learning rates (`clr_keras.lr_table`), and written
with them.
Comparisons with a number (``self.momentum != 0`` in `SGD`, ``> 0`` in `RMSprop`, which decide whether the
optimizer keeps a velocity at all) answer as the optimizer's float, so the structure of the step does not
change. When training ends the attributes get their floats back and ``get_config`` never sees anything
else, so a model saved during or after training loads as an ordinary one.

Refused, with a `ValueError` that says what to use instead: optimizers without a momentum (`Adagrad`,
`Adadelta`, `Ftrl`, `Adafactor`), `SGD`/`RMSprop` built with ``momentum=0``, `ScheduleFreeAdamW` (its
``beta_1`` is the weight of an average that each step recovers with the current value, so a changing one
corrupts it), and optimizers this module does not know (their step may bake the value in).
"""

from __future__ import annotations

import numbers
from functools import partial, partialmethod
from typing import Any

import keras

from . import _keras
from .lr_table import LrTable
from .ring import Ring

ATTRIBUTE = "_clr_momentum_table"
# Where Keras' optimizers keep their momentum, looked up by class (a subclass takes its base's entry: AdamW
# Adam's). The first match wins, so the order matters only for classes derived from one another.
KNOWN: dict[str, tuple[str, ...]] = {"SGD": ("momentum",), "RMSprop": ("momentum",),
                                     **dict.fromkeys(("Adam", "Adamax", "Nadam", "Lamb", "Lion"), ("beta_1",)),
                                     "Muon": ("momentum", "adam_beta_1")}
WITH_VELOCITY = ("SGD", "RMSprop")  # these keep a velocity only when built with momentum > 0
INSTEAD = ("use SGD(momentum=0.9), RMSprop(momentum=0.9) or the Adam family (Adam, AdamW, Adamax, Nadam, "
           "Lamb, Lion), or cycle_momentum=False")


def momentum_attributes(optimizer: Any) -> tuple[str, ...]:
    """The names of the attributes where `optimizer` keeps the momentum that its step reads.

    Raises:
        ValueError: the optimizer has no momentum to cycle, or one that cannot change between steps; the
            message names it and says what to use instead.

    Examples:
        >>> momentum_attributes(keras.optimizers.AdamW())
        ('beta_1',)
        >>> momentum_attributes(keras.optimizers.SGD(momentum=0.9))
        ('momentum',)
    """
    name = type(optimizer).__name__
    schedule_free = getattr(keras.optimizers, "ScheduleFreeAdamW", None)
    if schedule_free is not None and isinstance(optimizer, schedule_free):
        raise ValueError(
            f"cycle_momentum=True cannot cycle {name}'s beta_1: it weighs an average that each step recovers "
            f"with the current beta_1, so a beta_1 that changes between steps would corrupt it; use "
            f"cycle_momentum=False with {name} (it needs no schedule), or AdamW to cycle beta_1")
    for known, names in KNOWN.items():
        cls = getattr(keras.optimizers, known, None)
        if cls is None or not isinstance(optimizer, cls):
            continue
        for attribute in names:
            value = plain_value(getattr(optimizer, attribute))
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(
                    f"cycle_momentum=True needs {name}'s {attribute} to be a float, but it is "
                    f"{type(value).__name__} {value!r}; build {name} with a float {attribute}")
        if known in WITH_VELOCITY and plain_value(optimizer.momentum) <= 0:
            raise ValueError(
                f"cycle_momentum=True needs a momentum to cycle, but {name} was built with momentum="
                f"{plain_value(optimizer.momentum)!r}, so its step keeps no velocity; build it with a "
                f"momentum > 0 (e.g. keras.optimizers.{known}(learning_rate, momentum=0.9)), or use "
                f"cycle_momentum=False")
        return names
    raise ValueError(f"cycle_momentum=True cannot cycle the momentum of {name}: it keeps none that its step "
                     f"reads at every step (it has no momentum or beta_1 of Keras' built-in optimizers); "
                     f"{INSTEAD}")


def plain_value(value: Any) -> Any:
    """The optimizer's own value behind an attribute (a `StepMomentum` left in place stands for its float)."""
    return value.number if isinstance(value, StepMomentum) else value


class StepMomentum(keras.Variable):  # type: ignore[misc]  # Keras has no type hints
    """A scalar Keras variable whose value is the momentum of the optimizer's current step.

    Every read (``ops.cast(self.momentum, dtype)``, ``1 - self.beta_1``, ...) evaluates `read()` in the
    graph being built, so each step of a compiled call gets the value of its own step counter. Comparisons
    with a Python number answer as `number` (the optimizer's own float) does: they decide, at trace time,
    what the step computes, not with which value.

    Args:
        read: a function of no arguments that returns the current step's momentum as a tensor.
        number: the optimizer's own float, which the attribute holds when the callback does not drive it.
        dtype: the dtype of the values read.
    """

    def __init__(self, read: Any, number: float, dtype: str) -> None:
        options = {"initializer": float(number), "dtype": dtype, "trainable": False, "name": "clr_step_momentum"}
        try:
            super().__init__(**options, autocast=False)
        except TypeError:  # Keras before 3.1 has no autocast (and casts no variable of its own dtype)
            super().__init__(**options)
        self._read = read
        self.number = float(number)

    @property
    def value(self) -> Any:
        return self._read()

    def _compared(self, operator: str, other: Any) -> Any:
        if isinstance(other, numbers.Real):
            return getattr(self.number, operator)(float(other))
        return getattr(super(), operator)(other)

    __eq__ = partialmethod(_compared, "__eq__")
    __ne__ = partialmethod(_compared, "__ne__")
    __lt__ = partialmethod(_compared, "__lt__")
    __le__ = partialmethod(_compared, "__le__")
    __gt__ = partialmethod(_compared, "__gt__")
    __ge__ = partialmethod(_compared, "__ge__")
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<StepMomentum: the momentum of the current step (the optimizer's own: {self.number!r})>"


class MomentumTable:
    """The per-step momentum of one optimizer, on the ring of its `LrTable`, and the attributes it drives.

    Build one with `MomentumTable.attach`, which reuses the one installed on the optimizer when it fits.

    Args:
        table: the optimizer's `LrTable` (the ring's size and the steps its slots hold come from it).
        names: the attributes to drive (`momentum_attributes`).
    """

    def __init__(self, table: LrTable, names: tuple[str, ...]) -> None:
        self.table = table
        self.optimizer = optimizer = table.optimizer
        self.names = names
        self.numbers = {name: float(plain_value(getattr(optimizer, name))) for name in names}
        rates = table.rates
        self.momentums = Ring(optimizer, rates.size, rates.dtype, "clr_momentum_table")
        self.active = keras.Variable(False, dtype="bool", trainable=False, name="clr_momentum_table_active")
        self.readers = {name: StepMomentum(partial(self._read, number), number, rates.dtype)
                        for name, number in self.numbers.items()}
        self.function: Any = None  # the train function last traced (or to be traced) with the readers
        self.stale = False  # whether the step was traced while the attributes held plain floats
        table.on_read = self._on_read

    @classmethod
    def attach(cls, table: LrTable, names: tuple[str, ...]) -> MomentumTable:
        """The table installed on the optimizer of `table`, or a new one if it has none that fits."""
        optimizer = table.optimizer
        found: MomentumTable | None = getattr(optimizer, ATTRIBUTE, None)
        if (found is not None and found.table is table and found.names == names
                and all(float(plain_value(getattr(optimizer, name))) == found.numbers[name] for name in names)):
            return found
        built = cls(table, names)
        _keras.install(optimizer, ATTRIBUTE, built)
        return built

    @staticmethod
    def release(optimizer: Any) -> None:
        """Give `optimizer` its floats back if a table still drives them (a training that ended by an error)."""
        found = getattr(optimizer, ATTRIBUTE, None)
        if found is not None and found.installed:
            found.deactivate()

    def _read(self, number: float) -> Any:
        """The momentum of the optimizer's current step: the ring's while active, else `number` (its own)."""
        return self.momentums.read(self.active.value, number)

    def _on_read(self) -> None:
        """Called when the optimizer reads its learning rate (in a compiled step: when it is traced)."""
        if not self.installed:
            self.stale = True

    @property
    def installed(self) -> bool:
        """Whether the optimizer's attributes hold the readers now."""
        return all(_keras.installed(self.optimizer, name) is self.readers[name] for name in self.names)

    def needs_new_train_function(self, train_function: Any) -> bool:
        """Whether `train_function` may have been traced with the plain floats (then it must be made again)."""
        return train_function is not None and (train_function is not self.function or self.stale)

    def activate(self) -> None:
        """Make the optimizer's attributes read the ring, and its config keep reporting its own floats."""
        optimizer = self.optimizer
        for name in self.names:
            _keras.install(optimizer, name, self.readers[name])
        _keras.install(optimizer, "get_config", self._config)
        self.active.assign(True)
        self.stale = False

    def deactivate(self) -> None:
        """Give the optimizer its floats back; a step traced with the readers reads the same floats."""
        self.active.assign(False)
        optimizer = self.optimizer
        for name, number in self.numbers.items():
            _keras.install(optimizer, name, number)
        _keras.uninstall(optimizer, "get_config")

    def _config(self) -> dict[str, Any]:
        """The optimizer's ``get_config()`` with its own floats where the readers stand."""
        config: dict[str, Any] = type(self.optimizer).get_config(self.optimizer)
        return {**config, **{name: number for name, number in self.numbers.items() if name in config}}
