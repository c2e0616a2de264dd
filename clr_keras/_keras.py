"""Every Keras internal that clr_keras relies on, in one place. Checked against Keras 3.0.0 and 3.15.

Keras has no public hook for what the callback does (a rate per optimizer step inside a compiled call), so
a few internals are unavoidable. They live here, nowhere else, and `tests/keras` runs on the oldest and the
newest Keras 3 we claim (``make test-keras-oldest``):

- the optimizer reads its rate through ``_get_current_learning_rate()``; the callback installs its own
  (`route_learning_rate`), and sees writes to the rate's variable by replacing that variable's ``assign``
  (`intercept_assign`); ``optimizer._learning_rate`` names what the optimizer was built with;
- a variable whose ``_value`` is None has been purged by the JAX trainer (which restores it by ``assign``);
- Keras calls ``model.make_train_function()`` at the start of every ``fit`` and ``train_on_batch``, before
  any callback: `before_each_fit` runs a function there (the callback lets go of a fit that ended without
  ``on_train_end``: an exception, Ctrl-C);
- an optimizer saves and loads its variables through ``save_own_variables`` / ``load_own_variables``
  (`guard_saving`);
- Keras' JAX trainer passes a state (``model._jax_state``) from call to call and writes it back into the
  variables only at the end of an epoch or on ``model.jax_state_sync()``; ``model._jax_state_synced`` says
  whether the variables are current; the optimizer's variables are ``optimizer._variables`` and its step
  counter ``optimizer._iterations``; ``callback._model`` is the model without the sync that the public
  ``callback.model`` does (`track`, `sync`, `current_step`); ``optimizer._iterations`` counts micro-batches
  under gradient accumulation (`update_counter`);
- Keras' safe mode is read from ``keras.src.saving.serialization_lib.in_safe_mode`` (`keras_safe_mode`);
- a ``LossScaleOptimizer`` hands the update to the optimizer in its ``inner_optimizer`` (`own_optimizer`).

Importing clr_keras with Keras 2 raises an `ImportError` here, and `CyclicLR` refuses a Keras 2 model
(``tf_keras``, ``TF_USE_LEGACY_KERAS=1``) with a `TypeError` naming the fix.

Attributes are set with ``object.__setattr__`` (`install`), past Keras' attribute tracking: the callback's
tables are no state of the optimizer, and a saved model holds none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import keras

if int(keras.__version__.split(".")[0]) < 3:
    raise ImportError(f"clr_keras needs Keras 3, but keras {keras.__version__} is installed: pip install "
                      f"'keras>=3' (TensorFlow 2.16+ uses it), or use clr_torch / clr_optax")

TRACKED = "_clr_tracked_variables"
BEFORE_FIT = "_clr_before_each_fit"


def install(owner: Any, name: str, value: Any) -> None:
    """``owner.name = value`` as a plain attribute, past Keras' attribute tracking."""
    object.__setattr__(owner, name, value)


def installed(owner: Any, name: str) -> Any:
    """What `install` put on `owner` under `name`, or None."""
    return owner.__dict__.get(name)


def uninstall(owner: Any, name: str) -> None:
    """Remove what `install` put on `owner` under `name` (the class's own comes back)."""
    owner.__dict__.pop(name, None)


def own_optimizer(optimizer: Any) -> Any:
    """The optimizer that applies the updates: a ``LossScaleOptimizer``'s inner one, else `optimizer`."""
    return getattr(optimizer, "inner_optimizer", None) or optimizer


def route_learning_rate(optimizer: Any, read: Callable[[], Any]) -> None:
    """Make `optimizer` read its learning rate (in the train step, and ``optimizer.learning_rate``) from `read`."""
    install(optimizer, "_get_current_learning_rate", read)


def built_learning_rate(optimizer: Any) -> Any:
    """What `optimizer` was built with as its learning rate (a variable, a schedule, a callable)."""
    return getattr(optimizer, "_learning_rate", None)


def intercept_assign(variable: Any, assigned: Callable[[Any], Any]) -> None:
    """Make every ``variable.assign(value)`` (Keras' setter, a restore) call ``assigned(value)`` instead."""
    install(variable, "assign", assigned)


def assign(variable: Any, value: Any) -> Any:
    """``variable.assign(value)`` by the variable's class, past `intercept_assign`."""
    return type(variable).assign(variable, value)


def purged(variable: Any) -> bool:
    """Whether the JAX trainer purged `variable`'s value (it is then restored by ``assign``)."""
    return getattr(variable, "_value", True) is None


def before_each_fit(model: Any, run: Callable[[Any], None]) -> None:
    """Have ``run(model)`` called at the start of every ``fit`` and ``train_on_batch`` of `model` (once per model)."""
    if installed(model, BEFORE_FIT):
        return
    original = model.make_train_function

    def make_train_function(*args: Any, **kwargs: Any) -> Any:
        run(model)
        return original(*args, **kwargs)

    install(model, "make_train_function", make_train_function)
    install(model, BEFORE_FIT, True)


def guard_saving(owner: Any, optimizer: Any, before_save: Callable[[], None]) -> None:
    """Make `owner`'s variable saving call `before_save` first, and saving and loading skip what `track` added.

    `owner` is `optimizer` or the ``LossScaleOptimizer`` around it.
    """

    def save_own_variables(store: Any) -> None:
        before_save()
        with _untracked(optimizer):
            type(owner).save_own_variables(owner, store)

    def load_own_variables(store: Any) -> None:
        with _untracked(optimizer):
            type(owner).load_own_variables(owner, store)

    install(owner, "save_own_variables", save_own_variables)
    install(owner, "load_own_variables", load_own_variables)


@contextmanager
def _untracked(optimizer: Any) -> Iterator[None]:
    """`optimizer` without the variables `track` added, for the time of the block."""
    tracked = {id(variable) for variable in optimizer.__dict__.get(TRACKED, [])}
    everything = optimizer._variables
    install(optimizer, "_variables", [item for item in everything if id(item) not in tracked])
    try:
        yield
    finally:
        install(optimizer, "_variables", everything)


def on_jax() -> bool:
    """Whether Keras runs on the JAX backend."""
    return str(keras.backend.backend()) == "jax"


def track(optimizer: Any, variables: Sequence[Any]) -> None:
    """Make `variables` part of the state the JAX trainer passes to `optimizer`'s step (JAX only).

    A variable outside that state would be a constant of the traced step; `guard_saving` keeps them out of
    checkpoints.
    """
    if not on_jax():
        return
    tracked: list[Any] = optimizer.__dict__.setdefault(TRACKED, [])
    known = {id(variable) for variable in optimizer._variables}
    for variable in variables:
        if id(variable) not in known:
            optimizer._variables.append(variable)
            tracked.append(variable)


def _trainer(callback: Any) -> Any:
    """The model `callback` is attached to, without the state sync that ``callback.model`` does on JAX."""
    return getattr(callback, "_model", None)


def sync(callback: Any) -> None:
    """Before the host writes a table during training: the JAX trainer's state into the variables (JAX only)."""
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
    return int(state["optimizer_variables"][index]) // accumulation_steps(optimizer)


def accumulation_steps(optimizer: Any) -> int:
    """Micro-batches per update of `optimizer`: its ``gradient_accumulation_steps`` (Keras 3.1+), else 1."""
    return int(getattr(optimizer, "gradient_accumulation_steps", None) or 1)


def update_counter(optimizer: Any) -> Any:
    """Inside the train step: the optimizer's count of updates so far, as a tensor.

    The step counter; under gradient accumulation, micro-batches // ``gradient_accumulation_steps``, so
    that the micro-batch that applies update ``j`` reads ``j`` (Keras' own schedules read the micro-batches).
    """
    counter = getattr(optimizer, "_iterations", None)
    if counter is None:  # Keras 3.0: the counter is the attribute `iterations` itself
        counter = optimizer.iterations
    counter = counter.value
    steps = accumulation_steps(optimizer)
    return counter if steps == 1 else keras.ops.floor_divide(counter, steps)


def micro_batches(optimizer: Any) -> int:
    """The batches `optimizer` has seen (under gradient accumulation, more than its updates), as an int."""
    return int(keras.ops.convert_to_numpy(optimizer._iterations))


def read_step(optimizer: Any) -> int:
    """The optimizer's count of updates as a Python int (one read from the device); see `update_counter`.

    ``int(counter)``, not ``keras.ops.convert_to_numpy``, which costs more on TensorFlow: the callback reads the
    counter at every call of the train function when ``steps_per_execution > 1``.
    """
    counter = optimizer.iterations  # Keras 3.1+ divides by gradient_accumulation_steps
    try:
        return int(counter)
    except TypeError:  # a tf.distribute variable has no __int__
        return int(counter.numpy())


def keras_safe_mode() -> bool:
    """Whether Keras deserializes in safe mode now (Keras 3 has no public getter).

    True unless ``load_model(..., safe_mode=False)`` is loading or
    ``keras.config.enable_unsafe_deserialization()`` was called.
    """
    try:
        from keras.src.saving.serialization_lib import in_safe_mode
    except ImportError:  # a Keras without it: stay safe
        return True
    return in_safe_mode() is not False
