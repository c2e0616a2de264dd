"""`WSD` (warmup-stable-decay) and the 1 - sqrt anneal: the formula at every step, saving, cooldown branches."""

import math

import numpy as np
import pytest

from clr_core import WSD, Anneal, ScheduleState, momentum_for, schedule_from_config, schedule_to_config
from tests.errors import raised

DECAYS = {"1-sqrt": lambda p: 1 - math.sqrt(p), "linear": lambda p: 1 - p,
          "cosine": lambda p: (1 + math.cos(math.pi * p)) / 2}


def formula(i, max_lr, total, warmup, decay, shape, min_lr):
    """The docstring's formula, written out on its own."""
    start = total - decay
    if i < warmup:
        return max_lr * i / warmup
    if i < start:
        return max_lr
    return min_lr + (max_lr - min_lr) * DECAYS[shape](min((i - start) / decay, 1.0))


CASES = [(0.3, 100, 10, 20, 0.0), (0.3, 100, 0, 30, 0.01), (1e-3, 57, 7, 50, 1e-4), (2.0, 9, 0, 9, 0.5),
         (0.1, 40, 40 - 13, 13, 0.0), (0.1, 1, 0, 1, 0.0)]


@pytest.mark.parametrize("shape", DECAYS)
@pytest.mark.parametrize(("max_lr", "total", "warmup", "decay", "min_lr"), CASES)
def test_every_step_follows_the_formula(shape, max_lr, total, warmup, decay, min_lr):
    schedule = WSD(max_lr, total, warmup, decay, shape=shape, min_lr=min_lr)
    expected = [formula(i, max_lr, total, warmup, decay, shape, min_lr) for i in range(total + 20)]
    state = ScheduleState(schedule)
    stepped = [state.lr] + [state.step() for _ in range(total + 19)]
    assert stepped == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert schedule.lr_at(np.arange(total + 20)) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert schedule.lr_at(total) == schedule.lr_at(10**12) == pytest.approx(min_lr, rel=1e-15)  # held after


def test_1_sqrt_anneal_is_the_formula_and_the_paper_s_cooldown_shape():
    anneal = Anneal(0.5, 0.1, 16, shape="1-sqrt")
    assert [anneal.lr_at(i) for i in (0, 4, 9, 16, 30)] == pytest.approx([0.5, 0.3, 0.2, 0.1, 0.1], rel=1e-15)
    assert schedule_from_config(schedule_to_config(anneal)) == anneal


def test_saves_as_config_and_state_and_resumes_exactly():
    schedule = WSD(0.2, 50, 5, 20, shape="cosine", min_lr=0.002)
    assert schedule_from_config(schedule_to_config(schedule)) == schedule
    assert schedule_to_config(schedule) == {"kind": "wsd", "config": {
        "max_lr": 0.2, "total_steps": 50, "warmup_steps": 5, "decay_steps": 20, "shape": "cosine", "min_lr": 0.002}}
    whole = ScheduleState(schedule)
    first = ScheduleState(schedule)
    for _ in range(30):
        whole.step()
        first.step()
    resumed = ScheduleState(WSD(0.2, 50, 5, 20, shape="cosine", min_lr=0.002))
    resumed.load_state_dict(first.state_dict())
    assert [resumed.step() for _ in range(25)] == [whole.step() for _ in range(25)]


def test_momentum_mirrors_the_lr_over_its_range():
    schedule = WSD(0.4, 30, 10, 10)
    momentum = momentum_for(schedule, 0.85, 0.95)
    assert schedule.lr_range() == (0.0, 0.4) and WSD(0.4, 30, 0, 10, min_lr=0.1).lr_range() == (0.1, 0.4)
    for i in range(35):
        assert momentum.lr_at(i) == pytest.approx(0.95 - 0.1 * schedule.lr_at(i) / 0.4, rel=1e-12)


def stepped_state(schedule, steps):
    state = ScheduleState(schedule)
    for _ in range(steps):
        state.step(loss=1.0)
    return state


@pytest.mark.parametrize("shape", DECAYS)
def test_a_cooldown_branched_from_a_checkpoint_equals_a_run_planned_that_long_from_the_start(shape):
    stable = WSD(0.1, 10_000, 100, 1000, shape=shape, min_lr=0.001)
    checkpoint = stepped_state(stable, 400).state_dict()
    cooldown = stable.cooldown_from(400, decay_steps=60)
    assert cooldown == WSD(0.1, 460, 100, 60, shape=shape, min_lr=0.001)
    branched = ScheduleState(cooldown)
    branched.load_state_dict(checkpoint, plan="current")
    planned = stepped_state(WSD(0.1, 460, 100, 60, shape=shape, min_lr=0.001), 400)
    assert branched.lr == planned.lr == 0.1  # continuous at the seam: both at max_lr
    assert [branched.step() for _ in range(70)] == [planned.step() for _ in range(70)]
    assert branched.history["lr"] == planned.history["lr"] and branched.lr == pytest.approx(0.001, rel=1e-14)
    # and another cooldown from the same checkpoint, without retraining the first 400 steps
    other = ScheduleState(stable.cooldown_from(400, decay_steps=10))
    other.load_state_dict(checkpoint, plan="current")
    assert [other.step() for _ in range(10)][-1] == pytest.approx(0.001, rel=1e-14)


def test_cooldown_from_the_decay_start_is_the_schedule_itself():
    schedule = WSD(0.1, 100, 10, 30)
    assert schedule.cooldown_from(70) == schedule and schedule.decay_start == 70


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: WSD(0.0, 10, 1, 1), ValueError, "max_lr must be a finite number > 0, got 0.0"),
    (lambda: WSD(0.1, 10, 1, 1, min_lr=0.2), ValueError, "max_lr must be >= min_lr (0.2), got 0.1"),
    (lambda: WSD(0.1, 0, 0, 1), ValueError, "total_steps must be an int >= 1, got 0"),
    (lambda: WSD(0.1, 10, -1, 1), ValueError, "warmup_steps must be an int >= 0, got -1"),
    (lambda: WSD(0.1, 10, 1, 0), ValueError, "decay_steps must be an int >= 1, got 0"),
    (lambda: WSD(0.1, 10, 1, 2.0), TypeError, "decay_steps must be an int >= 1, got float 2.0"),
    (lambda: WSD(0.1, 10, 5, 6), ValueError, "warmup_steps + decay_steps must be <= total_steps (10), got 5 + 6"),
    (lambda: WSD(0.1, 10, 1, 1, shape="sqrt"), ValueError,
     "shape must be one of 'linear', 'cosine', '1-sqrt', got 'sqrt'"),
    (lambda: WSD(0.1, 100, 10, 30).cooldown_from(5), ValueError,
     "step must be in the stable phase, [10, 70] (between the warmup and the decay), for a cooldown that starts "
     "at max_lr; got 5"),
    (lambda: WSD(0.1, 100, 10, 30).cooldown_from(71), ValueError,
     "step must be in the stable phase, [10, 70] (between the warmup and the decay), for a cooldown that starts "
     "at max_lr; got 71"),
    (lambda: WSD(0.1, 100, 10, 30).cooldown_from(20, decay_steps=0), ValueError,
     "decay_steps must be an int >= 1, got 0"),
])
def test_bad_arguments_are_refused(call, error, message):
    assert raised(call) == (error, message)
