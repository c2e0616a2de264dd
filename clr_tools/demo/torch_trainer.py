"""The demo's PyTorch side: a small MLP on the digits, trained with `clr_torch.CyclicLR`."""

from __future__ import annotations

import torch
from torch import nn

from clr_core import RangeTestResult
from clr_torch import CyclicLR, range_test

from ..progress import ProgressBar
from .data import Digits
from .experiment import BATCH_SIZE, Policy, Run

MOMENTUM = 0.9


def build_model(data: Digits, seed: int) -> nn.Module:
    """The demo's MLP (64 hidden units), seeded."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(data.features, 64), nn.ReLU(), nn.Linear(64, data.classes))


class TorchTrainer:
    """Trains with SGD (momentum 0.9), one optimizer step per mini-batch of 32; deterministic for a seed."""

    name = "torch"

    def __init__(self) -> None:
        torch.set_num_threads(1)  # tiny model: threads cost more than they give, and results stay reproducible
        self.loss_fn = nn.CrossEntropyLoss()

    def _tensors(self, data: Digits) -> tuple[torch.Tensor, ...]:
        return (torch.from_numpy(data.x_train), torch.from_numpy(data.y_train), torch.from_numpy(data.x_val),
                torch.from_numpy(data.y_val))

    def range_test(self, data: Digits, *, seed: int, progress: bool) -> RangeTestResult:
        x, y, _, _ = self._tensors(data)
        model = build_model(data, seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=MOMENTUM)
        batches = [(x[k:k + BATCH_SIZE], y[k:k + BATCH_SIZE]) for k in range(0, len(y), BATCH_SIZE)]
        bar = ProgressBar(300, "LR range test", enabled=progress)
        try:
            return range_test(model, optimizer, self.loss_fn, batches, start_lr=1e-4, end_lr=10.0, num_iter=300,
                              beta=0.9, on_step=bar.range_step)
        finally:
            bar.close()

    def train(self, policy: Policy, data: Digits, *, seed: int, epochs: int, eval_every: int,
              progress: bool) -> Run:
        x, y, x_val, y_val = self._tensors(data)
        model = build_model(data, seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=policy.schedule.lr_at(0), momentum=MOMENTUM)
        scheduler = CyclicLR(optimizer, schedule=policy.schedule)
        generator = torch.Generator().manual_seed(seed)
        run = Run(policy, seed)
        bar = ProgressBar(epochs, f"{policy.name} seed {seed}", enabled=progress)
        for _ in range(epochs):
            order = torch.randperm(len(y), generator=generator)
            for start in range(0, len(y), BATCH_SIZE):
                batch = order[start:start + BATCH_SIZE]
                optimizer.zero_grad()
                self.loss_fn(model(x[batch]), y[batch]).backward()
                optimizer.step()
                scheduler.step()
                if scheduler.state.total_iterations % eval_every == 0:
                    run.curve.append((scheduler.state.total_iterations, _accuracy(model, x_val, y_val)))
            bar.advance(note=f"val acc {run.curve[-1][1]:.3f}")
        bar.close()
        run.lrs = list(scheduler.history["lr"])
        return run


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())
