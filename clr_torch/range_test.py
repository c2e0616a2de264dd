"""The LR range test for a PyTorch model: a thin runner over `clr_core.RangeTest`.

It trains the model for up to `num_iter` steps while the lr sweeps upward, records the training loss of each
step, and, with `validation_data`, the validation loss and metrics every `eval_every` steps. The optimizer
starts from a clean state (no leftover momentum) unless told otherwise, and the model's weights and the
optimizer's state are always put back as they were, from copies held in memory, also when training raises.
The step is the user's: ``loss_fn(model(x), y)`` on ``(x, y)`` batches, or ``batch_loss(model, batch)`` on any
batch (a dict, a model that computes its own loss), over `accumulation_steps` batches per optimizer step,
under the user's `torch.autocast` and `GradScaler`; param groups keep their lr ratios. Under
`torch.distributed` every rank must call it: the losses and metrics are averaged across ranks before they are
recorded, and an error on one rank is raised on every rank at the same step (`clr_torch.ranks`), so every
rank takes the same decisions and returns the same result.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from clr_core import RangeSweep, RangeTest, RangeTestResult
from clr_core.extend import Batches, adaptive_optimizer, checks

from . import ranks
from .groups import write_value

Metric = Callable[[Any, Any], Any]
BatchLoss = Callable[[nn.Module, Any], Tensor]
MAX_SKIPS = 50
"""Skipped steps in a row (a `GradScaler` finding inf gradients at every scale) taken as divergence."""
WRAPPED = ("optimizer", "_optimizer", "optim")
"""Where optimizer wrappers keep the optimizer they wrap (Accelerate, Lightning, ZeroRedundancyOptimizer)."""




def range_test(model: nn.Module, optimizer: Optimizer, loss_fn: Callable[[Any, Any], Tensor] | None,
               data: Iterable[Any], *, start_lr: float = 1e-7, end_lr: float = 10.0,
               num_iter: int = 100, sweep: str = "exponential", beta: float = 0.98, diverge_factor: float = 4.0,
               validation_data: Iterable[Any] | None = None, metrics: Mapping[str, Metric] | None = None,
               eval_every: int = 1, fresh_optimizer: bool = True,
               on_step: Callable[[int, float, float], None] | None = None,
               val_data: Iterable[Any] | None = None, batch_loss: BatchLoss | None = None,
               accumulation_steps: int = 1, autocast: torch.autocast | None = None,
               scaler: torch.amp.GradScaler | None = None, adaptive: bool | None = None) -> RangeTestResult:
    """Sweep the lr from `start_lr` to `end_lr`, one optimizer step per point, and record each step's loss.

    Args:
        model: the model to train; its weights (and buffers) are restored afterwards.
        optimizer: its optimizer; its state (lr, momentum buffers, ...) is restored afterwards, a tensor lr
            in place (the same tensor object, its value put back). With several param groups the first
            follows the sweep and every other keeps its ratio to the first (``result.group_ratios``): a
            backbone at a tenth of the head's lr stays at a tenth.
        loss_fn: ``loss_fn(model(x), y)`` gives the scalar loss of an ``(x, y)`` batch; None with `batch_loss`.
        data: the training batches, e.g. a DataLoader; iterated again when exhausted (a shuffled loader
            reshuffles), never held once used.
        start_lr: the first lr of the sweep (see `clr_core.RangeSweep`).
        end_lr: the last lr of the sweep.
        num_iter: the most steps to run (fewer when the loss diverges); may exceed the data's length.
        sweep: ``'exponential'`` or ``'linear'``.
        beta: loss smoothing of the stop decision in [0, 1) (see `clr_core.RangeTest`).
        diverge_factor: stop when the smoothed loss exceeds this many times its best.
        validation_data: batches read in full every `eval_every` steps: ``'val_loss'`` and ``'val_<name>'``
            for each of `metrics` land in ``result.metrics`` (Smith's accuracy method:
            ``result.suggest_bounds(metric='val_accuracy')``).
        metrics: name -> ``metric(model(x), y)``, a batch mean (e.g. accuracy), averaged over the validation
            batches weighted by their size; with `loss_fn` only.
        eval_every: steps between evaluations.
        fresh_optimizer: start the sweep from an empty optimizer state (no momentum or Adam moments left over
            from earlier training, which would move the curve); False keeps the state as it is.
        on_step: called as ``on_step(steps_done, lr, loss)`` after each step, e.g. a progress bar's
            ``range_step`` (`clr_tools.progress.ProgressBar`).
        val_data: deprecated name of `validation_data`.
        batch_loss: ``batch_loss(model, batch)`` gives the scalar loss of any batch (a dict of tensors, a
            model that computes its own loss), used instead of `loss_fn` for training and validation; each
            validation batch then weighs the same.
        accumulation_steps: batches per optimizer step (gradient accumulation): each point of the curve is
            one step, its loss the mean of its batches' losses.
        autocast: a ``torch.autocast(...)`` to run each loss under (mixed precision).
        scaler: a ``torch.amp.GradScaler``: the loss is scaled for backward, and a step the scaler skips
            (inf gradients) is no point of the curve: the same lr is tried on the next batches
            (`MAX_SKIPS` skips in a row count as divergence). Its state is restored afterwards.
        adaptive: whether the optimizer scales each update by running statistics of the gradients, which
            makes `max_lr` step back 32 from the cliff instead of 8 (``result.adaptive``); None tells by the
            optimizer's class (Adam, AdamW, RMSprop, Adagrad, ..., see `clr_core.extend.adaptive_optimizer`),
            or by the optimizer a wrapper holds (Accelerate's ``.optimizer``, ``ZeroRedundancyOptimizer``'s
            ``.optim``).

    Returns:
        The `clr_core.RangeTestResult`; ``result.suggest_bounds()`` gives ``(base_lr, max_lr)``,
        ``result.suggest_group_bounds()`` one pair per param group.

    Raises:
        TypeError: a batch the runner cannot read, a loss that is not a scalar tensor, or an argument of the
            wrong type; each names the argument and what it received.
        ValueError: an argument out of range, or validation data that held no batch (on any rank).

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
    step = _UserStep(model, loss_fn, batch_loss, autocast)
    accumulation = checks.count("accumulation_steps", accumulation_steps, low=1)
    if scaler is not None and not isinstance(scaler, torch.amp.GradScaler):
        raise TypeError(f"scaler must be a torch.amp.GradScaler or None, got {type(scaler).__name__}")
    if metrics and validation_data is None:
        raise ValueError("metrics are evaluated on validation_data: pass validation_data too")
    if metrics and batch_loss is not None:
        raise ValueError("metrics read metric(model(x), y), which batch_loss does not give: with batch_loss, "
                         "read the validation loss (result.metrics['val_loss'])")
    ratios = _group_ratios(optimizer)
    if adaptive is None:
        adaptive = adaptive_optimizer(_class_names(optimizer))
    test = RangeTest(RangeSweep(start_lr, end_lr, num_iter, sweep), beta=beta, diverge_factor=diverge_factor,
                     adaptive=adaptive)
    batches = Batches(data)
    saved_model = copy.deepcopy(model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    held_tensors = [{key: (value, value.detach().clone()) for key, value in group.items() if isinstance(value, Tensor)}
                    for group in optimizer.param_groups]
    saved_scaler = None if scaler is None else copy.deepcopy(scaler.state_dict())
    was_training = model.training

    def one_step(lr: float) -> tuple[bool, float]:
        """One optimizer step over `accumulation` batches; ``(applied, mean loss)``."""
        for group, ratio in zip(optimizer.param_groups, ratios):
            write_value(group, "lr", lr * ratio)
        optimizer.zero_grad()
        total = 0.0
        for micro in range(accumulation):
            with _no_sync(model) if micro < accumulation - 1 else contextlib.nullcontext():
                batch = ranks.together(lambda: step.read(batches.next(), "data"), "while reading the training data")
                loss = ranks.together(functools.partial(step.loss, batch), "in the training step")
                part = loss if accumulation == 1 else loss / accumulation
                (part if scaler is None else scaler.scale(part)).backward()
            total += float(loss.detach())
        if scaler is None:
            optimizer.step()
            return True, total / accumulation
        scale = scaler.get_scale()
        scaler.step(optimizer)
        scaler.update()
        return scaler.get_scale() >= scale, total / accumulation  # a skip backs the scale off

    def train_step(lr: float) -> float:
        for _ in range(MAX_SKIPS):
            applied, loss = one_step(lr)
            mean = ranks.mean_across(loss)  # every rank skips alike: DDP's gradients are the same on each
            if applied or not math.isfinite(mean):
                return mean
        return math.inf

    def evaluate() -> dict[str, float]:
        assert validation_data is not None
        return _evaluate(step, validation_data, dict(metrics or {}))

    try:
        if fresh_optimizer:
            optimizer.state.clear()  # every torch optimizer builds its state afresh at its next step
        model.train()
        result = test.run(train_step, on_step=on_step, evaluate=None if validation_data is None else evaluate,
                          eval_every=eval_every)
        return dataclasses.replace(result, group_ratios=ratios)
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        for group, tensors in zip(optimizer.param_groups, held_tensors):
            for key, (tensor, value) in tensors.items():
                tensor.copy_(value)  # load_state_dict put a copy in; anyone holding the tensor keeps seeing it
                group[key] = tensor
        model.train(was_training)
        if scaler is not None and saved_scaler is not None:  # both or neither
            scaler.load_state_dict(saved_scaler)  # its scale and growth count as they were


class _UserStep:
    """The user's loss of one batch: ``loss_fn(model(x), y)`` or ``batch_loss(model, batch)``, checked."""

    def __init__(self, model: nn.Module, loss_fn: Callable[[Any, Any], Tensor] | None, batch_loss: BatchLoss | None,
                 autocast: torch.autocast | None) -> None:
        if loss_fn is None and batch_loss is None:
            raise TypeError("range_test needs loss_fn (loss_fn(model(x), y) on (x, y) batches) or batch_loss "
                            "(batch_loss(model, batch) on any batch), got neither")
        if loss_fn is not None and batch_loss is not None:
            raise ValueError("pass loss_fn or batch_loss, not both: with batch_loss, pass None as loss_fn")
        for name, function in (("loss_fn", loss_fn), ("batch_loss", batch_loss)):
            if function is not None and not callable(function):
                raise TypeError(f"{name} must be callable, got {type(function).__name__}")
        if autocast is not None and not isinstance(autocast, torch.autocast):
            raise TypeError(f"autocast must be a torch.autocast(...) or None, got {type(autocast).__name__}")
        self.model, self.loss_fn, self.batch_loss = model, loss_fn, batch_loss
        self._autocast = autocast

    def running(self) -> contextlib.AbstractContextManager[Any]:
        """The user's autocast, or nothing."""
        return contextlib.nullcontext() if self._autocast is None else self._autocast

    def read(self, batch: Any, name: str) -> Any:
        """`batch` when this step can read it (an ``(x, y)`` pair for `loss_fn`); else a TypeError naming `name`."""
        if self.batch_loss is None:
            _pair(batch, name)
        return batch

    def loss(self, batch: Any, model: nn.Module | None = None) -> Tensor:
        """The loss of one batch that `read` accepted, on `model` (the training model by default)."""
        model = self.model if model is None else model
        with self.running():
            if self.batch_loss is not None:
                return _scalar(self.batch_loss(model, batch), "batch_loss")
            assert self.loss_fn is not None
            return _scalar(self.loss_fn(model(batch[0]), batch[1]), "loss_fn")

    def evaluate(self, batch: Any, metrics: dict[str, Metric]) -> tuple[int, list[float]]:
        """``(weight, [loss, *metrics])`` of one validation batch: its size, or 1 under `batch_loss`.

        A DDP model is evaluated through its module: a forward of the wrapper may broadcast buffers, a
        collective that a rank with fewer validation batches (or none) would never join.
        """
        batch = self.read(batch, "validation_data")
        model = self.model.module if isinstance(self.model, nn.parallel.DistributedDataParallel) else self.model
        if self.batch_loss is not None:
            return 1, [float(self.loss(batch, model))]
        assert self.loss_fn is not None
        x, y = batch
        with self.running():
            output = model(x)
            values = [_scalar(self.loss_fn(output, y), "loss_fn"), *(metric(output, y) for metric in metrics.values())]
        return len(y), [float(value) for value in values]


def _pair(batch: Any, name: str) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, Mapping):
        got = f"a {type(batch).__name__} batch with keys {sorted(map(str, batch))}"
    elif isinstance(batch, (tuple, list)):
        got = f"a {type(batch).__name__} batch of {len(batch)} items"
    else:
        got = f"a {type(batch).__name__} batch"
    raise TypeError(f"{name} must give (x, y) batches for loss_fn(model(x), y), got {got}: for any other batch "
                    f"pass batch_loss=lambda model, batch: <its loss> and None as loss_fn")


def _scalar(loss: Any, name: str) -> Tensor:
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        got = f"a tensor of shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else type(loss).__name__
        raise TypeError(f"{name} must return the batch's loss as a scalar tensor, got {got}")
    return loss if loss.dim() == 0 else loss.reshape(())


def _no_sync(model: nn.Module) -> contextlib.AbstractContextManager[Any]:
    """DDP's ``no_sync()`` for a batch that only accumulates: its gradients are averaged at the last one."""
    no_sync = getattr(model, "no_sync", None)
    return no_sync() if callable(no_sync) else contextlib.nullcontext()


def _class_names(optimizer: Optimizer) -> list[str]:
    """The class names of `optimizer` and its bases, and of the optimizers it wraps (a few levels down)."""
    names: list[str] = []
    current: Any = optimizer
    for _ in range(4):
        names.extend(cls.__name__ for cls in type(current).__mro__)
        current = next((inner for inner in (getattr(current, name, None) for name in WRAPPED)
                        if isinstance(inner, Optimizer)), None)
        if current is None:
            break
    return names


def _group_ratios(optimizer: Optimizer) -> list[float]:
    """Each param group's lr over the first group's: the ratios the sweep keeps."""
    lrs = [float(group["lr"]) for group in optimizer.param_groups]
    if len(lrs) == 1:
        return [1.0]
    if not (math.isfinite(lrs[0]) and lrs[0] > 0):
        raise ValueError(f"optimizer.param_groups[0]['lr'] must be a finite lr > 0 (the other param groups keep "
                         f"their ratio to it through the sweep), got {lrs[0]!r}")
    for index, lr in enumerate(lrs):
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(f"optimizer.param_groups[{index}]['lr'] must be a finite lr >= 0 (its ratio to the "
                             f"first group's lr is kept through the sweep), got {lr!r}")
    return [lr / lrs[0] for lr in lrs]


def _evaluate(step: _UserStep, data: Iterable[Any], metrics: dict[str, Metric]) -> dict[str, float]:
    """``val_loss`` and ``val_<name>``: batch means weighted by batch size, summed across ranks.

    A rank whose shard is empty adds nothing; an error on one rank (or no batch on any) is raised on every one.
    """
    names = ["val_loss", *(f"val_{name}" for name in metrics)]

    def this_rank() -> list[float]:
        sums = [0.0] * len(names)
        count = 0
        step.model.eval()
        try:
            with torch.no_grad():
                for batch in data:
                    size, values = step.evaluate(batch, metrics)
                    sums = [total + value * size for total, value in zip(sums, values)]
                    count += size
        finally:
            step.model.train()
        return [*sums, float(count)]

    totals = ranks.sum_across(ranks.together(this_rank, "in the evaluation"))
    if totals[-1] == 0:
        raise ValueError("validation_data held no batch (on any rank): it must hold at least one each time it is "
                         "read (a list or a DataLoader, not a generator)")
    return {name: total / totals[-1] for name, total in zip(names, totals)}
