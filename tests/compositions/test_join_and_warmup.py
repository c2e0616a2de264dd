"""`Join`, `Anneal` and `warmup`: closed forms, end policies, saving."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import (
    Anneal,
    CyclicSchedule,
    Join,
    ScheduleEnded,
    ScheduleState,
    schedule_from_config,
    schedule_to_config,
    warmup,
)
from tests.errors import raised
from tests.hypothesis_profiles import examples


def test_anneal_linear_and_cosine_follow_their_closed_forms():
    linear, cosine = Anneal(2.0, 1.0, 8), Anneal(2.0, 1.0, 8, shape="cosine")
    for i in range(12):
        p = min(i / 8, 1.0)
        assert linear.lr_at(i) == pytest.approx(2.0 - p)
        assert cosine.lr_at(i) == pytest.approx(1.0 + 0.5 * (1 + math.cos(math.pi * p)))


def test_each_piece_of_a_join_counts_from_its_own_zero():
    cyclic = CyclicSchedule(0.0, 1.0, step_size=2)
    joined = Join([Anneal(5.0, 5.0, 1), cyclic], boundaries=[3])
    assert [joined.lr_at(i) for i in range(8)] == [5.0, 5.0, 5.0] + [cyclic.lr_at(k) for k in range(5)]


@pytest.mark.parametrize(("after", "expected"), [("hold", [3.0, 2.0, 1.0, 1.0, 1.0, 1.0]),
                                                  ("repeat", [3.0, 2.0, 1.0, 3.0, 2.0, 1.0])])
def test_the_end_policy_holds_or_repeats(after, expected):
    joined = Join([Anneal(3.0, 1.0, 2), Anneal(1.0, 1.0, 1)], boundaries=[2], length=3, after=after)
    assert [joined.lr_at(i) for i in range(6)] == expected
    assert joined.lr_at(np.arange(6)).tolist() == expected


def test_raise_past_the_end_says_so_for_numbers_and_arrays():
    joined = Join([Anneal(3.0, 1.0, 2), Anneal(1.0, 1.0, 1)], boundaries=[2], length=3, after="raise")
    assert joined.lr_at(2) == 1.0
    with pytest.raises(ValueError, match="covers iterations 0 to 2 and iteration 3 is past its end"):
        joined.lr_at(3)
    with pytest.raises(ValueError, match="iteration 7 is past its end"):
        joined.lr_at(np.array([0, 7]))
    state = ScheduleState(joined)
    for _ in range(3):  # iterations 0, 1 and 2 all run and are recorded
        state.step()
    assert state.ended and state.lr == 1.0  # the last lr is held for whoever reads it
    assert state.history["lr"] == [3.0, 2.0, 1.0]
    with pytest.raises(ScheduleEnded, match="iteration 3 is past its end"):
        state.step()  # a fourth step is refused, and nothing changes
    assert state.total_iterations == 3 and len(state.history["lr"]) == 3
    resumed = ScheduleState(joined)
    resumed.load_state_dict(state.state_dict())
    assert resumed.ended and resumed.lr == 1.0
    state.reset()
    assert not state.ended and state.lr == 3.0


def test_warmup_ramps_to_the_schedules_first_value_then_hands_over():
    cyclic = CyclicSchedule(0.1, 0.5, step_size=4)
    schedule = warmup(cyclic, steps=4, start_lr=0.02, shape="linear")
    assert [schedule.lr_at(i) for i in range(4)] == pytest.approx([0.02, 0.04, 0.06, 0.08])
    assert [schedule.lr_at(4 + k) for k in range(10)] == [cyclic.lr_at(k) for k in range(10)]


def test_joins_save_and_load_with_their_pieces():
    joined = warmup(CyclicSchedule(0.1, 0.5, step_size=4, mode="exp_range", gamma=0.99), steps=3)
    rebuilt = schedule_from_config(json.loads(json.dumps(schedule_to_config(joined))))
    assert [rebuilt.lr_at(i) for i in range(30)] == [joined.lr_at(i) for i in range(30)]


def test_a_join_holding_a_lambda_restores_it_from_the_new_object():
    def build():
        inner = CyclicSchedule(0.1, 0.5, step_size=3, scale_fn=lambda s: 0.9**s, scale_mode="iterations")
        return ScheduleState(warmup(inner, steps=2))

    original = build()
    for _ in range(5):
        original.step()
    restored = build()
    restored.load_state_dict(json.loads(json.dumps(original.state_dict())))
    assert [restored.step() for _ in range(10)] == [original.step() for _ in range(10)]


@settings(max_examples=examples(50))
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=30), st.sampled_from(["hold", "repeat"]))
def test_an_array_gives_what_each_number_gives(iterations, after):
    joined = Join([Anneal(0.0, 1.0, 7.5, "cosine"), CyclicSchedule(0.1, 1.0, 50, mode="triangular2")],
                  boundaries=[7.5], length=5000, after=after)
    assert np.allclose(joined.lr_at(np.array(iterations)), [joined.lr_at(i) for i in iterations],
                       rtol=1e-15, atol=0)


ANNEAL = "Anneal(start=1.0, end=0.0, steps=1.0, shape='linear')"


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: Join([Anneal(1, 0, 1)], []), TypeError,
     f"schedules must be two or more clr_core schedules, got [{ANNEAL}]"),
    (lambda: Join([Anneal(1, 0, 1), 0.5], [1]), TypeError,
     f"schedules must be two or more clr_core schedules, got [{ANNEAL}, 0.5]"),
    (lambda: Join([Anneal(1, 0, 1), Anneal(1, 0, 1)], []), ValueError,
     "boundaries must have one entry fewer than schedules (1), got 0"),
    (lambda: Join([Anneal(1, 0, 1)] * 3, [2, 1]), ValueError, "boundaries must increase, got [2.0, 1.0]"),
    (lambda: Join([Anneal(1, 0, 1)] * 2, [0]), ValueError, "boundaries entry must be a finite number > 0, got 0"),
    (lambda: Join([Anneal(1, 0, 1)] * 2, [2], length=2), ValueError, "length must be > the last boundary (2.0), got 2"),
    (lambda: Join([Anneal(1, 0, 1)] * 2, [2], after="stop"), ValueError,
     "after must be one of 'hold', 'repeat', 'raise', got 'stop'"),
    (lambda: Anneal(1, 0, 0), ValueError, "steps must be a finite number > 0, got 0"),
    (lambda: Anneal(-1, 0, 1), ValueError, "start must be a finite number >= 0, got -1"),
    (lambda: Anneal(1, 0, 1, shape="exp"), ValueError, "shape must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
    (lambda: warmup(CyclicSchedule(), 0), ValueError, "steps must be a finite number > 0, got 0"),
])
def test_bad_compositions_are_refused(make, error, message):
    assert raised(make) == (error, message)
