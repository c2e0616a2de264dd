"""Real training loops: the loss goes down, and every optimizer step runs at the core's lr_at(i)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from clr_core import CyclicSchedule  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402


def regression_data() -> tuple[Any, Any]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(256, 6, generator=generator)
    w = torch.randn(6, 1, generator=generator)
    return x, x @ w + 0.3 + 0.01 * torch.randn(256, 1, generator=generator)


OPTIMIZERS = {
    "SGD momentum": (lambda params: torch.optim.SGD(params, lr=1.0, momentum=0.9), 0.005, 0.05, True),
    "SGD momentum, fixed momentum": (lambda params: torch.optim.SGD(params, lr=1.0, momentum=0.9), 0.005, 0.05, False),
    "Adam": (lambda params: torch.optim.Adam(params, lr=1.0), 0.01, 0.1, False),
    "AdamW cycling beta1": (lambda params: torch.optim.AdamW(params, lr=1.0, weight_decay=1e-4), 0.01, 0.1, True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_loss_decreases_and_applied_lr_is_the_cores(name: str) -> None:
    make, base_lr, max_lr, cycle_momentum = OPTIMIZERS[name]
    x, y = regression_data()
    torch.manual_seed(0)
    model = torch.nn.Linear(6, 1)
    optimizer = make(model.parameters())
    scheduler = CyclicLR(optimizer, base_lr=base_lr, max_lr=max_lr, step_size=10, cycle_momentum=cycle_momentum)
    schedule = CyclicSchedule(base_lr, max_lr, step_size=10)
    losses = []
    for i in range(80):
        batch = slice(32 * (i % 8), 32 * (i % 8 + 1))
        loss = torch.nn.functional.mse_loss(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        assert optimizer.param_groups[0]["lr"] == schedule.lr_at(i)
        optimizer.step()
        scheduler.step()
        scheduler.log(loss=loss.item())
        losses.append(loss.item())
    assert sum(losses[-8:]) < 0.05 * sum(losses[:8])
    assert scheduler.history["lr"] == [schedule.lr_at(i) for i in range(80)]
    assert scheduler.history["loss"] == losses


def test_sgd_really_steps_by_the_scheduled_lr() -> None:
    x, y = regression_data()
    model = torch.nn.Linear(6, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size=3)
    schedule = CyclicSchedule(0.01, 0.1, 3)
    for i in range(7):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        before = model.weight.detach().clone()
        optimizer.step()
        scheduler.step()
        assert torch.allclose(model.weight.detach(), before - schedule.lr_at(i) * model.weight.grad, atol=1e-7)


def test_equal_bounds_train_exactly_like_a_fixed_lr() -> None:
    x, y = regression_data()
    weights = []
    for use_scheduler in (True, False):
        torch.manual_seed(0)
        model = torch.nn.Linear(6, 1)
        # built with another lr: the scheduler must write its own from the first step on
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5 if use_scheduler else 0.05, momentum=0.9)
        scheduler = CyclicLR(optimizer, base_lr=0.05, max_lr=0.05, step_size=3) if use_scheduler else None
        for _ in range(20):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        weights.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*weights))
