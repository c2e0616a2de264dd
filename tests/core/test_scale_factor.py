"""No bad lr ever: a scale factor outside [0, 1], NaN or infinity raises at `lr_at` (numbers and arrays),
naming the value and `s`, in every schedule that holds a cyclic one."""

import math
import re

import numpy as np
import pytest

from clr_core import CyclicSchedule, Join, Mirrored, ScheduleState, warmup

BAD_FACTORS = [-0.5, 2.0, 1.0 + 1e-12, -1e-300, math.nan, math.inf, -math.inf]


def holders(schedule):
    """`schedule` alone and inside the kinds that hold another schedule."""
    return [schedule, warmup(schedule, 2.0), Join([schedule, CyclicSchedule()], [100.0]),
            Mirrored(schedule, 0.001, 0.006)]


@pytest.mark.parametrize("factor", BAD_FACTORS)
def test_a_factor_outside_the_unit_interval_raises_for_numbers_and_arrays(factor):
    schedule = CyclicSchedule(0.001, 0.006, step_size=4.0, scale_fn=lambda s: factor if s >= 2 else 1.0)
    message = rf"^scale_fn returned {re.escape(repr(factor))} for s=2.0; it must return a number in \[0, 1\]"
    for holder in holders(schedule):
        assert holder.lr_at(3) >= 0  # the first cycle is fine
        with pytest.raises(ValueError, match=message):
            holder.lr_at(12)
        with pytest.raises(ValueError, match=message):
            holder.lr_at(np.arange(20))


def test_the_bounds_themselves_are_allowed():
    schedule = CyclicSchedule(0.001, 0.006, step_size=2.0, scale_fn=lambda s: 0.0 if s % 2 else 1.0)
    lrs = schedule.lr_at(np.arange(12))
    assert lrs.min() == 0.001 and lrs.max() == 0.006


def test_iteration_scale_mode_names_the_iteration():
    schedule = CyclicSchedule(step_size=4.0, scale_mode="iterations", scale_fn=lambda s: 1.0 - s / 4)
    assert schedule.lr_at(4) == 0.001 and schedule.lr_at(2) == 0.001 + 0.005 * 0.5 * 0.5
    with pytest.raises(ValueError, match=r"scale_fn returned -0.25 for s=5.0"):
        schedule.lr_at(5)


def test_a_state_refuses_the_step_that_would_use_a_bad_factor_and_stays_as_it_was():
    state = ScheduleState(CyclicSchedule(step_size=2.0, scale_fn=lambda s: 1.0 if s < 2 else -1.0))
    for _ in range(3):
        state.step()
    with pytest.raises(ValueError, match="scale_fn returned -1.0 for s=2.0"):
        state.step()  # its successor, iteration 4, starts cycle 2
    assert state.total_iterations == 3 and state.history["lr"] == [0.001, 0.0035, 0.006]

