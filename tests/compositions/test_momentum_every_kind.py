"""Momentum for every schedule kind: each says its lr range, and the state steps and records the momentum."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from clr_core import (
    WSD,
    Anneal,
    CosineRestarts,
    CyclicSchedule,
    Join,
    OneCycle,
    RangeSweep,
    ScheduleState,
    momentum_for,
    warmup,
)
from clr_core.extend import ScheduleBase

KINDS = {
    "cyclic triangular2": CyclicSchedule(0.01, 0.1, step_size=5, mode="triangular2"),
    "anneal down": Anneal(0.3, 0.05, 7),
    "cosine restarts": CosineRestarts(0.2, period=4, period_mult=2.0, min_lr=0.01),
    "one-cycle": OneCycle(0.5, total_steps=30),
    "range sweep": RangeSweep(1e-4, 1.0, num_iter=20),
    "warmup of restarts": warmup(CosineRestarts(0.2, period=6, min_lr=0.02), steps=4, start_lr=0.001),
    "join": Join([Anneal(0.1, 0.4, 5), CyclicSchedule(0.02, 0.3, step_size=3)], [6]),
    "warmup-stable-decay": WSD(0.3, 25, 4, 12, shape="cosine", min_lr=0.01),
}


@pytest.mark.parametrize("schedule", KINDS.values(), ids=KINDS)
def test_every_kind_says_a_range_that_holds_every_value(schedule):
    low, high = schedule.lr_range()
    values = schedule.lr_at(np.arange(200.0))
    assert low <= values.min() + 1e-15 and values.max() <= high + 1e-15
    assert values.max() == pytest.approx(high)  # not a loose bound: the highest lr is reached


def test_a_joins_range_is_the_union_of_its_pieces():
    assert KINDS["join"].lr_range() == (0.02, 0.4)
    assert KINDS["warmup of restarts"].lr_range() == (0.001, 0.2)


@pytest.mark.parametrize("name", ["warmup of restarts", "join", "cosine restarts", "anneal down"])
def test_momentum_for_mirrors_any_kind_over_its_range(name):
    schedule = KINDS[name]
    low, high = schedule.lr_range()
    lrs = schedule.lr_at(np.arange(60.0))
    expected = 0.95 - (0.95 - 0.85) * (lrs - low) / (high - low)  # Smith's inverse cycle, by hand
    assert momentum_for(schedule).lr_at(np.arange(60.0)) == pytest.approx(expected, rel=1e-12)


class Constant(ScheduleBase):
    """A user kind: with `lr_range` it gets momentum like the built-in kinds, without it a clear error."""

    kind: ClassVar[str] = "constant-with-range"

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def evaluate(self, iteration: Any, ops: Any) -> Any:
        return self.lr + 0.0 * iteration

    def to_config(self) -> dict[str, Any]:
        return {"lr": self.lr}


class Ranged(Constant):
    def lr_range(self) -> tuple[float, float]:
        return 0.0, 2 * self.lr


def test_a_user_kind_gets_momentum_once_it_says_its_range():
    assert momentum_for(Ranged(0.1), 0.8, 0.9).lr_at(3) == pytest.approx(0.85)
    with pytest.raises(TypeError, match=r"cannot tell the lr range of a Constant: give the kind an lr_range\(\)"):
        momentum_for(Constant(0.1))


def test_the_state_records_the_momentum_each_step_ran_at():
    schedule = CyclicSchedule(0.01, 0.1, step_size=3)
    state = ScheduleState(schedule, momentum=(0.8, 0.9))
    expected = momentum_for(schedule, 0.8, 0.9).lr_at(np.arange(10.0))
    for _ in range(10):
        state.step(loss=1.0)
    assert state.history["momentum"] == pytest.approx(list(expected), rel=1e-12)
    assert state.history.at("momentum") == list(range(1, 11))
    with pytest.raises(ValueError, match="metric name 'momentum' is recorded by the state itself"):
        state.step(momentum=0.5)


def test_reset_and_load_carry_the_momentum_with_the_lr():
    state = ScheduleState([CyclicSchedule(0.01, 0.1, step_size=3)] * 2, momentum=[(0.8, 0.9), (0.5, 0.6)])
    for _ in range(4):
        state.step()
    state.reset(max_lr=0.2)  # the mirror follows the new range: max_lr now gives base_momentum
    for _ in range(3):
        state.step()
    assert state.momentums == [0.8, 0.5]
    assert state.history["momentum_group1"][4:] == pytest.approx([0.6, 0.5 + 0.1 * 2 / 3, 0.5 + 0.1 / 3])
    fresh = ScheduleState([CyclicSchedule(0.01, 0.1, step_size=3)] * 2, momentum=[(0.8, 0.9), (0.5, 0.6)])
    fresh.load_state_dict(state.state_dict(), plan="saved")
    for copy in (state, fresh):
        for _ in range(5):
            copy.step()
    assert fresh.history == state.history and fresh.momentums == state.momentums


def test_bad_bounds_are_refused_and_change_nothing():
    state = ScheduleState(CyclicSchedule(0.01, 0.1, step_size=3), momentum=(0.8, 0.9))
    with pytest.raises(ValueError, match=r"max_momentum must be a finite number in \[0, 1\), got 1.5"):
        state.set_momentum((0.8, 1.5))
    with pytest.raises(TypeError, match="cannot tell the lr range of a Constant"):
        ScheduleState(Constant(0.1), momentum=(0.8, 0.9))
    assert state.momentum_bounds == ((0.8, 0.9),) and state.momentum == 0.9
    state.set_momentum(None)
    state.step()
    assert state.momentum is None and "momentum" not in state.history


@pytest.mark.parametrize("groups", ["one schedule, one pair", "one schedule, a pair each", "a schedule each"])
def test_the_stepped_momentum_is_exactly_the_momentum_schedules_value(groups):
    # The state takes shortcuts for shared schedules (the momentum computed from the lr just computed); the
    # values must be the momentum schedules' own, bit for bit, through a reset, a load and the end of a schedule.
    ending = Join([Anneal(0.1, 0.4, 5), CyclicSchedule(0.02, 0.3, step_size=3)], [6], length=12, after="raise")
    schedules, pairs = {
        "one schedule, one pair": ([ending] * 3, (0.8, 0.9)),
        "one schedule, a pair each": ([CyclicSchedule(0.01, 0.1, step_size=3)] * 2, [(0.8, 0.9), (0.5, 0.7)]),
        "a schedule each": ([CyclicSchedule(0.01, 0.1, step_size=3), Anneal(0.2, 0.05, 9)], (0.8, 0.9)),
    }[groups]
    state = ScheduleState(schedules, momentum=pairs)
    steps = []
    for k in range(30):
        if k == 5:
            state.reset(**({"max_lr": 0.3} if groups == "one schedule, a pair each" else {}))
        if k == 7:
            copy = ScheduleState(schedules, momentum=pairs)
            copy.load_state_dict(state.state_dict(), plan="saved")
            state = copy
        if state.ended:
            break
        expected = [item.value_at(state.cycle_iterations) for item in state.momentum_schedules]
        assert state.momentums == expected
        steps.append(state.step())
    assert len(steps) == (17 if groups == "one schedule, one pair" else 30)
    if groups == "one schedule, one pair":  # the step that reached the end holds the last momentum
        assert state.ended and state.momentums == [item.value_at(11) for item in state.momentum_schedules]
