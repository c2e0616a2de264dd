"""Properties of the schedule that hold for any valid arguments (hypothesis)."""

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clr_core import CyclicSchedule
from tests.hypothesis_profiles import examples

bounds = st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)).map(sorted)
step_sizes = st.integers(min_value=1, max_value=10_000)
iterations = st.integers(min_value=0, max_value=10**8)
modes = st.sampled_from(["triangular", "triangular2", "exp_range"])


@settings(max_examples=examples(300))
@given(bounds=bounds, step_size=step_sizes, i=iterations, mode=modes, gamma=st.floats(0.5, 1.0))
@example(bounds=[0.3, 0.99999], step_size=1, i=1, mode="triangular", gamma=1.0)  # 0.3 + 0.69999 rounds up
def test_lr_stays_between_the_bounds(bounds, step_size, i, mode, gamma):
    low, high = bounds
    lr = CyclicSchedule(low, high, step_size, mode=mode, gamma=gamma).lr_at(i)
    assert low <= lr <= high


@settings(max_examples=examples(200))
@given(bounds=bounds, step_size=step_sizes, i=iterations)
def test_triangular_repeats_every_two_step_sizes(bounds, step_size, i):
    schedule = CyclicSchedule(*bounds, step_size)
    assert schedule.lr_at(i) == schedule.lr_at(i + 2 * step_size)


@settings(max_examples=examples(200))
@given(bounds=bounds, step_size=step_sizes, cycle=st.integers(0, 10**5), offset=st.integers(0, 10_000),
       mode=st.sampled_from(["triangular", "triangular2"]))
def test_each_cycle_is_symmetric_around_its_peak(bounds, step_size, cycle, offset, mode):
    offset %= step_size + 1
    schedule = CyclicSchedule(*bounds, step_size, mode=mode)
    peak = cycle * 2 * step_size + step_size
    assert math.isclose(schedule.lr_at(peak - offset), schedule.lr_at(peak + offset), rel_tol=1e-15)


@settings(max_examples=examples(200))
@given(step_size=step_sizes, cycle=st.integers(1, 1000), offset=st.integers(0, 10_000))
def test_triangular2_halves_the_amplitude_each_cycle(step_size, cycle, offset):
    offset %= 2 * step_size
    schedule = CyclicSchedule(0.0, 1.0, step_size, mode="triangular2")
    start = (cycle - 1) * 2 * step_size
    assert schedule.lr_at(start + 2 * step_size + offset) == schedule.lr_at(start + offset) / 2


@settings(max_examples=examples(100))
@given(bounds=bounds, step_size=st.floats(0.5, 5000), mode=modes, gamma=st.floats(0.9, 1.0),
       values=st.lists(st.one_of(iterations, st.floats(0, 1e8)), min_size=1, max_size=50))
def test_an_array_gives_what_each_scalar_gives(bounds, step_size, mode, gamma, values):
    schedule = CyclicSchedule(*bounds, step_size, mode=mode, gamma=gamma)
    scalars = [schedule.lr_at(value) for value in values]
    assert np.allclose(schedule.lr_at(np.array(values, dtype=float)), scalars, rtol=1e-15, atol=0.0)


def test_equal_bounds_give_a_constant_rate():
    schedule = CyclicSchedule(0.01, 0.01, 7, mode="triangular2")
    assert {schedule.lr_at(i) for i in range(100)} == {0.01}


numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6))


@settings(max_examples=examples(300))
@given(x=numbers, y=numbers)
@example(x=0.0, y=-0.0)
@example(x=-0.0, y=0.0)
@example(x=math.nan, y=1.0)
@example(x=1.0, y=math.nan)
def test_the_float_ops_minimum_and_maximum_are_the_builtins(x, y):
    # MATH_OPS replaces min() and max() (five times slower) by comparisons: the very same object must come back
    from clr_core._ops import MATH_OPS

    assert MATH_OPS.minimum(x, y) is min(x, y)
    assert MATH_OPS.maximum(x, y) is max(x, y)
