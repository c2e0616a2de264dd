"""`ScheduleState`: counting, reset, groups, exact resume, and nothing half-updated on errors."""

import copy
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import CyclicSchedule, ScheduleState
from tests.core import scale_fns
from tests.errors import raised
from tests.hypothesis_profiles import examples


def test_the_first_step_runs_at_lr_at_0_and_both_counters_advance():
    schedule = CyclicSchedule(base_lr=1, max_lr=5, step_size=4)
    state = ScheduleState(schedule)
    assert state.lr == schedule.lr_at(0)
    for k in range(1, 11):
        assert state.step() == schedule.lr_at(k)
        assert (state.cycle_iterations, state.total_iterations) == (k, k)
    assert state.history["lr"] == [schedule.lr_at(k) for k in range(10)]
    assert state.history["iterations"] == list(range(1, 11))


def test_reset_changes_only_the_arguments_given_and_keeps_counting_iterations():
    state = ScheduleState(CyclicSchedule(base_lr=1, max_lr=5, step_size=4, mode="triangular2"))
    for _ in range(10):
        state.step()
    state.reset(base_lr=2, step_size=2)
    assert (state.schedule.base_lr, state.schedule.max_lr, state.schedule.step_size) == (2, 5, 2)
    assert state.schedule.mode == "triangular2"
    assert (state.lr, state.cycle_iterations, state.total_iterations) == (2, 0, 10)
    state.step()
    assert state.history["iterations"][-1] == 11 and state.history["lr"][-1] == 2
    state.reset()
    assert state.schedule.base_lr == 2 and state.cycle_iterations == 0


def test_a_refused_reset_changes_nothing():
    state = ScheduleState(CyclicSchedule(base_lr=1, max_lr=5, step_size=4))
    state.step()
    before = copy.deepcopy(state.state_dict())
    with pytest.raises(ValueError, match="max_lr must be >= base_lr"):
        state.reset(max_lr=0.5)
    with pytest.raises(ValueError, match="step_size must be a finite number > 0"):
        state.reset(base_lr=2, step_size=-1)
    assert state.state_dict() == before and state.lr == 2


def test_a_step_whose_next_lr_fails_leaves_the_state_as_it_was():
    state = ScheduleState(CyclicSchedule(step_size=4, scale_fn=lambda s: 1.0 if s < 3 else math.nan,
                                         scale_mode="iterations"))
    state.step()
    state.step()
    before = copy.deepcopy(state.state_dict())
    with pytest.raises(ValueError, match="scale_fn returned nan for s=3.0"):
        state.step(loss=1.0)
    assert state.state_dict() == before


def test_a_bad_metric_leaves_the_state_as_it_was():
    state = ScheduleState(CyclicSchedule())
    with pytest.raises(TypeError, match="history value 'loss' must be a number, got 'high'"):
        state.step(loss="high")
    assert state.total_iterations == 0 and dict(state.history) == {}


def test_metrics_are_recorded_per_step_or_per_report():
    state = ScheduleState(CyclicSchedule(base_lr=1, max_lr=5, step_size=4))
    state.step(loss=3.0)
    state.step()
    state.step()
    state.log(loss=1.0, accuracy=0.5)
    assert state.history["loss"] == [3.0, 1.0] and state.history.at("loss") == [1, 3]
    assert state.history["accuracy"] == [0.5]


def test_several_schedules_share_the_counters_and_all_lrs_are_kept():
    state = ScheduleState([CyclicSchedule(1, 5, 4), CyclicSchedule(10, 50, 4)])
    state.step()
    state.step()
    assert state.lrs == [3, 30]
    assert state.history["lr"] == [1, 2] and state.history["lr_group1"] == [10, 20]
    state.reset(max_lr=[9, 90])
    assert [s.max_lr for s in state.schedules] == [9, 90]
    assert raised(state.reset, max_lr=[9, 90, 900]) == (
        ValueError, "max_lr must be one value or a list of 2 (one per schedule), got 3 values: [9, 90, 900]")


def test_the_state_refuses_what_is_not_a_schedule():
    assert raised(ScheduleState, 0.01) == (
        TypeError, "schedule must follow clr_core.Schedule (lr_at, evaluate, to_config, describe, restore), got float")
    assert raised(ScheduleState, []) == (
        ValueError, "schedule must be a schedule or a non-empty sequence of schedules, got an empty one")


def run(state, steps):
    return [state.step(loss=float(k)) for k in range(steps)]


@settings(max_examples=examples(60))
@given(mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), before=st.integers(0, 60),
       after=st.integers(1, 60), reset_at=st.one_of(st.none(), st.integers(0, 60)))
def test_restore_then_n_steps_equals_n_more_steps_of_the_original(mode, before, after, reset_at):
    def build():
        return ScheduleState(CyclicSchedule(0.1, 1.0, step_size=5, mode=mode, gamma=0.97))

    original = build()
    for k in range(before):
        if k == reset_at:
            original.reset(max_lr=0.5, step_size=3)
        original.step(loss=float(k))
    saved = json.loads(json.dumps(original.state_dict()))  # plain data only
    restored = build()
    restored.load_state_dict(saved, plan="saved")
    assert run(restored, after) == run(original, after)
    assert restored.state_dict() == original.state_dict()


def test_restore_with_a_lambda_takes_the_function_from_the_new_object():
    def build():
        return ScheduleState(CyclicSchedule(0.1, 1.0, step_size=5, scale_fn=lambda s: 0.99**s, scale_mode="iterations"))

    original = build()
    run(original, 7)
    restored = build()
    restored.load_state_dict(original.state_dict())
    assert run(restored, 20) == run(original, 20)


def test_loading_a_state_of_another_custom_function_raises_and_changes_nothing():
    saved = ScheduleState(CyclicSchedule(scale_fn=scale_fns.halve_each_cycle))
    run(saved, 3)
    other = ScheduleState(CyclicSchedule(scale_fn=scale_fns.also_halve_each_cycle))
    before = other.state_dict()
    with pytest.raises(ValueError, match="cannot restore"):
        other.load_state_dict(saved.state_dict())
    assert other.state_dict() == before


@pytest.mark.parametrize(("change", "error", "message"), [
    # the message shows the start of what it got ({saved}: the first 200 characters of the state)
    ({"format": 99}, ValueError,
     "state must be a mapping from ScheduleState.state_dict() with format 1 or 2, got {saved}"),
    ({"cycle_iterations": -1}, ValueError, "cycle_iterations must be an int >= 0, got -1"),
    ({"total_iterations": 1.5}, TypeError, "total_iterations must be an int >= 0, got float 1.5"),
    ({"schedules": []}, ValueError,
     "cannot restore: the saved state has 0 schedules but this one has 1; build it with as many before loading"),
])
def test_malformed_states_are_refused(change, error, message):
    state = ScheduleState(CyclicSchedule())
    run(state, 2)
    saved = {**state.state_dict(), **change}
    assert raised(ScheduleState(CyclicSchedule()).load_state_dict, saved) == (
        error, message.format(saved=str(saved)[:200]))


def test_start_at_sets_the_counters_and_keeps_the_history():
    state = ScheduleState(CyclicSchedule(base_lr=1, max_lr=5, step_size=4))
    state.step(loss=1.0)
    state.start_at(10, cycle_iterations=2)
    assert (state.total_iterations, state.cycle_iterations, state.lr) == (10, 2, 3)
    assert state.history["iterations"] == [1]
    state.step()
    assert state.history["iterations"] == [1, 11]
    with pytest.raises(ValueError, match="total_iterations must be an int >= 0, got -1"):
        state.start_at(-1)
    assert state.total_iterations == 11


@pytest.mark.parametrize("name", ["lr", "lr_group1"])
def test_metric_names_the_state_records_itself_are_refused(name):
    state = ScheduleState([CyclicSchedule(), CyclicSchedule()])
    with pytest.raises(ValueError, match=f"metric name '{name}' is recorded by the state itself"):
        state.step(**{name: 5.0})
    with pytest.raises(ValueError, match=f"metric name '{name}' is recorded by the state itself"):
        state.log(**{name: 5.0})
    assert state.total_iterations == 0 and dict(state.history) == {}


def test_groups_that_share_a_schedule_keep_sharing_it_after_reset_and_load():
    shared = CyclicSchedule(0.1, 1.0, step_size=4)
    state = ScheduleState([shared, shared, CyclicSchedule(0.2, 2.0, step_size=4)])
    state.reset(max_lr=[0.5, 0.5, 3.0])
    first, second, third = state.schedules
    assert first is second and first is not third and (first.max_lr, third.max_lr) == (0.5, 3.0)
    fresh = ScheduleState([shared, shared, CyclicSchedule(0.2, 2.0, step_size=4)])
    fresh.load_state_dict(state.state_dict(), plan="saved")
    assert fresh.schedules[0] is fresh.schedules[1] and fresh.schedules[0].max_lr == 0.5


def test_past_the_end_every_way_of_getting_there_holds_the_last_lr():
    from clr_core import OneCycle

    schedule = OneCycle(0.1, 10, after="raise")
    stepped = ScheduleState(schedule)
    for _ in range(10):
        stepped.step()
    started = ScheduleState(schedule)
    started.start_at(10)
    loaded = ScheduleState(schedule)
    loaded.load_state_dict(stepped.state_dict())
    assert stepped.lr == started.lr == loaded.lr == schedule.lr_at(9)
    assert stepped.ended and started.ended and loaded.ended
