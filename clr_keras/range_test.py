"""The LR range test for a compiled Keras model: a thin runner over `clr_core.RangeTest`.

It trains with ``train_on_batch`` for up to `num_iter` steps while the lr sweeps upward, records each step's
loss, and, with `validation_data`, the validation loss and compiled metrics every `eval_every` steps. It reads
the data `fit` reads: arrays or dicts of arrays with `sample_weight`, or batches ``x``, ``(x, y)`` or ``(x, y,
sample_weight)`` from a `tf.data.Dataset`, a `keras.utils.PyDataset`, a generator or a list; under the
optimizer's ``gradient_accumulation_steps`` one point of the curve is one real update. The
optimizer starts from a clean state (no leftover momentum, step counter 0) unless told otherwise, and the
weights and the optimizer's variables are always put back as they were, from copies held in memory, also when
training raises. Keras' SGD and RMSprop with momentum fold each step's lr into their velocity, so during a sweep the
weights feel about half the lr just written: ``result.lrs`` holds the lr each update applied (the constant lr that
would have moved the weights as far), as torch's momentum applies it. Under a `tf.distribute` strategy
``train_on_batch`` already returns the loss reduced over every replica, so there is one loss, one stop decision and
one result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter
from typing import Any

import keras
import numpy as np

from clr_core import RangeSweep, RangeTest, RangeTestResult
from clr_core.extend import Batches, adaptive_optimizer, checks

from . import _keras


def range_test(model: keras.Model, x: Any, y: Any = None, *, batch_size: int = 32, start_lr: float = 1e-7,
               end_lr: float = 10.0, num_iter: int = 100, sweep: str = "exponential", beta: float = 0.98,
               diverge_factor: float = 4.0, validation_data: Any = None, eval_every: int = 1,
               fresh_optimizer: bool = True, on_step: Callable[[int, float, float], None] | None = None,
               val_data: Any = None, sample_weight: Any = None, adaptive: bool | None = None) -> RangeTestResult:
    """Sweep the optimizer's lr from `start_lr` to `end_lr`, one optimizer update per point, recording its loss.

    Args:
        model: a compiled model whose optimizer has a float learning rate (not a schedule object). With the
            optimizer's ``gradient_accumulation_steps=k``, each point is the k batches of one real update
            (its loss their mean).
        x: training inputs as `fit` takes them: an array or a dict (or list) of arrays, cut into batches of
            `batch_size`; or batches ``x``, ``(x, y)`` or ``(x, y, sample_weight)`` from a
            `tf.data.Dataset` (of dicts too), a `keras.utils.PyDataset`, a generator or a list. Read again
            from the start when exhausted (a dataset that reshuffles each iteration reshuffles; a generator
            can be read once); no batch is held once used.
        y: training targets, when `x` holds arrays (None for a model that computes its own loss).
        batch_size: examples per step when `x` holds arrays (and per evaluation batch).
        start_lr: the first lr of the sweep (see `clr_core.RangeSweep`).
        end_lr: the last lr of the sweep.
        num_iter: the most steps to run (fewer when the loss diverges); may exceed the data's length.
        sweep: ``'exponential'`` or ``'linear'``.
        beta: loss smoothing of the stop decision in [0, 1) (see `clr_core.RangeTest`).
        diverge_factor: stop when the smoothed loss exceeds this many times its best.
        validation_data: ``(x_val, y_val)`` or a dataset, evaluated every `eval_every` steps:
            ``'val_loss'`` and ``'val_<metric>'`` for each compiled metric land in ``result.metrics``
            (Smith's accuracy method: ``result.suggest_bounds(metric='val_accuracy')``).
        eval_every: steps between evaluations.
        fresh_optimizer: start the sweep from the optimizer's initial state (slots and step counter as a new
            optimizer of the same config has them), so earlier training's momentum does not move the curve;
            False keeps the state as it is.
        on_step: called as ``on_step(steps_done, lr, loss)`` after each step, e.g. a progress bar's
            ``range_step`` (`clr_tools.progress.ProgressBar`).
        val_data: deprecated name of `validation_data`.
        sample_weight: one weight per example when `x` holds arrays (batches carry their own).
        adaptive: whether the optimizer scales each update by running statistics of the gradients, which
            makes `max_lr` step back 32 from the cliff instead of 8 (``result.adaptive``); None tells by the
            optimizer's class (Adam, AdamW, RMSprop, Adagrad, Lion, ..., see
            `clr_core.extend.adaptive_optimizer`; a `LossScaleOptimizer` by the one it wraps).

    Returns:
        The `clr_core.RangeTestResult`; ``result.suggest_bounds()`` gives ``(base_lr, max_lr)``. Its ``lrs`` are the
        lrs written, except under an optimizer that folds the lr into its velocity (the constant lr that would have
        moved the weights as far).
    """
    validation_data = checks.renamed("validation_data", validation_data, "val_data", val_data, "range_test")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("model must be compiled (model.compile(optimizer=..., loss=...)) before a range test")
    if isinstance(_keras.built_learning_rate(optimizer), keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError("the range test sets the lr itself: compile the model with a float learning_rate, "
                         "not a LearningRateSchedule")
    if adaptive is None:
        adaptive = adaptive_optimizer(cls.__name__ for cls in type(_keras.own_optimizer(optimizer)).__mro__)
    test = RangeTest(RangeSweep(start_lr, end_lr, num_iter, sweep), beta=beta, diverge_factor=diverge_factor,
                     adaptive=adaptive)
    accumulation = getattr(optimizer, "gradient_accumulation_steps", None) or 1
    arrays = y is not None or _holds_arrays(x)
    if sample_weight is not None and not arrays:
        raise ValueError("sample_weight goes with arrays: batches from a dataset carry their own, as "
                         "(x, y, sample_weight)")
    batches = Batches(_ArrayBatches(x, y, sample_weight, checks.count("batch_size", batch_size, low=1))
                      if arrays else x, "x")
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    saved_weights = model.get_weights()
    saved_optimizer = [variable.numpy() for variable in optimizer.variables]
    initial_optimizer = _initial_values(optimizer, model) if fresh_optimizer else None

    def train_step(lr: float) -> float:
        optimizer.learning_rate = lr
        # the batches up to the optimizer's next real update (k under accumulation, fewer when its counter is
        # already part way, with fresh_optimizer=False)
        calls = accumulation - _keras.micro_batches(optimizer) % accumulation if accumulation > 1 else 1
        total = 0.0
        for _ in range(calls):
            # x, (x,), (x, y) or (x, y, sample_weight), unpacked as fit unpacks them
            batch_x, batch_y, weights = keras.utils.unpack_x_y_sample_weight(batches.next())
            logs = model.train_on_batch(batch_x, batch_y, sample_weight=weights, return_dict=True)
            total += float(np.asarray(logs["loss"]))
        return total / calls

    def evaluate() -> dict[str, float]:
        if isinstance(validation_data, tuple):
            logs = model.evaluate(*validation_data, batch_size=batch_size, verbose=0, return_dict=True)
        else:
            logs = model.evaluate(validation_data, verbose=0, return_dict=True)
        return {f"val_{name}": float(np.asarray(value)) for name, value in logs.items()}

    try:
        if initial_optimizer is not None:
            for variable, value in zip(optimizer.variables, initial_optimizer):
                variable.assign(value)
        result = test.run(train_step, on_step=on_step, evaluate=None if validation_data is None else evaluate,
                          eval_every=eval_every)
        return dataclasses.replace(result, lrs=_felt_lrs(optimizer, result.lrs))
    finally:
        model.set_weights(saved_weights)
        for variable, value in zip(optimizer.variables, saved_optimizer):
            variable.assign(value)


def _felt_lrs(optimizer: keras.optimizers.Optimizer, lrs: list[float]) -> list[float]:
    """The lr each update of a sweep applied: the constant lr that would have moved the weights as far.

    Keras' SGD and RMSprop with momentum fold the lr into the velocity (``v = m * v - lr * g``), so an update
    carries the lrs of the earlier ones: at a constant gradient it moves ``sum_k m**k * lr[t - k]`` (plus ``lr[t]``
    and ``m`` times that under Nesterov), where a constant lr ``c`` moves ``c * sum_k m**k``, as in torch, whose
    momentum multiplies the whole buffer by the current lr. In a sweep growing 13% a step (1e-7 to 10 in 150 steps)
    with momentum 0.9 that is 0.49 of the lr written: read against the lrs written, the loss blows up about twice
    too late. Other optimizers (Adam, AdamW, plain SGD, ...) scale each update by its own lr: `lrs` as they are. The
    sum starts at the sweep's first update (the velocity's earlier history is not known); for RMSprop it assumes a
    settled average of squared gradients (after about ``1 / (1 - rho)`` steps of a steady gradient).
    """
    optimizer = _keras.own_optimizer(optimizer)
    momentum = float(getattr(optimizer, "momentum", 0.0) or 0.0)
    if not isinstance(optimizer, keras.optimizers.SGD | keras.optimizers.RMSprop) or momentum == 0.0:
        return list(lrs)
    nesterov = bool(getattr(optimizer, "nesterov", False))
    felt, velocity, unit = [], 0.0, 0.0  # the velocity of the lrs written, and of a constant lr of 1
    for lr in lrs:
        velocity, unit = momentum * velocity + lr, momentum * unit + 1.0
        felt.append((momentum * velocity + lr) / (momentum * unit + 1.0) if nesterov else velocity / unit)
    return felt


def _initial_values(optimizer: keras.optimizers.Optimizer, model: keras.Model) -> list[np.ndarray]:
    """The values a new optimizer of the same config starts with, built on stand-ins of the model's weights."""
    fresh = optimizer.__class__.from_config(optimizer.get_config())
    fresh.build([keras.Variable(np.zeros(v.shape, v.dtype), trainable=True) for v in model.trainable_variables])
    values = [variable.numpy() for variable in fresh.variables]
    shapes = [(tuple(v.shape), str(v.dtype)) for v in optimizer.variables]
    if [(tuple(np.shape(value)), str(value.dtype)) for value in values] != shapes:
        raise ValueError(f"cannot rebuild the initial state of {type(optimizer).__name__} (a new one of the same "
                         f"config has other variables): pass fresh_optimizer=False to keep its state")
    return values


def _holds_arrays(x: Any) -> bool:
    """True for an array or a dict of arrays (cut into batches), False for batches to iterate."""
    return hasattr(x, "shape") or isinstance(x, Mapping)


class _ArrayBatches:
    """Consecutive slices of `batch_size` of arrays (or dicts or lists of arrays), as ``(x, y, sample_weight)``.

    Iterable again (for `clr_core.extend.Batches`); nothing is kept: each slice is cut when it is asked for.
    """

    def __init__(self, x: Any, y: Any, sample_weight: Any, batch_size: int) -> None:
        lengths = {name: [len(leaf) for leaf in keras.tree.flatten(value)]
                   for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight)) if value is not None}
        if len({length for found in lengths.values() for length in found}) > 1:
            shown = ", ".join(f"{name} {found[0] if len(found) == 1 else found}" for name, found in lengths.items())
            raise ValueError(f"x, y and sample_weight must hold the same number of examples, got {shown}")
        self._length = lengths["x"][0]
        if self._length == 0:
            raise ValueError("x must hold at least one example, got an empty array")
        self._parts, self._batch_size = (x, y, sample_weight), batch_size

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for start in range(0, self._length, self._batch_size):
            cut = itemgetter(slice(start, start + self._batch_size))
            yield tuple(None if part is None else keras.tree.map_structure(cut, part) for part in self._parts)
