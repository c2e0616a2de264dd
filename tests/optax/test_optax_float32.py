"""The float32 faces refuse, when built, bounds that float32 cannot hold (the optimizer would receive inf)."""

import pytest

from clr_core import CyclicSchedule, OneCycle
from tests.errors import raised

pytest.importorskip("optax")
clr_optax = pytest.importorskip("clr_optax")


def test_optax_refuses_a_bound_above_float32s_largest_value():
    assert raised(clr_optax.schedule, CyclicSchedule(0.001, 1e39)) == (ValueError, (
        "clr_optax.schedule computes in float32, which holds values up to 3.4028234663852886e+38, but this "
        "CyclicSchedule reaches 1e+39 (its max_lr, or its highest bound); scale the bounds into float32's range"))
    assert raised(clr_optax.schedule, OneCycle(1e39, total_steps=100))[0] is ValueError
    top = clr_optax.schedule(CyclicSchedule(0.001, 3e38, step_size=2))  # the largest bounds still work
    assert float(top(2)) == pytest.approx(3e38, rel=2**-23)
