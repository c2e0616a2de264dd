"""`clr_torch.CyclicLR`: construction, validation, history, reset, the LRScheduler contract, tensor lrs."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from clr_core import CyclicSchedule, ScheduleState, exp_range  # noqa: E402
from clr_core._checks import shown  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402
from tests.errors import raised  # noqa: E402

from .clr_torch_helpers import group_lrs, group_snapshot, make_optimizer  # noqa: E402


def advance(optimizer: Any, scheduler: CyclicLR, steps: int) -> list[list[float]]:
    """Take `steps` (empty) optimizer steps, each followed by scheduler.step(); the lrs each ran at."""
    used = []
    for _ in range(steps):
        used.append(group_lrs(optimizer))
        optimizer.step()
        scheduler.step()
    return used


class Constant:
    """A schedule of our own (not a CyclicSchedule) that follows the clr_core.Schedule protocol."""

    kind = "constant-for-tests"

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def lr_at(self, iteration: Any) -> float:
        return self.lr

    def evaluate(self, iteration: Any, ops: Any) -> Any:
        return self.lr + 0.0 * iteration

    def to_config(self) -> dict[str, Any]:
        return {"lr": self.lr}

    def describe(self) -> dict[str, Any]:
        return self.to_config()

    def restore(self, description: dict[str, Any]) -> Constant:
        return Constant(description["lr"])


def test_is_an_lr_scheduler_and_first_step_runs_at_base_lr() -> None:
    optimizer = make_optimizer(2, lr=0.5)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    assert isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler)
    assert group_lrs(optimizer) == [0.01, 0.01]
    assert scheduler.get_last_lr() == [0.01, 0.01] and scheduler.get_lr() == [0.01, 0.01]
    assert scheduler.last_epoch == 0 and scheduler.base_lrs == [0.01, 0.01] and scheduler.max_lrs == [0.05, 0.05]
    # One float for every group: the groups share one core schedule, computed once per step.
    assert scheduler.schedules[0] is scheduler.schedules[1]


def test_lrs_follow_the_core_schedule_per_group() -> None:
    optimizer = make_optimizer(3)
    scheduler = CyclicLR(optimizer, base_lr=[0.01, 0.02, 0.03], max_lr=(0.1, 0.2, 0.3), step_size=3,
                         step_size_down=5, mode="triangular2")
    expected = [CyclicSchedule(b, m, 3, mode="triangular2", step_size_down=5)
                for b, m in ((0.01, 0.1), (0.02, 0.2), (0.03, 0.3))]
    used = advance(optimizer, scheduler, 25)
    assert used == [[schedule.lr_at(i) for schedule in expected] for i in range(25)]
    assert scheduler.get_last_lr() == [schedule.lr_at(25) for schedule in expected]
    assert scheduler.last_epoch == 25 and scheduler.state.total_iterations == 25


def test_history_records_every_step_every_group_and_logged_metrics() -> None:
    optimizer = make_optimizer(2)
    scheduler = CyclicLR(optimizer, base_lr=[0.01, 0.02], max_lr=[0.05, 0.1], step_size=2)
    first, second = CyclicSchedule(0.01, 0.05, 2), CyclicSchedule(0.02, 0.1, 2)
    for step in range(7):
        optimizer.step()
        scheduler.step()
        scheduler.log(loss=1.0 / (step + 1), accuracy=torch.tensor(0.5))
    history = scheduler.history
    assert history is scheduler.state.history
    assert history["lr"] == [first.lr_at(i) for i in range(7)]
    assert history["lr_group1"] == [second.lr_at(i) for i in range(7)]
    assert history["iterations"] == [1, 2, 3, 4, 5, 6, 7]
    assert history["loss"] == [1.0 / (i + 1) for i in range(7)] and history.at("loss") == [1, 2, 3, 4, 5, 6, 7]
    assert history["accuracy"] == [0.5] * 7
    assert raised(scheduler.log, loss="high") == (TypeError, "history value 'loss' must be a number, got 'high'")


def test_user_given_core_schedules() -> None:
    optimizer = make_optimizer(2)
    schedules = [CyclicSchedule(0.01, 0.02, 2), CyclicSchedule(0.1, 0.3, 3, scale_fn=exp_range(0.9),
                                                                scale_mode="iterations")]
    scheduler = CyclicLR(optimizer, schedule=schedules)
    assert advance(optimizer, scheduler, 9) == [[s.lr_at(i) for s in schedules] for i in range(9)]

    optimizer = make_optimizer(2)
    scheduler = CyclicLR(optimizer, schedule=Constant(0.123))
    assert advance(optimizer, scheduler, 3) == [[0.123, 0.123]] * 3
    assert scheduler.base_lrs == [0.123, 0.123] and scheduler.max_lrs == [None, None]


PER_GROUP = "must be one value or a list of 2 (one per param group), got"
BAD_ARGUMENTS = [
    ({"base_lr": [0.1, 0.2, 0.3]}, ValueError, f"base_lr {PER_GROUP} 3 values: [0.1, 0.2, 0.3]"),
    ({"max_lr": [0.1]}, ValueError, f"max_lr {PER_GROUP} 1 values: [0.1]"),
    ({"base_lr": 0.1, "max_lr": 0.01}, ValueError, "max_lr must be >= base_lr (0.1), got 0.01"),
    ({"base_lr": [0.001, -1.0]}, ValueError, "param group 1: base_lr must be a finite number >= 0, got -1.0"),
    ({"base_lr": "0.01"}, TypeError, "base_lr must be a real number (int or float), got str '0.01'"),
    ({"step_size": 0}, ValueError, "step_size must be a finite number > 0, got 0"),
    ({"step_size_down": math.inf}, ValueError, "step_size_down must be a finite number > 0, got inf"),
    ({"mode": "cosine"}, ValueError, "mode must be one of 'triangular', 'triangular2', 'exp_range', got 'cosine'"),
    ({"mode": None}, ValueError, "mode must be one of 'triangular', 'triangular2', 'exp_range', got None"),
    ({"gamma": 1.5}, ValueError, "gamma must be a finite number in (0, 1], got 1.5"),
    ({"scale_mode": "epoch"}, ValueError, "scale_mode must be one of 'cycle', 'iterations', got 'epoch'"),
    ({"scale_fn": 3}, TypeError, "scale_fn must be callable or None, got int 3"),
    ({"scale_fn": lambda s: math.nan}, ValueError,
     "scale_fn returned nan for s=1.0; it must return a number in [0, 1] (the share of the amplitude)"),
    ({"scale_fn": lambda s: -0.5}, ValueError,
     "scale_fn returned -0.5 for s=1.0; it must return a number in [0, 1] (the share of the amplitude)"),
    ({"last_epoch": -2}, ValueError, "last_epoch must be an int >= -1, got -2"),
    ({"last_epoch": 2.0}, TypeError, "last_epoch must be an int >= -1, got float 2.0"),
    ({"schedule": CyclicSchedule(), "base_lr": 0.1}, TypeError,
     "give either schedule= or the cyclic arguments, not both: schedule= came with base_lr; put those into the "
     "schedule object"),
    ({"schedule": [CyclicSchedule()] * 3}, ValueError,
     f"schedule {PER_GROUP} 3 values: {shown([CyclicSchedule()] * 3, 200)}"),  # a preview of 200 characters
    ({"schedule": "triangular"}, TypeError,
     "schedule must be a clr_core schedule (e.g. clr_core.CyclicSchedule), got str 'triangular'"),
    ({"cycle_momentum": 1}, TypeError, "cycle_momentum must be True or False, got int 1"),
    ({"cycle_momentum": True, "base_momentum": 0.95}, ValueError,
     "max_momentum must be >= base_momentum (0.95), got 0.9"),
    ({"cycle_momentum": True, "max_momentum": 1.0}, ValueError,
     "max_momentum must be a finite number in [0, 1), got 1.0"),
    ({"cycle_momentum": True, "max_momentum": [0.9, 0.7]}, ValueError,
     "max_momentum (param group 1) must be >= base_momentum (0.8), got 0.7"),
    ({"cycle_momentum": True, "base_momentum": [0.8, 0.8, 0.8]}, ValueError,
     f"base_momentum {PER_GROUP} 3 values: [0.8, 0.8, 0.8]"),
    ({"cycle_momentum": True, "schedule": Constant(0.1)}, TypeError,
     "cycle_momentum=True: momentum_for cannot tell the lr range of a Constant: give the kind an lr_range() "
     "method returning (lowest lr, highest lr), or build Mirrored(schedule, lr_low, lr_high, base_momentum, "
     "max_momentum) yourself"),
]


@pytest.mark.parametrize("arguments, error, message", BAD_ARGUMENTS)
def test_bad_arguments_are_refused_and_leave_the_optimizer_untouched(arguments: dict[str, Any], error: type,
                                                                      message: str) -> None:
    optimizer = make_optimizer(2, lr=0.5, momentum=0.5)
    before = group_snapshot(optimizer)
    assert raised(CyclicLR, optimizer, **arguments) == (error, message)
    assert group_snapshot(optimizer) == before
    assert "initial_lr" not in optimizer.param_groups[0]
    assert not hasattr(optimizer.step, "_wrapped_by_lr_sched")


def test_not_an_optimizer() -> None:
    assert raised(CyclicLR, [torch.nn.Parameter(torch.zeros(1))]) == (
        TypeError, "optimizer must be a torch.optim.Optimizer, got list")


def test_reset_restarts_the_cycle_and_history_keeps_counting() -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    advance(optimizer, scheduler, 5)
    scheduler.reset(base_lr=0.02, max_lr=0.2)
    assert group_lrs(optimizer) == [0.02] and scheduler.get_last_lr() == [0.02]
    assert scheduler.base_lrs == [0.02] and scheduler.max_lrs == [0.2]
    assert scheduler.last_epoch == 5 and scheduler.state.cycle_iterations == 0
    new = CyclicSchedule(0.02, 0.2, 4)
    assert advance(optimizer, scheduler, 6) == [[new.lr_at(i)] for i in range(6)]
    assert scheduler.history["iterations"] == list(range(1, 12))
    assert scheduler.history["lr"][5:] == [new.lr_at(i) for i in range(6)]

    scheduler._reset(new_step_size=2)  # the classic spelling
    assert advance(optimizer, scheduler, 3) == [[CyclicSchedule(0.02, 0.2, 2).lr_at(i)] for i in range(3)]
    scheduler.reset()  # no arguments: restart the same cycle
    assert group_lrs(optimizer) == [0.02] and scheduler.state.cycle_iterations == 0 and scheduler.last_epoch == 14


def test_reset_per_group_and_refused_reset_changes_nothing() -> None:
    optimizer = make_optimizer(2)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    advance(optimizer, scheduler, 3)
    before = (group_lrs(optimizer), scheduler.state.cycle_iterations, scheduler.schedules)
    assert raised(scheduler.reset, base_lr=1.0) == (ValueError, "max_lr must be >= base_lr (1.0), got 0.05")
    assert raised(scheduler.reset, base_lr=[0.01, 0.02, 0.03]) == (
        ValueError, "base_lr must be one value or a list of 2 (one per schedule), got 3 values: [0.01, 0.02, 0.03]")
    assert (group_lrs(optimizer), scheduler.state.cycle_iterations, scheduler.schedules) == before
    scheduler._reset(new_base_lr=[0.001, 0.002], new_max_lr=[0.01, 0.02])
    assert group_lrs(optimizer) == [0.001, 0.002]
    assert advance(optimizer, scheduler, 5)[4] == [CyclicSchedule(0.001, 0.01, 4).lr_at(4),
                                                   CyclicSchedule(0.002, 0.02, 4).lr_at(4)]


def test_last_epoch_starts_after_that_batch_without_initial_lr() -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4, last_epoch=5)
    assert group_lrs(optimizer) == [CyclicSchedule(0.01, 0.05, 4).lr_at(6)]
    assert scheduler.last_epoch == 6 and scheduler.state.total_iterations == 6
    advance(optimizer, scheduler, 1)
    assert scheduler.history["iterations"] == [7]


def test_step_epoch_argument() -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    optimizer.step()
    scheduler.step(1)  # the next count: accepted, same as step()
    assert scheduler.last_epoch == 1 and group_lrs(optimizer) == [CyclicSchedule(0.01, 0.05, 4).lr_at(1)]
    assert raised(scheduler.step, 7) == (
        ValueError, "CyclicLR counts optimizer steps itself: step() takes no epoch (or only the next count, 2), got "
                    "epoch=7; to jump, build the scheduler with last_epoch or load a state_dict")
    assert scheduler.last_epoch == 1


def first_warning(step: Any) -> warnings.WarningMessage:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        step()
    assert len(caught) == 1
    return caught[0]


@pytest.mark.parametrize("replaced", [False, True], ids=["scheduler first", "optimizer.step replaced"])
def test_call_order_warnings_are_pytorchs_word_for_word(replaced: bool) -> None:
    """A warnings filter written for PyTorch's text catches ours; the warning points at the caller's line."""
    messages = []
    for cls, arguments in ((CyclicLR, {"step_size": 4}), (torch.optim.lr_scheduler.CyclicLR, {"step_size_up": 4})):
        optimizer = make_optimizer(1, momentum=0.5)
        scheduler = cls(optimizer, base_lr=0.01, max_lr=0.05, **arguments)
        if replaced:
            optimizer.step = optimizer.step.__wrapped__.__get__(optimizer)  # type: ignore[attr-defined]
        caught = first_warning(scheduler.step)
        assert caught.category is UserWarning and caught.filename == __file__
        messages.append(str(caught.message))
    assert messages[0] == messages[1]


def test_call_order_warning_like_pytorch() -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        advance(optimizer, scheduler, 3)
    assert scheduler.last_epoch == 3


def test_param_group_added_after_construction_is_an_error() -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))]})
    optimizer.step()
    assert raised(scheduler.step) == (
        RuntimeError, "the optimizer has 2 param groups but this scheduler was built for 1; build the scheduler "
                      "after adding param groups")
    assert scheduler.state.total_iterations == 0


@pytest.mark.parametrize("cls", ["SGD", "Adam"])
def test_tensor_lr_is_updated_in_place(cls: str) -> None:
    lr = torch.tensor(0.5)
    optimizer = make_optimizer(1, getattr(torch.optim, cls), lr=lr)
    held = optimizer.param_groups[0]["lr"]
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=2)
    schedule = CyclicSchedule(0.01, 0.05, 2)
    for i in range(5):
        assert optimizer.param_groups[0]["lr"] is held and held.item() == pytest.approx(schedule.lr_at(i), rel=1e-6)
        optimizer.step()
        scheduler.step()
    last = scheduler.get_last_lr()[0]
    assert isinstance(last, torch.Tensor) and last is not held and last.item() == held.item()
    last.fill_(9.0)  # a copy: the optimizer keeps its lr
    assert held.item() == pytest.approx(schedule.lr_at(5), rel=1e-6)


def test_the_core_state_is_the_only_counter() -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    assert isinstance(scheduler.state, ScheduleState)
    advance(optimizer, scheduler, 3)
    assert (scheduler.state.cycle_iterations, scheduler.state.total_iterations) == (3, 3)
    assert scheduler.get_last_lr() == scheduler.state.lrs
