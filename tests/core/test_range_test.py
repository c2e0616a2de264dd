"""The LR range test's core: the sweep, smoothing, early stop and suggestions, on known curves."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clr_core import RangeSweep, RangeTest, ScheduleState, schedule_from_config, schedule_to_config
from tests.errors import raised


def valley_loss(lr: float) -> float:
    """A textbook curve on log10(lr): flat at 2 below 1e-4, falling to 0.5 at 1e-1, then blowing up."""
    x = math.log10(lr)
    if x < -4:
        return 2.0
    if x < -1:
        return 2.0 - 1.5 * (x + 4) / 3
    return 0.5 + 10 * (x + 1) ** 2


def run(test: RangeTest, curve=valley_loss) -> None:
    while not test.done:
        test.record(curve(test.lr))


def test_exponential_and_linear_sweeps_hit_both_ends():
    for sweep in ("exponential", "linear"):
        schedule = RangeSweep(1e-5, 1.0, num_iter=11, sweep=sweep)
        assert schedule.lr_at(0) == pytest.approx(1e-5) and schedule.lr_at(10) == pytest.approx(1.0)
        assert schedule.lr_at(50) == pytest.approx(1.0)
    assert RangeSweep(1.0, 100.0, num_iter=3).lr_at(1) == pytest.approx(10.0)
    assert RangeSweep(1.0, 3.0, num_iter=3, sweep="linear").lr_at(1) == 2.0


def test_a_sweep_is_a_schedule_that_saves_and_steps_like_any_other():
    sweep = RangeSweep(1e-3, 1.0, num_iter=4)
    assert schedule_from_config(schedule_to_config(sweep)) == sweep
    state = ScheduleState(sweep)
    assert [state.step() for _ in range(3)] == pytest.approx([1e-2, 1e-1, 1.0])


@given(st.floats(0.01, 100), st.floats(0.0, 0.999))
def test_bias_corrected_smoothing_of_a_constant_loss_is_that_constant(loss, beta):
    test = RangeTest(RangeSweep(1e-3, 1.0, num_iter=20), beta=beta)
    run(test, lambda lr: loss)
    assert test.result().smoothed == pytest.approx([loss] * 20, rel=1e-9)


def test_the_test_stops_when_the_loss_diverges_or_is_not_finite():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=200), beta=0.5)
    run(test)
    result = test.result()
    assert result.stopped_early and result.lrs[-1] < 10.0 and len(result.lrs) < 200
    nan_test = RangeTest(RangeSweep(1e-3, 1.0, num_iter=10))
    assert nan_test.record(1.0) and not nan_test.record(math.nan)
    assert nan_test.done and nan_test.result().stopped_early
    with pytest.raises(RuntimeError, match="the range test is over"):
        nan_test.record(1.0)


def test_suggestions_on_a_known_curve():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test)
    result = test.result()
    base_lr, max_lr = result.suggest_bounds()
    assert 0.08 < max_lr < 0.13  # the minimum is at 1e-1
    assert 1e-4 <= base_lr < 3e-4  # the loss starts to fall at 1e-4
    assert result.suggest_lr("minimum/10") == pytest.approx(max_lr / 10)
    assert 1e-4 <= result.suggest_lr("steepest") <= 1e-1  # the fall is a straight line on log(lr)
    assert 1e-3 < result.suggest_lr("valley") < 1e-1


def test_no_suggestion_without_a_reason():
    flat = RangeTest(RangeSweep(1e-3, 1.0, num_iter=50))
    run(flat, lambda lr: 1.0)
    with pytest.raises(ValueError, match="the smoothed loss never fell during the sweep"):
        flat.result().suggest_bounds()
    short = RangeTest(RangeSweep(1e-3, 1.0, num_iter=2))
    run(short)
    with pytest.raises(ValueError, match="at least 3 are needed"):
        short.result().suggest_lr()


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"start_lr": 0}, ValueError, "start_lr must be a finite number > 0, got 0"),
    ({"start_lr": 1.0, "end_lr": 0.5}, ValueError, "end_lr must be > start_lr (1.0), got 0.5"),
    ({"num_iter": 1}, ValueError, "num_iter must be an int >= 2, got 1"),
    ({"num_iter": 10.5}, TypeError, "num_iter must be an int >= 2, got float 10.5"),
    ({"sweep": "log"}, ValueError, "sweep must be one of 'exponential', 'linear', got 'log'"),
])
def test_bad_sweeps_are_refused(arguments, error, message):
    assert raised(RangeSweep, **arguments) == (error, message)


def test_bad_test_settings_are_refused():
    with pytest.raises(ValueError, match=r"beta must be a finite number in \[0, 1\), got 1.0"):
        RangeTest(RangeSweep(), beta=1.0)
    with pytest.raises(ValueError, match="diverge_factor must be a finite number > 1, got 1"):
        RangeTest(RangeSweep(), diverge_factor=1)
    with pytest.raises(ValueError, match="method must be one of 'steepest', 'valley', 'minimum/10'"):
        RangeTest(RangeSweep()).result().suggest_lr("best")
