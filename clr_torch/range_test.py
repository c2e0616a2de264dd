"""The LR range test for a PyTorch model: a thin runner over `clr_core.RangeTest`.

It trains the model for up to `num_iter` steps while the lr sweeps upward, records the training loss of each
step, and, with `validation_data`, the validation loss and metrics every `eval_every` steps. The optimizer
starts from a clean state (no leftover momentum) unless told otherwise, and the model's weights and the
optimizer's state are always put back as they were, from copies held in memory, also when training raises.
Under `torch.distributed` every rank must call it: the losses and metrics are averaged across ranks before
they are recorded, so every rank takes the same stop decision and returns the same result.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from clr_core import RangeSweep, RangeTest, RangeTestResult
from clr_core.extend import Batches, checks

from .groups import write_value

Metric = Callable[[Any, Any], Any]


def range_test(model: nn.Module, optimizer: Optimizer, loss_fn: Callable[[Any, Any], Tensor],
               data: Iterable[tuple[Any, Any]], *, start_lr: float = 1e-7, end_lr: float = 10.0,
               num_iter: int = 100, sweep: str = "exponential", beta: float = 0.98, diverge_factor: float = 4.0,
               validation_data: Iterable[tuple[Any, Any]] | None = None, metrics: Mapping[str, Metric] | None = None,
               eval_every: int = 1, fresh_optimizer: bool = True,
               on_step: Callable[[int, float, float], None] | None = None,
               val_data: Iterable[tuple[Any, Any]] | None = None) -> RangeTestResult:
    """Sweep the lr of every param group from `start_lr` to `end_lr` and record the loss of each step.

    Args:
        model: the model to train; its weights (and buffers) are restored afterwards.
        optimizer: its optimizer; its state (lr, momentum buffers, ...) is restored afterwards, a tensor lr
            in place (the same tensor object, its value put back).
        loss_fn: ``loss_fn(model(x), y)`` gives the scalar loss of a batch.
        data: ``(x, y)`` batches, e.g. a DataLoader; iterated again when exhausted (a shuffled loader
            reshuffles), never held once used.
        start_lr: the first lr of the sweep (see `clr_core.RangeSweep`).
        end_lr: the last lr of the sweep.
        num_iter: the most steps to run (fewer when the loss diverges); may exceed the data's length.
        sweep: ``'exponential'`` or ``'linear'``.
        beta: loss smoothing of the stop decision in [0, 1) (see `clr_core.RangeTest`).
        diverge_factor: stop when the smoothed loss exceeds this many times its best.
        validation_data: ``(x, y)`` batches, read in full every `eval_every` steps: ``'val_loss'`` and
            ``'val_<name>'`` for each of `metrics` land in ``result.metrics`` (Smith's accuracy method:
            ``result.suggest_bounds(metric='val_accuracy')``).
        metrics: name -> ``metric(model(x), y)``, a batch mean (e.g. accuracy), averaged over the validation
            batches weighted by their size.
        eval_every: steps between evaluations.
        fresh_optimizer: start the sweep from an empty optimizer state (no momentum or Adam moments left over
            from earlier training, which would move the curve); False keeps the state as it is.
        on_step: called as ``on_step(steps_done, lr, loss)`` after each step, e.g. a progress bar's
            ``range_step`` (`clr_tools.progress.ProgressBar`).
        val_data: deprecated name of `validation_data`.

    Returns:
        The `clr_core.RangeTestResult`; ``result.suggest_bounds()`` gives ``(base_lr, max_lr)``.

    Examples:
        >>> import torch
        >>> torch.manual_seed(0) and None
        >>> model = torch.nn.Linear(4, 1)
        >>> x = torch.randn(64, 4); y = x.sum(dim=1, keepdim=True)
        >>> result = range_test(model, torch.optim.SGD(model.parameters()), torch.nn.functional.mse_loss,
        ...                     [(x, y)], start_lr=1e-4, end_lr=1.0, num_iter=50)
        >>> len(result.lrs) <= 50
        True
    """
    validation_data = checks.renamed("validation_data", validation_data, "val_data", val_data, "range_test")
    if metrics and validation_data is None:
        raise ValueError("metrics are evaluated on validation_data: pass validation_data too")
    test = RangeTest(RangeSweep(start_lr, end_lr, num_iter, sweep), beta=beta, diverge_factor=diverge_factor)
    batches = Batches(data)
    saved_model = copy.deepcopy(model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    held_tensors = [{key: (value, value.detach().clone()) for key, value in group.items() if isinstance(value, Tensor)}
                    for group in optimizer.param_groups]
    was_training = model.training

    def train_step(lr: float) -> float:
        for group in optimizer.param_groups:
            write_value(group, "lr", lr)
        x, y = batches.next()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return _mean_across_ranks(loss.detach())

    def evaluate() -> dict[str, float]:
        assert validation_data is not None
        return _evaluate(model, loss_fn, validation_data, dict(metrics or {}))

    try:
        if fresh_optimizer:
            optimizer.state.clear()  # every torch optimizer builds its state afresh at its next step
        model.train()
        return test.run(train_step, on_step=on_step, evaluate=None if validation_data is None else evaluate,
                        eval_every=eval_every)
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        for group, tensors in zip(optimizer.param_groups, held_tensors):
            for key, (tensor, value) in tensors.items():
                tensor.copy_(value)  # load_state_dict put a copy in; anyone holding the tensor keeps seeing it
                group[key] = tensor
        model.train(was_training)


def _evaluate(model: nn.Module, loss_fn: Callable[[Any, Any], Tensor], data: Iterable[tuple[Any, Any]],
              metrics: dict[str, Metric]) -> dict[str, float]:
    """``val_loss`` and ``val_<name>``: batch means weighted by batch size, averaged across ranks."""
    names = ["val_loss", *(f"val_{name}" for name in metrics)]
    sums = [0.0] * len(names)
    count = 0
    model.eval()
    try:
        with torch.no_grad():
            for x, y in data:
                output = model(x)
                size = len(y)
                values = [loss_fn(output, y), *(metric(output, y) for metric in metrics.values())]
                sums = [total + float(value) * size for total, value in zip(sums, values)]
                count += size
    finally:
        model.train()
    if count == 0:
        raise ValueError("validation_data must hold at least one (x, y) batch each time it is read (a list or a "
                         "DataLoader, not a generator)")
    totals = _sum_across_ranks([*sums, float(count)])
    return {name: total / totals[-1] for name, total in zip(names, totals)}


def _in_process_group() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _sum_across_ranks(values: list[float]) -> list[float]:
    if not _in_process_group():
        return values
    device = "cuda" if torch.distributed.get_backend() == "nccl" else "cpu"
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.all_reduce(tensor)
    return [float(value) for value in tensor]


def _mean_across_ranks(loss: Tensor) -> float:
    """Every rank gets the mean loss of all ranks, so each records the same and stops at the same step."""
    if not _in_process_group():
        return float(loss)
    total = loss.to(torch.float64, copy=True)
    torch.distributed.all_reduce(total)
    return float(total) / torch.distributed.get_world_size()
