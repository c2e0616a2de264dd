"""The callback's rate tables on the JAX backend: carried in the trainer's state, written where it syncs.

Keras' JAX trainer runs a pure, jitted train step on a state it holds outside the variables (the model's and
the optimizer's variables' values, read once and then passed from call to call); it writes that state back
into the variables only at the end of an epoch, or when a callback calls ``model.jax_state_sync()``. A
variable outside that state is a constant of the traced step, so a table of rates written by the host
between calls would never be seen. Here:

- `track` makes the tables' variables (`clr_keras.lr_table`, `clr_keras.momentum`) part of the optimizer's
  variables, so the step reads them, like the step counter, from the state it is passed; the optimizer's
  saving and loading leave them out, so checkpoints hold the optimizer's own variables only;
- `sync` brings the trainer's state back into the variables before the host writes a table (once per ring
  of steps, and at a reset or a load), so the next call starts from the written values;
- `current_step` reads the step counter from the trainer's state where the variables lag behind it.

On the other backends the step reads the variables themselves, and these are no-ops.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import keras

from .lr_table import read_step

ATTRIBUTE = "_clr_tracked_variables"


def on_jax() -> bool:
    """Whether Keras runs on the JAX backend."""
    return keras.backend.backend() == "jax"


def track(model: Any, optimizer: Any, variables: Sequence[Any]) -> None:
    """Make `variables` part of the state the JAX trainer passes to `optimizer`'s step (JAX only).

    `optimizer` is the one the callback drives (inside a `LossScaleOptimizer`, the inner one); saving
    `model.optimizer` or `optimizer` skips the tracked variables, and loading expects them absent.
    """
    if not on_jax():
        return
    tracked: list[Any] = optimizer.__dict__.setdefault(ATTRIBUTE, [])
    known = {id(variable) for variable in optimizer._variables}
    for variable in variables:
        if id(variable) not in known:
            optimizer._variables.append(variable)
            tracked.append(variable)
    for owner in {id(model.optimizer): model.optimizer, id(optimizer): optimizer}.values():
        _save_without(owner, optimizer)


def _save_without(owner: Any, optimizer: Any) -> None:
    """Make `owner`'s variable saving and loading leave out what `optimizer` tracks for the callback."""

    def save_own_variables(store: Any) -> None:
        with _untracked(optimizer):
            type(owner).save_own_variables(owner, store)

    def load_own_variables(store: Any) -> None:
        with _untracked(optimizer):
            type(owner).load_own_variables(owner, store)

    # Plain attributes, past Keras' attribute tracking (as the tables themselves are installed).
    object.__setattr__(owner, "save_own_variables", save_own_variables)
    object.__setattr__(owner, "load_own_variables", load_own_variables)


@contextmanager
def _untracked(optimizer: Any) -> Iterator[None]:
    """`optimizer` without the variables tracked for the callback, for the time of the block."""
    tracked = {id(variable) for variable in optimizer.__dict__.get(ATTRIBUTE, [])}
    everything = optimizer._variables
    object.__setattr__(optimizer, "_variables", [item for item in everything if id(item) not in tracked])
    try:
        yield
    finally:
        object.__setattr__(optimizer, "_variables", everything)


def _trainer(callback: Any) -> Any:
    """The model `callback` is attached to, without the state sync that Keras' ``callback.model`` does on JAX."""
    return getattr(callback, "_model", None)


def sync(callback: Any) -> None:
    """Before the host writes a table during training: the trainer's state into the variables (JAX only).

    The next call of the train step then reads the state again, with the written values.
    """
    model = _trainer(callback)
    if on_jax() and getattr(model, "_jax_state", None):
        model.jax_state_sync()


def current_step(callback: Any, optimizer: Any) -> int:
    """`optimizer`'s step counter, from the JAX trainer's state while the variables lag behind it."""
    model = _trainer(callback)
    state = getattr(model, "_jax_state", None)
    if not (on_jax() and state and not getattr(model, "_jax_state_synced", True)):
        return read_step(optimizer)
    variables = model.optimizer.variables
    index = next(k for k, variable in enumerate(variables) if variable is optimizer._iterations)
    return int(state["optimizer_variables"][index])
