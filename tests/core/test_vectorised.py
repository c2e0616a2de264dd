"""`lr_at` on numpy arrays: shapes, dtypes, and no Python call per element."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import CyclicSchedule
from clr_core._arrays import CHUNK
from clr_core.extend import numpy_ops
from tests.hypothesis_profiles import examples


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint16, np.float32, np.float64])
def test_integer_and_float_arrays_keep_their_shape(dtype):
    schedule = CyclicSchedule(0.0, 1.0, step_size=2)
    lrs = schedule.lr_at(np.arange(8, dtype=dtype).reshape(2, 4))
    assert lrs.shape == (2, 4) and lrs.dtype == np.float64
    assert lrs.ravel().tolist() == [0, 0.5, 1, 0.5, 0, 0.5, 1, 0.5]


def test_a_list_is_treated_as_an_array():
    assert CyclicSchedule(0.0, 1.0, step_size=2).lr_at([[0, 1], [2, 3]]).tolist() == [[0, 0.5], [1, 0.5]]


def test_a_list_without_numpy_asks_for_a_number_or_numpy():
    program = ("import sys; sys.modules['numpy'] = None\n"
               "from clr_core import CyclicSchedule\n"
               "print(CyclicSchedule().lr_at(0))\n"
               "try:\n    CyclicSchedule().lr_at([1, 2])\n"
               "except TypeError as error:\n    print(error)\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        "0.001", "iteration must be a number when numpy is not installed, got list: pass a number, or install "
                 'numpy (pip install "clr-cyclical[numpy]")']


def test_a_zero_dimensional_array_and_numpy_scalars_give_a_number():
    schedule = CyclicSchedule(0.0, 1.0, step_size=2)
    assert schedule.lr_at(np.array(1)) == 0.5
    assert schedule.lr_at(np.int64(1)) == 0.5
    assert schedule.lr_at(np.float32(1.0)) == 0.5
    assert schedule.lr_at(np.array([])).shape == (0,)


def test_a_scalar_only_cycle_function_is_called_once_per_distinct_cycle():
    calls = []

    def decay(cycle):
        calls.append(cycle)
        return math.exp(-cycle / 10)  # math.* refuses arrays

    schedule = CyclicSchedule(0.0, 1.0, step_size=500, scale_fn=decay)
    lrs = schedule.lr_at(np.arange(100_000))
    scalar_calls = [c for c in calls if isinstance(c, float)]
    chunks = -(-100_000 // CHUNK)
    assert len(scalar_calls) <= 100 + chunks  # 100 cycles; a cycle that spans two chunks is asked twice
    assert lrs[250] == schedule.lr_at(250) and lrs[99_999] == schedule.lr_at(99_999)


def test_an_array_capable_iteration_function_is_called_on_the_whole_array():
    calls = []

    def decay(s):
        calls.append(s)
        return 0.9999**s

    schedule = CyclicSchedule(0.0, 1.0, step_size=500, scale_fn=decay, scale_mode="iterations")
    lrs = schedule.lr_at(np.arange(100_000))
    chunks = -(-100_000 // CHUNK)
    assert len(calls) == 3 * chunks  # per chunk: the whole chunk, then two spot checks against scalar calls
    assert math.isclose(lrs[12_345], schedule.lr_at(12_345), rel_tol=1e-12)


def test_sparse_huge_cycles_use_unique_values():
    schedule = CyclicSchedule(0.0, 1.0, step_size=2, scale_fn=lambda c: 1.0 if c < 10 else 0.5)
    lrs = schedule.lr_at(np.array([1, 10**9 + 1, 1]))
    assert lrs.tolist() == [0.5, 0.25, 0.5]


def test_triangular2_over_ten_million_iterations_raises_no_overflow_warning():
    schedule = CyclicSchedule(mode="triangular2", step_size=2)
    with np.errstate(all="raise"):
        lrs = schedule.lr_at(np.arange(0, 10_000_000, 1000))
    assert lrs[-1] == schedule.base_lr


@pytest.mark.parametrize("bad", [np.array([1, -1]), np.array([0.0, np.nan]), np.array([np.inf])])
def test_negative_or_non_finite_array_entries_are_refused(bad):
    with pytest.raises(ValueError, match=r"iteration must hold numbers in \[0, 2\*\*53\)"):
        CyclicSchedule().lr_at(bad)


@pytest.mark.parametrize("bad", [np.array([True]), np.array(["1"]), np.array([1 + 2j])])
def test_arrays_of_other_kinds_are_refused(bad):
    with pytest.raises(TypeError, match="iteration must be a number or an array of ints or floats"):
        CyclicSchedule().lr_at(bad)


def test_a_scale_fn_yielding_nan_raises_for_arrays_too():
    schedule = CyclicSchedule(scale_fn=lambda s: float("nan") if s > 1 else 1.0)
    with pytest.raises(ValueError, match=r"^scale_fn returned nan for s=2.0; it must return a number in \[0, 1\] "
                                         r"\(the share of the amplitude\)$"):
        schedule.lr_at(np.arange(5000))


@settings(max_examples=examples(300))
@given(x=st.lists(st.one_of(st.integers(0, 2**53 - 1).map(float), st.floats(0, 2.0**53, exclude_max=True)),
                  min_size=1, max_size=20),
       y=st.integers(1, 10**7).map(float))
def test_the_fast_numpy_fmod_is_exactly_numpy_fmod(x, y):
    values = np.array(x)
    assert np.array_equal(numpy_ops().fmod(values, y), np.fmod(values, y))


def test_the_fast_numpy_fmod_at_quotients_that_round_up():
    y = 3.0
    x = np.nextafter(np.array([3.0 * 2**40, 6.0, 3.0 * 12345]), 0)  # just below a multiple of y
    assert np.array_equal(numpy_ops().fmod(x, y), np.fmod(x, y))
    assert np.all(numpy_ops().fmod(x, y) < y)
