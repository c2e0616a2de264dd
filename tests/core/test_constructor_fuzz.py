"""Every constructor, fed anything: either a working schedule whose lr is finite and >= 0 at every iteration
it accepts, or a `TypeError`/`ValueError` that names the argument. Nothing else (no OverflowError,
AttributeError, NameError, ...), and no error at evaluation time for a schedule that was accepted."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clr_core import (
    WSD,
    Anneal,
    CosineRestarts,
    CyclicSchedule,
    Join,
    Mirrored,
    OneCycle,
    RangeSweep,
    ScheduleEnded,
    ScheduleState,
    exp_range,
    momentum_for,
    warmup,
)
from clr_core.extend import ExpRange
from tests.hypothesis_profiles import examples

ITERATIONS = [0, 1, 2, 3, 7, 100, 12345, 10**6, 2**31, 2**40, 2**52, 2**53 - 1]
ITERATION_ARRAY = np.array(ITERATIONS, dtype=float)

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-320, max_value=1e-300),
    st.floats(min_value=0.0, max_value=10.0),
    st.sampled_from([0, 1, 2, 3, 0.5, 0.999, 1e-12, 1e308, 2.0**53, -1, 10**400, 2**63]),
    st.integers(min_value=-(2**70), max_value=2**70),
)
ANYTHING = st.one_of(NUMBERS, st.none(), st.booleans(), st.text(max_size=3), st.just([1.0]), st.just(object()))
def positive(high=None):
    """Finite floats in (0, high], subnormals and the largest floats included."""
    return st.floats(min_value=0.0, max_value=high, exclude_min=True, allow_infinity=False)


def unit(exclude_min=False, exclude_max=False):
    return st.floats(0.0, 1.0, exclude_min=exclude_min, exclude_max=exclude_max)


def fuzzed(**good):
    """Arguments drawn from their accepted domains (`good`), with up to two of them replaced by anything."""
    @st.composite
    def build(draw):
        arguments = draw(st.fixed_dictionaries(good))
        for name in draw(st.lists(st.sampled_from(sorted(good)), max_size=2, unique=True)):
            arguments[name] = draw(ANYTHING)
        return arguments

    return build()


def check(build, arguments):
    """Build with `arguments`; accepted schedules must give finite lrs >= 0, refusals must name an argument."""
    try:
        schedule = build(**arguments)
    except (TypeError, ValueError) as error:
        names = [name for name in arguments if name in str(error)]
        assert names, f"{type(error).__name__} names none of {sorted(arguments)}: {error}"
        return None
    for iteration in ITERATIONS:
        try:
            lr = schedule.lr_at(iteration)
        except ScheduleEnded:
            assert getattr(schedule, "after", None) == "raise"
            continue
        assert math.isfinite(lr) and lr >= 0, (arguments, iteration, lr)
    if getattr(schedule, "after", None) != "raise":
        lrs = schedule.lr_at(ITERATION_ARRAY)
        assert np.isfinite(lrs).all() and (lrs >= 0).all()
        scalars = [schedule.lr_at(iteration) for iteration in ITERATIONS]  # the two paths agree
        np.testing.assert_allclose(lrs, scalars, rtol=1e-9, atol=0, err_msg=repr(arguments))
    return schedule


FUZZ = settings(max_examples=examples(100), suppress_health_check=[HealthCheck.too_slow])
SCALE_FNS = st.sampled_from([None, exp_range(0.5), lambda s: 0.5, lambda s: 1.0 / (1.0 + s)])
PIECES = st.sampled_from([CyclicSchedule(step_size=3.0), Anneal(0.0, 0.01, 5.0), OneCycle(0.1, 100)])


@FUZZ
@given(fuzzed(base_lr=unit(), max_lr=st.floats(1.0, 1e300), step_size=positive(), gamma=unit(exclude_min=True),
              mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), scale_fn=SCALE_FNS,
              scale_mode=st.sampled_from(["cycle", "iterations"]), step_size_down=st.one_of(st.none(), positive()),
              waveform=st.sampled_from(["triangle", "cosine"])))
def test_cyclic_schedule(arguments):
    schedule = check(CyclicSchedule, arguments)
    if schedule is not None and schedule.scale_fn is None:
        lrs = schedule.lr_at(ITERATION_ARRAY)
        assert (lrs >= schedule.base_lr).all() and (lrs <= schedule.max_lr).all()


@FUZZ
@given(fuzzed(start=st.floats(0, 1e300), end=st.floats(0, 1e300), steps=positive(),
              shape=st.sampled_from(["linear", "cosine", "1-sqrt"])))
@example({"start": 1.0, "end": 0.0, "steps": 2.0**53, "shape": "1-sqrt"})  # 1 - sqrt(p) at the last step: 0 in
# Python's power and 2**-53 in numpy's, where the true value is 2**-54
def test_anneal(arguments):
    check(Anneal, arguments)


@FUZZ
@given(fuzzed(max_lr=positive(1e300), total_steps=st.integers(1, 2**53), warmup_steps=st.integers(0, 2**53),
              decay_steps=st.integers(1, 2**53), shape=st.sampled_from(["1-sqrt", "linear", "cosine"]),
              min_lr=unit()))
@example({"max_lr": 1.0, "total_steps": 10**400, "warmup_steps": 0, "decay_steps": 1})
@example({"max_lr": 1.0, "total_steps": 2**53, "warmup_steps": 2**52, "decay_steps": 2**52, "min_lr": 0.5})
@example({"max_lr": 0.875, "total_steps": 2**53, "warmup_steps": 0, "decay_steps": 131333, "shape": "cosine",
          "min_lr": 0.875})  # the cosine's two weights summed one ulp above 1: an lr one ulp past max_lr
def test_wsd(arguments):
    schedule = check(WSD, arguments)
    if schedule is not None:
        assert (schedule.lr_at(ITERATION_ARRAY) <= schedule.max_lr).all()


@FUZZ
@given(fuzzed(max_lr=positive(1e300), total_steps=st.integers(2, 2**53), pct_start=unit(True, True),
              anneal_strategy=st.sampled_from(["cos", "linear"]), div_factor=st.floats(1, 1e300),
              final_div_factor=st.floats(1, 1e300), three_phase=st.booleans(),
              after=st.sampled_from(["hold", "repeat", "raise"])))
@example({"max_lr": 1.0, "total_steps": 10**400})  # overflowed a float in the phase ends
def test_one_cycle(arguments):
    check(OneCycle, arguments)


@FUZZ
@given(fuzzed(max_lr=st.floats(1.0, 1e300), period=positive(), period_mult=st.floats(1, 1e300),
              min_lr=unit(), decay=unit(exclude_min=True), cycles=st.one_of(st.none(), st.integers(1, 2**64))))
@example({"max_lr": 0.1, "period": 4.0, "cycles": 10**400})  # overflowed comparing with k
def test_cosine_restarts(arguments):
    check(CosineRestarts, arguments)


@FUZZ
@given(fuzzed(start_lr=positive(1.0), end_lr=st.floats(1.0, 1e300), num_iter=st.integers(2, 2**40),
              sweep=st.sampled_from(["exponential", "linear"])))
@example({"start_lr": 1e-4, "end_lr": 1.0, "num_iter": 10**400})  # overflowed at lr_at
def test_range_sweep(arguments):
    check(RangeSweep, arguments)


@FUZZ
@given(fuzzed(schedules=st.lists(PIECES, min_size=2, max_size=4),
              boundaries=st.lists(positive(), min_size=1, max_size=3, unique=True).map(sorted),
              length=st.one_of(st.none(), positive()), after=st.sampled_from(["hold", "repeat", "raise"])))
@example({"schedules": [CyclicSchedule(step_size=3.0), Anneal(0.0, 0.01, 5.0)], "boundaries": [0.1], "length": 0.25,
          "after": "hold"})  # held iteration -0.75: lr -0.00025 from a number, 0.00225 from an array
def test_join(arguments):
    check(Join, arguments)


@FUZZ
@given(fuzzed(schedule=PIECES, steps=positive(), start_lr=st.floats(0, 1e300),
              shape=st.sampled_from(["linear", "cosine"])))
def test_warmup(arguments):
    check(warmup, arguments)


@FUZZ
@given(fuzzed(schedule=PIECES, lr_low=st.floats(0, 0.001), lr_high=st.floats(0.001, 1e300), low=unit(),
              high=st.floats(1.0, 1e300)))
def test_mirrored(arguments):
    check(Mirrored, arguments)


@FUZZ
@given(fuzzed(schedule=PIECES, base_momentum=unit(exclude_max=True), max_momentum=unit(exclude_max=True)))
def test_momentum_for(arguments):
    check(momentum_for, arguments)


@FUZZ
@given(gamma=st.one_of(unit(), ANYTHING))
def test_exp_range(gamma):
    try:
        scale = ExpRange(gamma)
    except (TypeError, ValueError) as error:
        assert "gamma" in str(error)
    else:
        assert all(0.0 <= scale(s) <= 1.0 for s in (0.0, 1.0, 1e6, 2.0**53))


@FUZZ
@given(fuzzed(base_lr=st.one_of(st.none(), unit()), max_lr=st.one_of(st.none(), st.floats(1.0, 1e300)),
              step_size=st.one_of(st.none(), positive()), loss=st.floats()))
def test_state_reset_and_step_refuse_bad_values_and_stay_as_they_were(arguments):
    state = ScheduleState(CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=4.0))
    state.step()
    before = state.state_dict()
    loss = arguments.pop("loss")
    try:
        state.reset(**arguments)
    except (TypeError, ValueError) as error:
        assert any(name in str(error) for name in arguments), error
        assert state.state_dict() == before
    try:
        state.step(loss=loss)
    except (TypeError, ValueError) as error:
        assert "loss" in str(error)
    assert math.isfinite(state.lr) and state.lr >= 0


@pytest.mark.parametrize("step_size", [1e308, 1e300, 2.0**60])
def test_huge_step_sizes_give_finite_lrs_or_a_clear_error(step_size):
    check(CyclicSchedule, {"step_size": step_size})
