"""`WSD` on torch: the same lrs as PyTorch's `LambdaLR` running the formula, and a cooldown branched from a
checkpoint of the stable phase (``plan="current"``) that trains exactly as a run planned that long."""

from __future__ import annotations

import math

import pytest

from clr_core import WSD

torch = pytest.importorskip("torch")

from clr_torch import CyclicLR  # noqa: E402

DECAYS = {"1-sqrt": lambda p: 1 - math.sqrt(p), "linear": lambda p: 1 - p,
          "cosine": lambda p: (1 + math.cos(math.pi * p)) / 2}


def factor(i: int, total: int, warmup: int, decay: int, shape: str, floor: float) -> float:
    """The lr over max_lr, written out for LambdaLR."""
    start = total - decay
    if i < warmup:
        return i / warmup
    if i < start:
        return 1.0
    return floor + (1 - floor) * DECAYS[shape](min((i - start) / decay, 1.0))


def applied(scheduler_for, steps: int, start: dict | None = None) -> tuple[list[float], dict]:
    """The lr each step applied, read from one float64 weight under plain SGD with a constant gradient."""
    weight = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    scheduler = scheduler_for(optimizer)
    if start is not None:
        weight.data.fill_(start["weight"])
        scheduler.load_state_dict(start["scheduler"], plan="current")
    lrs = []
    for _ in range(steps):
        before = float(weight.detach())
        weight.grad = torch.ones((), dtype=torch.float64)
        optimizer.step()
        scheduler.step()
        lrs.append(before - float(weight.detach()))
    return lrs, {"weight": float(weight.detach()), "scheduler": scheduler.state_dict()}


@pytest.mark.parametrize("shape", DECAYS)
def test_every_step_equals_lambda_lr_running_the_formula(shape):
    total, warmup, decay = 80, 10, 30
    ours, _ = applied(lambda opt: CyclicLR(opt, schedule=WSD(0.1, total, warmup, decay, shape, min_lr=0.002)),
                      total + 5)
    theirs, _ = applied(lambda opt: torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: factor(i, total, warmup, decay, shape, 0.02)), total + 5)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("shape", DECAYS)
def test_a_cooldown_branched_from_a_checkpoint_trains_as_the_run_planned_that_long(shape):
    stable = WSD(0.1, 100_000, 20, 5000, shape)
    _, checkpoint = applied(lambda opt: CyclicLR(opt, schedule=stable), 300)
    branched, end = applied(lambda opt: CyclicLR(opt, schedule=stable.cooldown_from(300, 40)), 45, checkpoint)
    planned, planned_end = applied(lambda opt: CyclicLR(opt, schedule=WSD(0.1, 340, 20, 40, shape)), 345)
    assert branched == pytest.approx(planned[300:], rel=1e-9, abs=1e-15)
    assert end["weight"] == pytest.approx(planned_end["weight"], rel=1e-12)
    assert end["scheduler"]["schedule_state"]["total_iterations"] == 345
