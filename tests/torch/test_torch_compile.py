"""torch.compile of a train step that calls ``optimizer.step()`` and ``scheduler.step()``: the number of
graphs stays constant over hundreds of steps (no more than with PyTorch's CyclicLR plus two), and every step
still runs at the right lr and momentum."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
dynamo = pytest.importorskip("torch._dynamo")
from torch._dynamo.utils import counters  # noqa: E402

from clr_core import CyclicSchedule, momentum_for  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402

STEPS = 200

SETUPS = {
    "SGD, float lr": ("SGD", False, False),
    "SGD, float lr, momentum cycled": ("SGD", False, True),
    "Adam, tensor lr and betas, momentum cycled": ("Adam", True, True),
}


def compiled_run(setup: tuple[str, bool, bool], ours: bool) -> tuple[list[tuple[int, int]], Any, list[float]]:
    """Graph counts after 10, 100 and 200 steps of one compiled train step, the scheduler, and the lrs."""
    name, tensors, momentum = setup
    dynamo.reset()
    counters.clear()
    model = torch.nn.Linear(3, 1)
    lr: Any = torch.tensor(0.01) if tensors else 0.01
    if name == "SGD":
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        betas = (torch.tensor(0.9), torch.tensor(0.999)) if tensors else (0.9, 0.999)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=betas)
    if ours:
        scheduler = CyclicLR(optimizer, 0.001, 0.006, step_size=10, cycle_momentum=momentum)
    else:
        scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, 0.001, 0.006, step_size_up=10,
                                                      cycle_momentum=momentum)
    inputs = torch.ones(4, 3)

    @torch.compile(backend="eager")
    def train_step() -> None:
        optimizer.step()
        scheduler.step()

    graphs, lrs = [], []
    for step in range(1, STEPS + 1):
        optimizer.zero_grad()
        model(inputs).pow(2).mean().backward()
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        train_step()
        if step in (10, 100, STEPS):
            graphs.append((step, counters["stats"]["unique_graphs"]))
    return graphs, scheduler, lrs


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS)
def test_a_compiled_step_keeps_a_constant_number_of_graphs(setup: tuple[str, bool, bool]) -> None:
    theirs, _, _ = compiled_run(setup, ours=False)
    graphs, scheduler, lrs = compiled_run(setup, ours=True)
    counts = [count for _, count in graphs]
    assert counts[0] == counts[-1], f"recompiled along the run: {graphs}"
    # The issue allows PyTorch's count plus two; the step runs outside the graphs as PyTorch's own schedulers
    # do, so ours is no more than PyTorch's.
    assert counts[-1] <= theirs[-1][1], f"ours {graphs}, PyTorch's {theirs}"
    schedule = CyclicSchedule(0.001, 0.006, step_size=10)
    assert lrs == pytest.approx([schedule.lr_at(i) for i in range(STEPS)], rel=1e-6)  # float32 tensors
    assert scheduler.history["lr"] == [schedule.lr_at(i) for i in range(STEPS)]
    if setup[2]:
        momentum = momentum_for(schedule, 0.8, 0.9)
        assert scheduler.history["momentum"] == [momentum.lr_at(i) for i in range(STEPS)]
        group = scheduler.optimizer.param_groups[0]
        applied = group["betas"][0] if "betas" in group else group["momentum"]
        assert float(applied) == pytest.approx(momentum.lr_at(STEPS), rel=1e-6)
