"""`lr_at` equals the paper's formula, evaluated exactly (tests/core/reference.py), within 1e-12 relative."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import CyclicSchedule
from tests.core import scale_fns
from tests.core.reference import reference_lr
from tests.hypothesis_profiles import examples

REL = 1e-12
# Results below the normal range (2.2e-308) have a fixed spacing of 2**-1074 instead of a relative one: each of
# the formula's few roundings may cost half of it, so there a handful of those spacings is the exact bound.
SUBNORMAL_ABS = 16 * math.ulp(0.0)
# 0 or a normal float: below 2.2e-308 floats lose relative precision themselves, whatever the formula does
lrs = st.one_of(st.just(0.0), st.floats(min_value=1e-300, max_value=10.0))
steps = st.one_of(st.integers(min_value=1, max_value=100_000).map(float),
                  st.floats(min_value=0.5, max_value=1e5, allow_nan=False))
iterations = st.one_of(st.integers(min_value=0, max_value=10**9 + 10**6),
                       st.floats(min_value=0.0, max_value=1e9).filter(lambda x: x == 0 or x >= 1e-300))


@settings(max_examples=examples(400))
@given(base=lrs, span=lrs, step_size=steps, i=iterations, mode=st.sampled_from(["triangular", "triangular2"]))
def test_cycle_modes_equal_the_exact_formula(base, span, step_size, i, mode):
    schedule = CyclicSchedule(base_lr=base, max_lr=base + span, step_size=step_size, mode=mode)
    expected = reference_lr(i, schedule.base_lr, schedule.max_lr, step_size, mode)
    assert math.isclose(schedule.lr_at(i), expected, rel_tol=REL, abs_tol=SUBNORMAL_ABS)


@settings(max_examples=examples(300))
@given(base=lrs, span=lrs, step_size=st.integers(min_value=1, max_value=5000).map(float),
       i=st.integers(min_value=0, max_value=10**9 + 10**6),
       gamma=st.floats(min_value=0.999999999, max_value=1.0))
def test_exp_range_equals_the_exact_formula(base, span, step_size, i, gamma):
    schedule = CyclicSchedule(base_lr=base, max_lr=base + span, step_size=step_size, mode="exp_range", gamma=gamma)
    expected = reference_lr(i, schedule.base_lr, schedule.max_lr, step_size, "exp_range", gamma)
    assert math.isclose(schedule.lr_at(i), expected, rel_tol=REL, abs_tol=SUBNORMAL_ABS)


@settings(max_examples=examples(200))
@given(step_size=steps, i=iterations, scale_mode=st.sampled_from(["cycle", "iterations"]))
def test_custom_scale_functions_equal_the_exact_formula(step_size, i, scale_mode):
    fn = scale_fns.slow_decay
    schedule = CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size=step_size, scale_fn=fn, scale_mode=scale_mode)
    expected = reference_lr(i, 0.01, 0.1, step_size, scale_fn=fn, scale_mode=scale_mode)
    assert math.isclose(schedule.lr_at(i), expected, rel_tol=REL, abs_tol=0.0)


@pytest.mark.parametrize("i", [10**9 - 1, 10**9, 10**9 + 1, 10**9 + 1999, 10**9 + 2001, 3 * 10**9 + 7, 2**40 + 3])
@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_huge_iterations_are_exact_and_never_overflow(i, mode):
    schedule = CyclicSchedule(base_lr=0.0, max_lr=1.0, step_size=2000, mode=mode, gamma=1 - 1e-12)
    assert math.isclose(schedule.lr_at(i), reference_lr(i, 0.0, 1.0, 2000, mode, 1 - 1e-12), rel_tol=REL)


def test_a_zero_base_lr_keeps_full_relative_precision_at_the_first_step_of_a_long_cycle():
    # 1 - x with x close to 1 would lose 7 digits here; the position inside the cycle does not.
    schedule = CyclicSchedule(base_lr=0.0, max_lr=1.0, step_size=1e9)
    assert schedule.lr_at(1) == 1e-9
    assert schedule.lr_at(2 * 10**9 - 1) == 1e-9
