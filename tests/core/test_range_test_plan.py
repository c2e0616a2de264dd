"""`RangeTestResult.schedule`: from the suggested bounds to a plan in epochs that ends on a cycle boundary."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clr_core import CyclicSchedule, OneCycle, RangeSweep, RangeTest, ScheduleState, ends_on_cycle_boundary
from clr_core.range_test.plan import plan_schedule
from tests.core.test_range_test import run, valley_loss
from tests.errors import raised


@pytest.fixture(scope="module")
def result():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test)
    return test.result()


@pytest.mark.parametrize("epochs", range(4, 70))
def test_the_step_size_is_2_to_8_epochs_and_the_run_ends_where_a_cycle_does(epochs):
    schedule = plan_schedule((0.01, 0.1), epochs=epochs, steps_per_epoch=7)
    step_epochs = schedule.step_size / 7
    cycles = epochs / (2 * step_epochs)
    assert 2 <= step_epochs <= 8
    assert cycles == pytest.approx(round(cycles), abs=1e-12) and round(cycles) == math.ceil(epochs / 16)
    # the fewest cycles: one fewer would need a step size over 8 epochs
    assert round(cycles) == 1 or epochs / (2 * (round(cycles) - 1)) > 8
    # the last step of the run is the last step of a cycle: the next lr is base_lr again (within rounding)
    assert schedule.lr_at(epochs * 7) == pytest.approx(0.01, rel=1e-12)
    assert max(schedule.lr_at(k) for k in range(epochs * 7)) <= 0.1


def test_the_plan_is_between_the_suggested_bounds_and_steps_as_the_formula(result):
    bounds = result.suggest_bounds()
    schedule = result.schedule(epochs=20, steps_per_epoch=50)
    assert isinstance(schedule, CyclicSchedule) and schedule.lr_range() == bounds and schedule.mode == "triangular"
    assert schedule.step_size == 250  # two cycles of 5 epochs a half
    base_lr, max_lr = bounds
    state = ScheduleState(schedule)
    lrs = [state.lr] + [state.step() for _ in range(1000)]
    for i, lr in enumerate(lrs):  # DESIGN.md section 1 written out, triangular
        cycle = math.floor(1 + i / 500)
        x = abs(i / 250 - 2 * cycle + 1)
        assert lr == pytest.approx(base_lr + (max_lr - base_lr) * max(0.0, 1 - x), rel=1e-12)


def test_modes_and_options_reach_the_schedule(result):
    base_lr, max_lr = result.suggest_bounds()
    two = result.schedule(epochs=32, steps_per_epoch=10, mode="triangular2")
    assert two.mode == "triangular2" and two.lr_at(3 * 80) == pytest.approx(base_lr + (max_lr - base_lr) / 2)
    exp = result.schedule(epochs=8, steps_per_epoch=10, mode="exp_range", gamma=0.99, waveform="cosine")
    assert exp == CyclicSchedule(base_lr, max_lr, 40.0, mode="exp_range", gamma=0.99, waveform="cosine")


def test_one_cycle_peaks_at_the_suggested_max_lr_and_starts_at_base_lr(result):
    base_lr, max_lr = result.suggest_bounds()
    schedule = result.schedule(epochs=3, steps_per_epoch=100, mode="one_cycle", pct_start=0.25)
    assert schedule == OneCycle(max_lr, total_steps=300, pct_start=0.25, div_factor=max_lr / base_lr)
    lrs = [schedule.lr_at(i) for i in range(300)]
    assert max(lrs) == pytest.approx(max_lr, rel=1e-12) and lrs[0] == pytest.approx(base_lr, rel=1e-12)


def early_accuracy(lr: float) -> float:
    """An accuracy that rises from 1e-5 to 1e-3 and is back at its start by 1e-2, long before the loss blows up."""
    x = math.log10(lr)
    return 0.1 if x < -5 else 0.1 + 0.4 * (x + 5) if x < -3 else max(0.1, 0.9 - 0.8 * (x + 3))


def test_metric_and_its_direction_are_passed_to_suggest_bounds():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=301))
    lrs = []

    def train_step(lr):
        lrs.append(lr)
        return valley_loss(lr)

    result = test.run(train_step, evaluate=lambda: {"val_accuracy": early_accuracy(lrs[-1]),
                                                    "val_error": 1 - early_accuracy(lrs[-1])}, eval_every=3)
    by_accuracy = result.schedule(epochs=4, steps_per_epoch=10, metric="val_accuracy").lr_range()
    assert by_accuracy == result.suggest_bounds(metric="val_accuracy")
    assert by_accuracy[1] < result.suggest_bounds()[1] / 3  # not the loss's: the accuracy fell far earlier
    by_error = result.schedule(epochs=4, steps_per_epoch=10, metric="val_error", higher_is_better=False)
    assert by_error.lr_range() == result.suggest_bounds(metric="val_error", higher_is_better=False)
    assert result.schedule(epochs=4, steps_per_epoch=10, skip_start=50).lr_range() == \
        result.suggest_bounds(skip_start=50)


def test_no_bounds_is_the_same_error_as_suggest_bounds():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=100), beta=0.0)
    run(test, lambda lr: 2.0)  # nothing learned
    result = test.result()
    assert raised(result.schedule, epochs=8, steps_per_epoch=10) == raised(result.suggest_bounds)


def test_a_run_too_short_for_a_cycle_is_refused_with_advice(result):
    assert raised(result.schedule, epochs=3, steps_per_epoch=100) == (
        ValueError, "epochs=3 cannot hold one cycle with a step size of at least 2 epochs (one cycle takes 4 "
                    "epochs); train for 4 epochs or more, or use mode='one_cycle' (one rise and one fall over "
                    "any length)")


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"epochs": 0}, ValueError, "epochs must be an int >= 1, got 0"),
    ({"epochs": 4.0}, TypeError, "epochs must be an int >= 1, got float 4.0"),
    ({"steps_per_epoch": 0}, ValueError, "steps_per_epoch must be an int >= 1, got 0"),
    ({"mode": "cosine"}, ValueError,
     "mode must be one of 'triangular', 'triangular2', 'exp_range', 'one_cycle', got 'cosine'"),
    ({"mode": "exp_range"}, ValueError,
     "mode='exp_range' needs gamma, the per-step decay of the amplitude in (0, 1] (e.g. 0.99994); without it "
     "the plan would be mode='triangular'"),
    ({"step_size": 10}, TypeError,
     "step_size is set by the plan (from the range test's bounds, epochs and steps_per_epoch); build the "
     "schedule yourself to choose it"),
    ({"mode": "one_cycle", "div_factor": 10}, TypeError,
     "div_factor is set by the plan (from the range test's bounds, epochs and steps_per_epoch); build the "
     "schedule yourself to choose it"),
])
def test_bad_plans_are_refused(result, arguments, error, message):
    assert raised(result.schedule, **{"epochs": 8, "steps_per_epoch": 10, **arguments}) == (error, message)


@given(st.integers(4, 10**5), st.integers(1, 10**6))
def test_any_run_of_4_epochs_or_more_gets_2_to_8_epoch_step_sizes_and_ends_on_a_cycle_boundary(epochs, per_epoch):
    schedule = plan_schedule((0.01, 0.1), epochs=epochs, steps_per_epoch=per_epoch)
    cycles = epochs / (2 * schedule.step_size / per_epoch)
    assert 2 <= schedule.step_size / per_epoch <= 8
    assert math.isclose(cycles, round(cycles), rel_tol=1e-12) and round(cycles) == math.ceil(epochs / 16)
    assert ends_on_cycle_boundary(epochs * per_epoch, schedule.step_size, warn=False)
