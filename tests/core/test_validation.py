"""Every bad argument is refused at construction, with its name, the allowed range and the value."""

import math

import pytest

from clr_core import CyclicSchedule
from tests.errors import raised

# Each row: the arguments, then the full message (compared as text, not as a pattern).
VALUE_ERRORS = [
    ({"base_lr": -0.1}, "base_lr must be a finite number >= 0, got -0.1"),
    ({"base_lr": math.nan}, "base_lr must be a finite number >= 0, got nan"),
    ({"max_lr": math.inf}, "max_lr must be a finite number >= 0, got inf"),
    ({"base_lr": 0.01, "max_lr": 0.001}, "max_lr must be >= base_lr (0.01), got 0.001"),
    ({"step_size": 0}, "step_size must be a finite number > 0, got 0"),
    ({"step_size": -5}, "step_size must be a finite number > 0, got -5"),
    ({"step_size": math.inf}, "step_size must be a finite number > 0, got inf"),
    ({"step_size_down": 0.0}, "step_size_down must be a finite number > 0, got 0.0"),
    ({"mode": "cosine"}, "mode must be one of 'triangular', 'triangular2', 'exp_range', got 'cosine'"),
    # A choice refuses every other value with ValueError, None and non-strings included (as torch's CyclicLR
    # does for its mode): the message lists what is allowed, which is what the caller needs.
    ({"mode": None}, "mode must be one of 'triangular', 'triangular2', 'exp_range', got None"),
    ({"mode": 3}, "mode must be one of 'triangular', 'triangular2', 'exp_range', got 3"),
    ({"scale_mode": "epoch"}, "scale_mode must be one of 'cycle', 'iterations', got 'epoch'"),
    ({"scale_mode": None}, "scale_mode must be one of 'cycle', 'iterations', got None"),
    ({"waveform": "sine"}, "waveform must be one of 'triangle', 'cosine', got 'sine'"),
    ({"gamma": 0}, "gamma must be a finite number in (0, 1], got 0"),
    ({"gamma": -1}, "gamma must be a finite number in (0, 1], got -1"),
    ({"gamma": math.nan}, "gamma must be a finite number in (0, 1], got nan"),
    ({"gamma": 1.5}, "gamma must be a finite number in (0, 1], got 1.5"),
]

TYPE_ERRORS = [
    ({"base_lr": "0.1"}, "base_lr must be a real number (int or float), got str '0.1'"),
    ({"max_lr": True}, "max_lr must be a real number (int or float), got bool True"),
    ({"step_size": None}, "step_size must be a real number (int or float), got NoneType None"),
    ({"step_size_down": "3"}, "step_size_down must be a real number (int or float), got str '3'"),
    ({"gamma": [0.9]}, "gamma must be a real number (int or float), got list [0.9]"),
    ({"scale_fn": 3}, "scale_fn must be callable or None, got int 3"),
]


@pytest.mark.parametrize(("arguments", "message"), VALUE_ERRORS, ids=[str(row[0]) for row in VALUE_ERRORS])
def test_out_of_range_values_raise_value_error(arguments, message):
    assert raised(CyclicSchedule, **arguments) == (ValueError, message)


@pytest.mark.parametrize(("arguments", "message"), TYPE_ERRORS, ids=[str(row[0]) for row in TYPE_ERRORS])
def test_values_of_the_wrong_kind_raise_type_error(arguments, message):
    assert raised(CyclicSchedule, **arguments) == (TypeError, message)


@pytest.mark.parametrize(("bad", "shown"), [(-1, "-1"), (-0.5, "-0.5"), (math.nan, "nan"), (math.inf, "inf"),
                                            (2**53, "9007199254740992"), (1e17, "1e+17"), (10**400, "1" + "0" * 400)])
def test_lr_at_refuses_iterations_outside_its_exact_range(bad, shown):
    assert raised(CyclicSchedule().lr_at, bad) == (
        ValueError, f"iteration must be a number in [0, 2**53), got {shown}")
    if bad != 10**400:  # too big for a float array
        assert raised(CyclicSchedule().lr_at, [0.0, float(bad)]) == (
            ValueError, f"iteration must hold numbers in [0, 2**53), got {float(bad)!r} among them")


def test_a_custom_scale_that_overflows_the_lr_raises():
    schedule = CyclicSchedule(0.0, 10.0, step_size=2, scale_fn=lambda s: 1e308)
    assert raised(schedule.lr_at, 2) == (ValueError, "the schedule gave a non-finite lr (inf) at iteration 2")
    assert raised(schedule.lr_at, [2]) == (ValueError, "the schedule gave a non-finite lr at iteration 2.0")


@pytest.mark.parametrize(("bad", "shown"), [("3", "str of dtype <U1"), (None, "NoneType of dtype object"),
                                            (True, "bool of dtype bool"), ([1, "2"], "list of dtype <U21"),
                                            (object(), "object of dtype object")])
def test_lr_at_refuses_non_numbers(bad, shown):
    assert raised(CyclicSchedule().lr_at, bad) == (
        TypeError, f"iteration must be a number or an array of ints or floats, got {shown}")


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_scale_fn_yielding_nan_or_inf_raises_instead_of_returning_it(value):
    schedule = CyclicSchedule(scale_fn=lambda s: value)
    assert raised(schedule.lr_at, 3) == (
        ValueError, f"scale_fn returned {value!r} for s=1.0; it must return finite numbers")


def test_the_schedule_is_immutable():
    schedule = CyclicSchedule()
    with pytest.raises(AttributeError):
        schedule.base_lr = 0.5  # type: ignore[misc]


def test_builtin_modes_ignore_scale_mode_like_the_classic_callback():
    assert CyclicSchedule(mode="exp_range", scale_mode="cycle").scale_mode == "iterations"
    assert CyclicSchedule(mode="triangular2", scale_mode="iterations").scale_mode == "cycle"
