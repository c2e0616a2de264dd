"""Every bad argument is refused at construction, with its name, the allowed range and the value."""

import math

import pytest

from clr_core import CyclicSchedule

VALUE_ERRORS = [
    ({"base_lr": -0.1}, r"base_lr must be a finite number >= 0, got -0.1"),
    ({"base_lr": math.nan}, r"base_lr must be a finite number >= 0, got nan"),
    ({"max_lr": math.inf}, r"max_lr must be a finite number >= 0, got inf"),
    ({"base_lr": 0.01, "max_lr": 0.001}, r"max_lr must be >= base_lr \(0.01\), got 0.001"),
    ({"step_size": 0}, r"step_size must be a finite number > 0, got 0"),
    ({"step_size": -5}, r"step_size must be a finite number > 0, got -5"),
    ({"step_size": math.inf}, r"step_size must be a finite number > 0, got inf"),
    ({"step_size_down": 0.0}, r"step_size_down must be a finite number > 0, got 0.0"),
    ({"mode": "cosine"}, r"mode must be one of 'triangular', 'triangular2', 'exp_range', got 'cosine'"),
    ({"scale_mode": "epoch"}, r"scale_mode must be one of 'cycle', 'iterations', got 'epoch'"),
    ({"gamma": 0}, r"gamma must be a finite number in \(0, 1\], got 0"),
    ({"gamma": -1}, r"gamma must be a finite number in \(0, 1\], got -1"),
    ({"gamma": math.nan}, r"gamma must be a finite number in \(0, 1\], got nan"),
    ({"gamma": 1.5}, r"gamma must be a finite number in \(0, 1\], got 1.5"),
]

TYPE_ERRORS = [
    ({"base_lr": "0.1"}, r"base_lr must be a real number \(int or float\), got str '0.1'"),
    ({"max_lr": True}, r"max_lr must be a real number \(int or float\), got bool True"),
    ({"step_size": None}, r"step_size must be a real number \(int or float\), got NoneType None"),
    ({"gamma": [0.9]}, r"gamma must be a real number \(int or float\), got list \[0.9\]"),
    ({"scale_fn": 3}, r"scale_fn must be callable or None, got int 3"),
    ({"mode": None}, None),
]


@pytest.mark.parametrize(("arguments", "message"), VALUE_ERRORS)
def test_out_of_range_values_raise_value_error(arguments, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        CyclicSchedule(**arguments)


@pytest.mark.parametrize(("arguments", "message"), TYPE_ERRORS)
def test_values_of_the_wrong_kind_raise(arguments, message):
    with pytest.raises((TypeError, ValueError), match=message and f"^{message}$"):
        CyclicSchedule(**arguments)


@pytest.mark.parametrize("bad", [-1, -0.5, math.nan, math.inf, 2**53, 10**400, 1e17])
def test_lr_at_refuses_iterations_outside_its_exact_range(bad):
    with pytest.raises(ValueError, match=r"^iteration must be a number in \[0, 2\*\*53\), got "):
        CyclicSchedule().lr_at(bad)
    if bad != 10**400:  # too big for a float array
        with pytest.raises(ValueError, match=r"iteration must hold numbers in \[0, 2\*\*53\)"):
            CyclicSchedule().lr_at([0.0, float(bad)])


def test_a_custom_scale_that_would_overflow_the_lr_raises():
    schedule = CyclicSchedule(0.0, 10.0, step_size=2, scale_fn=lambda s: 1e308)
    with pytest.raises(ValueError, match="scale_fn returned 1e[+]308"):
        schedule.lr_at(2)
    with pytest.raises(ValueError, match="scale_fn returned 1e[+]308"):
        schedule.lr_at([2])


@pytest.mark.parametrize("bad", ["3", None, True, [1, "2"], object()])
def test_lr_at_refuses_non_numbers(bad):
    with pytest.raises(TypeError, match="iteration must be a number"):
        CyclicSchedule().lr_at(bad)


def test_a_scale_fn_yielding_nan_or_inf_raises_instead_of_returning_it():
    for value in (math.nan, math.inf):
        schedule = CyclicSchedule(scale_fn=lambda s, value=value: value)
        with pytest.raises(ValueError, match=r"^scale_fn returned (nan|inf) for s=1.0; it must return a number "
                                             r"in \[0, 1\] \(the share of the amplitude\)$"):
            schedule.lr_at(3)


def test_the_schedule_is_immutable():
    schedule = CyclicSchedule()
    with pytest.raises(AttributeError):
        schedule.base_lr = 0.5  # type: ignore[misc]


def test_builtin_modes_ignore_scale_mode_like_the_classic_callback():
    assert CyclicSchedule(mode="exp_range", scale_mode="cycle").scale_mode == "iterations"
    assert CyclicSchedule(mode="triangular2", scale_mode="iterations").scale_mode == "cycle"
