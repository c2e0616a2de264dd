"""A plan is explicit on resume (DESIGN.md section 6): a changed plan warns; ``plan=`` chooses which continues."""

import warnings

import pytest

from clr_core import Anneal, CyclicSchedule, OneCycle, ScheduleState
from tests.errors import raised

SHORT = OneCycle(0.1, total_steps=100)
LONG = OneCycle(0.1, total_steps=200)
PLAN_WARNING = (
    "the loaded state's plan differs from the one built: saved OneCycle(max_lr=0.1, total_steps=100, "
    "pct_start=0.3, anneal_strategy='cos', div_factor=25.0, final_div_factor=10000.0, three_phase=False, "
    "after='hold'), built OneCycle(max_lr=0.1, total_steps=200, pct_start=0.3, anneal_strategy='cos', "
    "div_factor=25.0, final_div_factor=10000.0, three_phase=False, after='hold'); continuing with the saved "
    "plan. Pass plan='saved' to adopt it without this warning, or plan='current' to keep the counters and "
    "history and continue with the plan built")


def stepped(schedule, steps, **kwargs):
    state = ScheduleState(schedule, **kwargs)
    for k in range(steps):
        state.step(loss=float(k))
    return state


def test_the_issue_example_warns_once_naming_both_plans_and_continues_the_saved_plan():
    saved = stepped(SHORT, 100).state_dict()
    state = ScheduleState(LONG)
    with pytest.warns(UserWarning) as caught:
        state.load_state_dict(saved)
    assert [str(item.message) for item in caught] == [PLAN_WARNING]
    assert state.schedule == SHORT and state.lr == SHORT.lr_at(100) == pytest.approx(4e-7)


def test_saved_adopts_the_saved_plan_without_a_warning():
    saved = stepped(SHORT, 100).state_dict()
    state = ScheduleState(LONG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state.load_state_dict(saved, plan="saved")
    assert state.schedule == SHORT and state.total_iterations == 100 and state.lr == SHORT.lr_at(100)


def test_the_same_plan_loads_silently_whatever_plan_says():
    for plan in (None, "saved", "current"):
        saved = stepped(SHORT, 30).state_dict()
        state = ScheduleState(OneCycle(0.1, total_steps=100))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            state.load_state_dict(saved, plan=plan)
        assert state.schedule == SHORT and state.lr == SHORT.lr_at(30)


def test_current_keeps_counters_and_history_and_continues_the_new_plan_from_the_saved_count():
    old = stepped(SHORT, 100)
    state = ScheduleState(LONG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state.load_state_dict(old.state_dict(), plan="current")
    assert state.schedule is LONG
    assert (state.cycle_iterations, state.total_iterations) == (100, 100)
    assert state.history["lr"] == old.history["lr"] and state.history["loss"] == old.history["loss"]
    # the seam: the next step runs at the new plan's lr for step 100 (a jump from the old 4e-7), then follows it
    assert state.lr == LONG.lr_at(100) == pytest.approx(0.0803, abs=1e-4)
    following = [state.step() for _ in range(99)]
    assert following == [LONG.lr_at(k) for k in range(101, 200)]
    assert state.history["lr"][100:] == [LONG.lr_at(k) for k in range(100, 199)]
    assert state.history["iterations"] == list(range(1, 200))


def test_current_takes_a_plan_of_another_kind_and_keeps_a_reset_cycle_count():
    old = stepped(CyclicSchedule(0.01, 0.1, step_size=10), 25)
    old.reset()
    for _ in range(5):
        old.step()
    cooldown = Anneal(0.1, 0.0, 20)
    state = ScheduleState(cooldown)
    state.load_state_dict(old.state_dict(), plan="current")
    assert (state.cycle_iterations, state.total_iterations) == (5, 30)
    assert [state.lr] + [state.step() for _ in range(3)] == [cooldown.lr_at(k) for k in range(5, 9)]


def test_a_reset_plan_differs_from_the_one_built_and_warns_unless_chosen():
    old = stepped(CyclicSchedule(0.01, 0.1, step_size=10), 5)
    old.reset(max_lr=0.2)
    state = ScheduleState(CyclicSchedule(0.01, 0.1, step_size=10))
    with pytest.warns(UserWarning, match=r"saved CyclicSchedule\(base_lr=0.01, max_lr=0.2,"):
        state.load_state_dict(old.state_dict())
    assert state.schedule.max_lr == 0.2


def test_param_groups_name_the_first_group_that_differs():
    old = stepped([SHORT, SHORT], 10)
    state = ScheduleState([SHORT, LONG])
    with pytest.warns(UserWarning, match=r"^the loaded state's plan \(param group 1\) differs"):
        state.load_state_dict(old.state_dict())


def test_a_warning_made_an_error_leaves_the_state_as_it_was():
    saved = stepped(SHORT, 100).state_dict()
    state = stepped(LONG, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning):
            state.load_state_dict(saved)
    assert state.schedule is LONG and state.total_iterations == 3 and len(state.history["lr"]) == 3


def test_bad_plans_and_states_are_refused_and_change_nothing():
    state = stepped(LONG, 3)
    saved = stepped(SHORT, 10).state_dict()
    assert raised(state.load_state_dict, saved, plan="new") == (
        ValueError, "plan must be one of 'saved', 'current', got 'new'")
    assert raised(state.load_state_dict, {**saved, "schedules": saved["schedules"] * 2}, plan="current") == (
        ValueError, "cannot restore: the saved state has 2 schedules but this one has 1; build it with as many "
                    "before loading")
    assert raised(state.load_state_dict, {**saved, "schedules": [{"kind": 1}]}, plan="current") == (
        ValueError, "cannot restore: each saved schedule in the state must be a dict with 'kind' and "
                    "'description', got {'kind': 1}")
    assert state.schedule is LONG and state.total_iterations == 3
