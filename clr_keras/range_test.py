"""The LR range test for a compiled Keras model: a thin runner over `clr_core.RangeTest`.

It trains with ``train_on_batch`` for up to `num_iter` steps while the lr sweeps upward, records each batch's
loss (or the validation loss, when `validation_data` is given), and always puts the weights and the optimizer's
variables back as they were, from copies held in memory, also when training raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import keras
import numpy as np

from clr_core import RangeSweep, RangeTest, RangeTestResult
from clr_core.extend import repeat_batches


def range_test(model: keras.Model, x: Any, y: Any = None, *, batch_size: int = 32, start_lr: float = 1e-7,
               end_lr: float = 10.0, num_iter: int = 100, sweep: str = "exponential", beta: float = 0.98,
               diverge_factor: float = 4.0, validation_data: tuple[Any, Any] | None = None,
               progress: bool = True) -> RangeTestResult:
    """Sweep the optimizer's lr from `start_lr` to `end_lr` and record the loss of each step.

    Args:
        model: a compiled model whose optimizer has a float learning rate (not a schedule object).
        x: training inputs, cut into batches of `batch_size` (reused from the start when exhausted); or,
            with `y` None, an iterable of ``(x, y)`` batches.
        y: training targets.
        batch_size: examples per step when `x` and `y` are arrays.
        start_lr: the first lr of the sweep (see `clr_core.RangeSweep`).
        end_lr: the last lr of the sweep.
        num_iter: the most steps to run (fewer when the loss diverges).
        sweep: ``'exponential'`` or ``'linear'``.
        beta: loss smoothing in [0, 1) (see `clr_core.RangeTest`).
        diverge_factor: stop when the smoothed loss exceeds this many times its best.
        validation_data: ``(x_val, y_val)``; when given, record the validation loss after each step.
        progress: draw a progress bar on stderr.

    Returns:
        The `clr_core.RangeTestResult`; ``result.suggest_bounds()`` gives ``(base_lr, max_lr)``.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("model must be compiled (model.compile(optimizer=..., loss=...)) before a range test")
    if isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError("the range test sets the lr itself: compile the model with a float learning_rate, "
                         "not a LearningRateSchedule")
    test = RangeTest(RangeSweep(start_lr, end_lr, num_iter, sweep), beta=beta, diverge_factor=diverge_factor)
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    saved_weights = model.get_weights()
    saved_optimizer = [variable.numpy() for variable in optimizer.variables]
    batches = _batches(x, y, batch_size)

    def train_step(lr: float) -> float:
        optimizer.learning_rate = lr
        batch_x, batch_y = next(batches)
        loss = _loss_of(model.train_on_batch(batch_x, batch_y, return_dict=True))
        if validation_data is not None:
            loss = _loss_of(model.evaluate(*validation_data, verbose=0, return_dict=True))
        return loss

    try:
        return test.run(train_step, progress=progress)
    finally:
        model.set_weights(saved_weights)
        for variable, value in zip(optimizer.variables, saved_optimizer):
            variable.assign(value)


def _loss_of(logs: dict[str, Any]) -> float:
    return float(np.asarray(logs["loss"]))


def _batches(x: Any, y: Any, batch_size: int) -> Iterator[tuple[Any, Any]]:
    if y is None:
        if not isinstance(x, Iterable):
            raise TypeError("x must be an array (with y) or an iterable of (x, y) batches")
        return repeat_batches(x, "x")
    count = len(x)
    if count != len(y):
        raise ValueError(f"x and y must have the same length, got {count} and {len(y)}")
    starts = range(0, count, batch_size)
    return repeat_batches([(x[start:start + batch_size], y[start:start + batch_size]) for start in starts], "x")
