"""`combine_range_tests`: the median bounds of several sweeps, robust to a minority of odd ones."""

import math
import random
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clr_core import CyclicSchedule, RangeSweep, RangeTest, RangeTestWarning
from clr_core.range_test import combine_range_tests
from tests.core.test_range_test import run, valley_loss
from tests.errors import raised


def sweep(shift: float = 1.0, curve=valley_loss):
    """The textbook valley moved to ``0.1 / shift`` (a sweep that read another batch order)."""
    test = RangeTest(RangeSweep(1e-7, 10.0, num_iter=300), beta=0.0)
    run(test, lambda lr: curve(lr * shift))
    return test.result()


SHIFTS = [0.5, 0.7, 1.0, 1.4, 2.0, 30.0, 0.05]
RESULTS = {shift: sweep(shift) for shift in SHIFTS}
BOUNDS = {shift: result.suggest_bounds() for shift, result in RESULTS.items()}


def test_one_sweep_gives_its_own_bounds():
    combined = combine_range_tests([RESULTS[1.0]])
    assert combined.bounds() == BOUNDS[1.0] and combined.each == (BOUNDS[1.0],)
    assert combined.spread == 1.0 and combined.refused == 0


@given(st.lists(st.sampled_from(SHIFTS), min_size=1, max_size=7), st.randoms(use_true_random=False))
def test_the_combined_bounds_are_the_medians_whatever_the_order(shifts, rng):
    combined = combine_range_tests([RESULTS[shift] for shift in shifts])
    order = list(shifts)
    rng.shuffle(order)
    assert combine_range_tests([RESULTS[shift] for shift in order]).bounds() == combined.bounds()
    for position, name in ((0, "base_lr"), (1, "max_lr")):
        values = sorted(BOUNDS[shift][position] for shift in shifts)
        value = getattr(combined, name)
        # as many suggestions at or below it as at or above it (a geometric mean of the middle two if even)
        assert values[0] <= value <= values[-1]
        middle = len(values) // 2
        expected = values[middle] if len(values) % 2 else math.sqrt(values[middle - 1] * values[middle])
        assert value == pytest.approx(expected, rel=1e-12)
    assert combined.base_lr <= combined.max_lr
    tops = [BOUNDS[shift][1] for shift in shifts]
    assert combined.spread == pytest.approx(max(tops) / min(tops), rel=1e-12)


def test_a_minority_of_odd_sweeps_does_not_move_the_answer():
    agreeing = [RESULTS[shift] for shift in (0.7, 1.0, 1.4)]
    alone = combine_range_tests(agreeing)
    with_odd = combine_range_tests([*agreeing, RESULTS[30.0], RESULTS[0.05]])  # two sweeps 30x and 20x off
    assert with_odd.bounds() == alone.bounds() == BOUNDS[1.0]
    assert with_odd.spread > 500 and alone.spread < 3


def test_sweeps_that_saw_nothing_are_counted_and_left_out():
    flat = RangeTest(RangeSweep(1e-3, 1.0, num_iter=50))
    run(flat, lambda lr: 1.0)
    combined = combine_range_tests([flat.result(), RESULTS[1.0], flat.result()])
    assert combined.bounds() == BOUNDS[1.0] and combined.refused == 2 and len(combined.each) == 1
    error, message = raised(combine_range_tests, [flat.result(), flat.result()])
    assert error is ValueError
    assert message.startswith("none of the 2 range tests gave bounds; the first said: the smoothed loss fell only "
                              "0.0% of its starting level")


def test_a_warning_of_any_sweep_reaches_the_caller():
    falling = RangeTest(RangeSweep(1e-6, 1e-2, num_iter=200))
    run(falling)
    with pytest.warns(RangeTestWarning, match="never climbed back near its starting level before the end of the sweep"):
        combine_range_tests([RESULTS[1.0], falling.result()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        combine_range_tests([RESULTS[0.7], RESULTS[1.0]])


def test_the_plan_is_built_between_the_combined_bounds():
    combined = combine_range_tests([RESULTS[shift] for shift in (0.5, 1.0, 2.0)])
    schedule = combined.schedule(epochs=8, steps_per_epoch=25)
    assert isinstance(schedule, CyclicSchedule) and schedule.lr_range() == combined.bounds()
    assert schedule.step_size == 100  # one cycle of 4 epochs a half, as RangeTestResult.schedule plans it
    assert combined.schedule(epochs=8, steps_per_epoch=25, mode="one_cycle").max_lr == combined.max_lr


def test_bad_input_is_refused_by_name():
    assert raised(combine_range_tests, []) == (
        ValueError, "results must hold at least one RangeTestResult, got an empty sequence")
    assert raised(combine_range_tests, RESULTS[1.0]) == (
        TypeError, "results must be a sequence of RangeTestResult, got RangeTestResult")
    assert raised(combine_range_tests, [RESULTS[1.0], (0.1, 1.0)]) == (
        TypeError, "results[1] must be a RangeTestResult, got tuple")


def test_noisy_sweeps_of_one_curve_agree_closely():
    rng = random.Random(0)
    results = []
    for _ in range(5):
        test = RangeTest(RangeSweep(1e-7, 10.0, num_iter=300), beta=0.0)
        run(test, lambda lr: valley_loss(lr) * (1 + 0.02 * rng.gauss(0, 1)))
        results.append(test.result())
    combined = combine_range_tests(results)
    assert combined.spread < 2 and 0.02 < combined.max_lr < 0.2


def test_the_combined_plan_has_the_single_tests_default_mode():
    from inspect import signature

    from clr_core import RangeTestResult
    from clr_core.range_test import CombinedBounds

    single = signature(RangeTestResult.schedule).parameters["mode"].default
    assert signature(CombinedBounds.schedule).parameters["mode"].default == single
