"""Long runs with `clr_torch.CyclicLR`: `keep_history`, small checkpoints, and states of the previous format."""

from __future__ import annotations

import io
from typing import Any

import pytest

from clr_core import CyclicSchedule

torch = pytest.importorskip("torch")
from clr_torch import CyclicLR  # noqa: E402

#: A `CyclicLR.state_dict()` saved by the previous release (format 1, plain lists), written out literally.
FORMAT_1_STATE = {
    "format": 1, "step_count": 3, "momentum": None,
    "schedule_state": {
        "format": 1, "cycle_iterations": 2, "total_iterations": 2,
        "schedules": [{"kind": "cyclic", "description": {
            "base_lr": 0.01, "max_lr": 0.05, "step_size": 2.0, "mode": "triangular", "gamma": 1.0,
            "scale_fn": None, "scale_mode": "cycle", "step_size_down": None, "waveform": "triangle"}}],
        "history": {"values": {"lr": [0.01, 0.03], "iterations": [1, 2]}, "at": {"lr": [1, 2]}}},
}


def one_weight(groups: int = 1) -> tuple[list[Any], torch.optim.SGD]:
    """One weight per group, gradient 1 every step, plain SGD: each weight ends at minus the lrs applied."""
    weights = [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64)) for _ in range(groups)]
    return weights, torch.optim.SGD([{"params": [w]} for w in weights], lr=1.0)


def train(weights: list[Any], optimizer: Any, scheduler: CyclicLR, steps: int) -> None:
    for _ in range(steps):
        for weight in weights:
            weight.grad = torch.ones_like(weight)
        optimizer.step()
        scheduler.step()


def through_torch_save(state: dict[str, Any]) -> tuple[dict[str, Any], int]:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    size = buffer.tell()
    buffer.seek(0)
    return torch.load(buffer, weights_only=True), size


@pytest.mark.parametrize("keep", [True, False, 5])
def test_resume_from_torch_load_weights_only_is_exact_in_every_mode(keep: Any) -> None:
    schedule = CyclicSchedule(base_lr=0.01, max_lr=0.05, step_size=3.0)
    weights, optimizer = one_weight(2)
    scheduler = CyclicLR(optimizer, schedule=schedule, keep_history=keep)
    train(weights, optimizer, scheduler, 10)
    state, size = through_torch_save({"scheduler": scheduler.state_dict(), "optimizer": optimizer.state_dict()})
    weights, optimizer = one_weight(2)
    with torch.no_grad():
        for weight in weights:
            weight.fill_(-sum(schedule.lr_at(k) for k in range(10)))
    resumed = CyclicLR(optimizer, schedule=schedule, keep_history=keep)
    optimizer.load_state_dict(state["optimizer"])
    resumed.load_state_dict(state["scheduler"])
    train(weights, optimizer, resumed, 15)
    applied = sum(schedule.lr_at(k) for k in range(25))
    assert all(weight.item() == pytest.approx(-applied, rel=1e-12) for weight in weights)
    expected = {True: list(range(1, 26)), False: [], 5: list(range(21, 26))}[keep]
    assert list(resumed.history.get("iterations", [])) == expected
    assert resumed.history.get("lr_group1", []) == [schedule.lr_at(k - 1) for k in expected]
    if keep is False:
        assert size < 4_096


def test_without_history_the_checkpoint_stays_the_same_size_however_long_the_run() -> None:
    sizes = []
    for steps in (10, 1_000):
        weights, optimizer = one_weight(10)
        scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=100.0, keep_history=False)
        train(weights, optimizer, scheduler, steps)
        sizes.append(through_torch_save(scheduler.state_dict())[1])
    assert sizes[0] == sizes[1] < 4_096


def test_a_format_1_state_loads_and_resumes() -> None:
    weights, optimizer = one_weight()
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=2)
    scheduler.load_state_dict(FORMAT_1_STATE)
    assert scheduler.history["lr"] == [0.01, 0.03] and optimizer.param_groups[0]["lr"] == pytest.approx(0.05)
    train(weights, optimizer, scheduler, 2)
    assert scheduler.history["lr"] == pytest.approx([0.01, 0.03, 0.05, 0.03])
    assert scheduler.state_dict()["format"] == 2 and scheduler.history["iterations"] == [1, 2, 3, 4]
