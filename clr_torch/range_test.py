"""The LR range test for a PyTorch model: a thin runner over `clr_core.RangeTest`.

It trains the model for up to `num_iter` steps while the lr sweeps upward, records the loss of each step
(or the validation loss, when `val_data` is given), and always puts the model's weights and the optimizer's
state back as they were, from copies held in memory, also when training raises.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from clr_core import RangeSweep, RangeTest, RangeTestResult
from clr_core.extend import repeat_batches

from .groups import write_value


def range_test(model: nn.Module, optimizer: Optimizer, loss_fn: Callable[[Any, Any], torch.Tensor],
               data: Iterable[tuple[Any, Any]], *, start_lr: float = 1e-7, end_lr: float = 10.0,
               num_iter: int = 100, sweep: str = "exponential", beta: float = 0.98, diverge_factor: float = 4.0,
               val_data: Iterable[tuple[Any, Any]] | None = None, progress: bool = True) -> RangeTestResult:
    """Sweep the lr of every param group from `start_lr` to `end_lr` and record the loss of each step.

    Args:
        model: the model to train; its weights are restored afterwards.
        optimizer: its optimizer; its state (lr, momentum buffers, ...) is restored afterwards.
        loss_fn: ``loss_fn(model(x), y)`` gives the scalar loss of a batch.
        data: ``(x, y)`` batches, e.g. a DataLoader; reused from the start when exhausted.
        start_lr: the first lr of the sweep (see `clr_core.RangeSweep`).
        end_lr: the last lr of the sweep.
        num_iter: the most steps to run (fewer when the loss diverges).
        sweep: ``'exponential'`` or ``'linear'``.
        beta: loss smoothing in [0, 1) (see `clr_core.RangeTest`).
        diverge_factor: stop when the smoothed loss exceeds this many times its best.
        val_data: when given, record the mean loss over these batches after each step instead of the
            training loss (Smith's original reads validation curves; slower, smoother).
        progress: draw a progress bar on stderr.

    Returns:
        The `clr_core.RangeTestResult`; ``result.suggest_bounds()`` gives ``(base_lr, max_lr)``.

    Examples:
        >>> import torch
        >>> torch.manual_seed(0) and None
        >>> model = torch.nn.Linear(4, 1)
        >>> x = torch.randn(64, 4); y = x.sum(dim=1, keepdim=True)
        >>> result = range_test(model, torch.optim.SGD(model.parameters()), torch.nn.functional.mse_loss,
        ...                     [(x, y)], start_lr=1e-4, end_lr=1.0, num_iter=50, progress=False)
        >>> len(result.lrs) <= 50
        True
    """
    test = RangeTest(RangeSweep(start_lr, end_lr, num_iter, sweep), beta=beta, diverge_factor=diverge_factor)
    saved_model = copy.deepcopy(model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    batches = repeat_batches(data)

    def train_step(lr: float) -> float:
        for group in optimizer.param_groups:
            write_value(group, "lr", lr)
        x, y = next(batches)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.detach()) if val_data is None else _mean_loss(model, loss_fn, val_data)

    try:
        model.train()
        return test.run(train_step, progress=progress)
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        model.train(was_training)


def _mean_loss(model: nn.Module, loss_fn: Callable[[Any, Any], torch.Tensor],
               data: Iterable[tuple[Any, Any]]) -> float:
    model.eval()
    with torch.no_grad():
        losses = [float(loss_fn(model(x), y)) for x, y in data]
    model.train()
    if not losses:
        raise ValueError("val_data must hold at least one (x, y) batch")
    return sum(losses) / len(losses)
