"""The one face builder (`clr_core.extend.face_state`): defaults, errors and momentum bounds in the state."""

from __future__ import annotations

import pytest

from clr_core import CyclicSchedule, OneCycle, ScheduleState, momentum_for
from clr_core.extend import CYCLIC_MOMENTUM, ONE_CYCLE_MOMENTUM, face_state
from tests.errors import raised


def test_momentum_defaults_are_pytorchs_for_each_kind() -> None:
    assert CYCLIC_MOMENTUM == (0.8, 0.9) and ONE_CYCLE_MOMENTUM == (0.85, 0.95)
    cyclic = face_state(base_lr=0.1, max_lr=0.5, step_size=2, cycle_momentum=True)
    one_cycle = face_state(OneCycle(max_lr=0.1, total_steps=20), cycle_momentum=True)
    assert cyclic.momentum_bounds == ((0.8, 0.9),) and one_cycle.momentum_bounds == ((0.85, 0.95),)
    assert one_cycle.momentum == 0.95  # OneCycleLR starts at max_momentum
    mixed = face_state([CyclicSchedule(), OneCycle(0.1, 20)], groups=2, cycle_momentum=True, max_momentum=0.97)
    assert mixed.momentum_bounds == ((0.8, 0.97), (0.85, 0.97))


def test_the_state_steps_the_cores_momentum_schedule() -> None:
    schedule = CyclicSchedule(0.01, 0.05, 3, mode="triangular2")
    state = face_state(schedule, cycle_momentum=True, base_momentum=0.7, max_momentum=0.9)
    expected = momentum_for(schedule, 0.7, 0.9)
    for i in range(10):
        assert state.momentum == expected.lr_at(i)
        state.step()


def test_bad_arguments_get_the_same_messages_as_every_face() -> None:
    assert raised(face_state, base_momentum=0.95, cycle_momentum=True) == (
        ValueError, "max_momentum must be >= base_momentum (0.95), got 0.9")
    assert raised(face_state, groups=2, max_momentum=[0.9, 0.7]) == (  # checked also when not cycled
        ValueError, "max_momentum (param group 1) must be >= base_momentum (0.8), got 0.7")
    assert raised(face_state, cycle_momentum=1) == (TypeError, "cycle_momentum must be True or False, got int 1")
    assert raised(face_state, schedule="triangular") == (
        TypeError, "schedule must be a clr_core schedule (e.g. clr_core.CyclicSchedule), got str 'triangular'")
    assert raised(face_state, groups=2, base_lr=[0.1, -1.0], max_lr=0.5) == (
        ValueError, "param group 1: base_lr must be a finite number >= 0, got -1.0")


def test_the_state_holds_the_momentum_bounds_and_resumes_them() -> None:
    saved = face_state(base_lr=0.1, max_lr=0.5, step_size=4, cycle_momentum=True, base_momentum=0.6,
                       max_momentum=0.7)
    for _ in range(3):
        saved.step()
    state = saved.state_dict()
    assert state["momentum"] == [[0.6, 0.7]]
    resumed = face_state(base_lr=0.1, max_lr=0.5, step_size=4, cycle_momentum=True)  # built with the defaults
    resumed.load_state_dict(state)
    assert resumed.momentum_bounds == ((0.6, 0.7),)
    for _ in range(6):  # what happens next equals the uninterrupted run
        assert (resumed.lr, resumed.momentum) == (saved.lr, saved.momentum)
        saved.step()
        resumed.step()
    assert resumed.history["momentum"] == saved.history["momentum"]


def test_momentum_on_one_side_only_is_refused_and_changes_nothing() -> None:
    with_momentum = face_state(cycle_momentum=True)
    without = face_state()
    assert raised(without.load_state_dict, with_momentum.state_dict()) == (
        ValueError, "cannot load: the saved state had momentum cycling on but this one has it off; build it with "
                    "cycle_momentum=True before loading")
    assert raised(with_momentum.load_state_dict, without.state_dict()) == (
        ValueError, "cannot load: the saved state had momentum cycling off but this one has it on; build it with "
                    "cycle_momentum=False before loading")
    bad = {**with_momentum.state_dict(), "momentum": [[0.9, 0.8]]}
    assert raised(with_momentum.load_state_dict, bad) == (
        ValueError, "max_momentum must be >= base_momentum (0.9), got 0.8")
    assert with_momentum.momentum_bounds == ((0.8, 0.9),)


def test_a_state_saved_without_momentum_bounds_keeps_the_built_ones() -> None:
    saved = ScheduleState(CyclicSchedule(0.1, 0.5, 4), momentum=(0.6, 0.7))
    saved.step()
    older = saved.state_dict()
    del older["momentum"]
    resumed = ScheduleState(CyclicSchedule(0.1, 0.5, 4), momentum=(0.5, 0.75))
    resumed.load_state_dict(older)
    assert resumed.momentum_bounds == ((0.5, 0.75),) and resumed.total_iterations == 1


@pytest.mark.parametrize("groups", [1, 3])
def test_equal_bounds_share_one_schedule(groups: int) -> None:
    state = face_state(groups=groups, base_lr=0.1, max_lr=0.5)
    assert len(state.schedules) == groups and len({id(item) for item in state.schedules}) == 1
