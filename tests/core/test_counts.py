"""`CountOps`: the formula in float32 with the iteration as an exact integer, checked on numpy (no framework).

Every whole-numbered schedule equals `lr_at` to float32 rounding at every int32 count, where the same formula
on a float32 iteration is off by whole steps past 2**24; what cannot stay exact is recorded.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import CosineRestarts, CyclicSchedule, Join, OneCycle, warmup
from clr_core.extend import CountOps

INT32_MAX = 2**31 - 1


def float32_values(schedule, counts):
    ops = CountOps(np, "float32")
    values = schedule.evaluate(ops.count(np.asarray(counts, dtype=np.int64)), ops)
    return values, ops


@settings(max_examples=60, deadline=None)
@given(base=st.floats(0, 1), width=st.floats(0, 1), up=st.integers(1, 10**6), down=st.integers(1, 10**6),
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.99, 1.0),
       waveform=st.sampled_from(["triangle", "cosine"]),
       counts=st.lists(st.integers(0, INT32_MAX), min_size=1, max_size=20))
def test_a_whole_numbered_cycle_is_exact_to_float32_rounding_at_every_int32_count(base, width, up, down, mode,
                                                                                  gamma, waveform, counts):
    schedule = CyclicSchedule(base, base + width, step_size=up, step_size_down=down, mode=mode, gamma=gamma,
                              waveform=waveform)
    got, ops = float32_values(schedule, counts)
    assert got.dtype == np.float32 and ops.inexact == []
    exact = schedule.lr_at(np.asarray(counts, dtype=np.float64))
    np.testing.assert_allclose(got, exact, rtol=0, atol=4 * 2.0**-24 * (base + width) + 1e-45)


def test_past_2_24_a_float32_iteration_loses_whole_steps_and_a_count_does_not():
    schedule = CyclicSchedule(0.0, 1.0, step_size=4)
    counts = np.array([2**24 + 1, 2**30 + 3, INT32_MAX])
    exact = schedule.lr_at(counts.astype(np.float64))  # 0.25, 0.75, 0.25
    ops = CountOps(np, "float32")
    drifted = schedule.evaluate(counts.astype(np.float32), ops)
    assert not np.allclose(drifted, exact, atol=0.1)
    np.testing.assert_array_equal(float32_values(schedule, counts)[0], exact)


@pytest.mark.parametrize("schedule", [
    OneCycle(0.05, total_steps=30, pct_start=0.25, three_phase=True),  # fractional phase ends, clamped to 29
    warmup(CosineRestarts(0.05, period=400, min_lr=0.01, decay=0.9), steps=5),
    Join([CyclicSchedule(0.01, 0.05, step_size=2), CyclicSchedule(0.0, 0.5, step_size=3)], [9], length=25,
         after="repeat"),
], ids=["one-cycle", "warmup then restarts", "repeating join"])
def test_joins_keep_the_local_counts_exact(schedule):
    counts = np.array([0, 7, 9, 24, 25, 2**24 + 1, 10**9 + 7, INT32_MAX])
    got, ops = float32_values(schedule, counts)
    assert ops.inexact == []
    np.testing.assert_allclose(got, schedule.lr_at(counts.astype(np.float64)), rtol=0, atol=8 * 2.0**-24 * 0.5)


@pytest.mark.parametrize("schedule, reason", [
    (CyclicSchedule(step_size=2.25), "period that is not a whole number"),
    (CyclicSchedule(scale_fn=lambda s: 1 / (1 + s), scale_mode="iterations"), "custom scale_fn of the iteration"),
    (CosineRestarts(0.05, period=10, period_mult=2), "comparison with a float array"),
    (Join([CyclicSchedule(), CyclicSchedule()], [10.5]), "offset that is not a whole number"),
])
def test_what_loses_whole_steps_past_2_24_is_recorded(schedule, reason):
    ops = float32_values(schedule, [0, 5])[1]
    assert reason in ops.inexact
    assert ops.exactness_warning("it").startswith("it in float32 is exact only below 2**24 steps")


def test_comparisons_with_fractions_are_exact_and_constants_outside_int32_stay_out():
    ops = CountOps(np, "float32")
    count = ops.count(np.array([6, 7, 2**24 + 1, INT32_MAX], dtype=np.int32))
    assert (count >= 6.5).tolist() == [False, True, True, True]
    assert (count > 2**24 + 0.5).tolist() == [False, False, True, True]
    assert (count < 3e9).all() and not (count >= 3e9).any()
    assert (ops.minimum(count, 1e10).value == count.value).all()  # no 1e10 in an int32 array
    assert (ops.fmod(count, 2**24).value == np.array([6, 7, 1, INT32_MAX % 2**24])).all()
