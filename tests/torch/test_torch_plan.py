"""The range test's plan on torch (`CyclicLR.from_range_test`) and explicit plans on resume (``plan=``)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from clr_core import OneCycle, RangeSweep, RangeTest
from tests.core.test_range_test import run
from tests.errors import raised

torch = pytest.importorskip("torch")

from clr_torch import CyclicLR, range_test  # noqa: E402

SHORT = OneCycle(0.1, total_steps=100)
LONG = OneCycle(0.1, total_steps=200)


def one_weight(lr: float = 1.0, momentum: float = 0.0) -> tuple[Any, Any]:
    """One weight whose loss has gradient 1: plain SGD moves it by minus the lr of each step."""
    weight = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    return weight, torch.optim.SGD([weight], lr=lr, momentum=momentum)


def train(weight: Any, optimizer: Any, scheduler: CyclicLR, steps: int) -> list[float]:
    """Run `steps` steps; return the lr each applied, read from the weight's move."""
    applied = []
    for _ in range(steps):
        before = float(weight.detach())
        optimizer.zero_grad()
        weight.sum().backward()  # d(weight)/d(weight) = 1
        optimizer.step()
        scheduler.step()
        applied.append(before - float(weight.detach()))
    return applied


@pytest.fixture(scope="module")
def result():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test)
    return test.result()


def test_from_range_test_applies_the_plan_and_ends_at_base_lr(result):
    weight, optimizer = one_weight()
    scheduler = CyclicLR.from_range_test(optimizer, result, epochs=5, steps_per_epoch=8)
    schedule = result.schedule(epochs=5, steps_per_epoch=8)
    assert scheduler.schedules == (schedule,) and schedule.step_size == 20  # one cycle, 2.5 epochs a half
    applied = train(weight, optimizer, scheduler, 40)
    assert applied == pytest.approx([schedule.lr_at(k) for k in range(40)], rel=1e-9)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(result.suggest_bounds()[0], rel=1e-12)


def test_from_range_test_one_cycle_with_momentum(result):
    weight, optimizer = one_weight(momentum=0.9)
    scheduler = CyclicLR.from_range_test(optimizer, result, epochs=2, steps_per_epoch=10, mode="one_cycle",
                                         cycle_momentum=True)
    base_lr, max_lr = result.suggest_bounds()
    assert scheduler.schedules == (OneCycle(max_lr, total_steps=20, div_factor=max_lr / base_lr),)
    assert optimizer.param_groups[0]["momentum"] == 0.95  # OneCycleLR's defaults


def test_from_range_test_refuses_what_is_not_a_result_and_a_short_run(result):
    _, optimizer = one_weight()
    assert raised(CyclicLR.from_range_test, optimizer, (0.01, 0.1), epochs=8, steps_per_epoch=10) == (
        TypeError, "result must be a clr_core.RangeTestResult (what clr_torch.range_test returns), got tuple")
    kind, message = raised(CyclicLR.from_range_test, optimizer, result, epochs=2, steps_per_epoch=10)
    assert kind is ValueError and message.endswith("or use mode='one_cycle' (one rise and one fall over any length)")
    assert optimizer.param_groups[0]["lr"] == 1.0  # untouched


def test_the_whole_path_on_a_real_model():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    x = torch.randn(256, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    loader = [(x[k:k + 32], y[k:k + 32]) for k in range(0, 256, 32)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = range_test(model, optimizer, torch.nn.functional.mse_loss, loader, start_lr=1e-5, end_lr=10.0,
                        num_iter=100)
    scheduler = CyclicLR.from_range_test(optimizer, result, epochs=4, steps_per_epoch=len(loader))
    first = float(torch.nn.functional.mse_loss(model(x), y).detach())
    for _ in range(4):
        for xb, yb in loader:
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(xb), yb).backward()
            optimizer.step()
            scheduler.step()
    assert scheduler.history["lr"][0] == result.suggest_bounds()[0]
    assert max(scheduler.history["lr"]) <= result.suggest_bounds()[1]
    assert float(torch.nn.functional.mse_loss(model(x), y).detach()) < first / 10


def stepped(schedule, steps, **kwargs):
    weight, optimizer = one_weight()
    scheduler = CyclicLR(optimizer, schedule=schedule, **kwargs)
    train(weight, optimizer, scheduler, steps)
    return scheduler


def test_the_issue_example_warns_once_naming_both_plans():
    saved = stepped(SHORT, 100).state_dict()
    weight, optimizer = one_weight()
    scheduler = CyclicLR(optimizer, schedule=LONG)
    with pytest.warns(UserWarning) as caught:
        scheduler.load_state_dict(saved)
    messages = [str(item.message) for item in caught]
    assert len(messages) == 1 and "saved OneCycle(max_lr=0.1, total_steps=100," in messages[0]
    assert "built OneCycle(max_lr=0.1, total_steps=200," in messages[0]
    assert optimizer.param_groups[0]["lr"] == pytest.approx(4e-7)


def test_saved_continues_the_saved_plan_silently():
    saved = stepped(SHORT, 60).state_dict()
    weight, optimizer = one_weight()
    scheduler = CyclicLR(optimizer, schedule=LONG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.load_state_dict(saved, plan="saved")
    assert train(weight, optimizer, scheduler, 40) == pytest.approx([SHORT.lr_at(k) for k in range(60, 100)],
                                                                    rel=1e-9)


def test_current_keeps_counters_and_history_and_continues_the_built_plan_with_its_momentum():
    old = stepped(SHORT, 100, cycle_momentum=True, base_momentum=0.8, max_momentum=0.9)
    weight, optimizer = one_weight(momentum=0.5)
    scheduler = CyclicLR(optimizer, schedule=LONG, cycle_momentum=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.load_state_dict(old.state_dict(), plan="current")
    assert scheduler.schedules == (LONG,) and scheduler.last_epoch == 100
    assert scheduler.history["lr"] == old.history["lr"]
    # the seam: the optimizer now holds the new plan's lr at step 100 (was 4e-7 in the old plan)
    assert optimizer.param_groups[0]["lr"] == LONG.lr_at(100) == pytest.approx(0.0803, abs=1e-4)
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(LONG.momentum(0.85, 0.95).lr_at(100))
    scheduler.step()  # no optimizer step in between: only the counters are checked here
    assert scheduler.history["iterations"][-1] == 101 and scheduler.history["lr"][-1] == LONG.lr_at(100)


def test_a_bad_plan_is_refused_and_changes_nothing():
    saved = stepped(SHORT, 10).state_dict()
    _, optimizer = one_weight()
    scheduler = CyclicLR(optimizer, schedule=LONG)
    assert raised(scheduler.load_state_dict, saved, plan="mine") == (
        ValueError, "plan must be one of 'saved', 'current', got 'mine'")
    assert scheduler.last_epoch == 0 and optimizer.param_groups[0]["lr"] == LONG.lr_at(0)
