"""Corrupted data is refused: any damage to a saved state (a value swapped, a key dropped or added) either
loads into a consistent state or raises `TypeError`/`ValueError`, and a refused load changes nothing."""

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clr_core import CyclicSchedule, History, Join, OneCycle, ScheduleState, warmup
from tests.hypothesis_profiles import examples

GARBAGE = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**64), st.floats(), st.text(max_size=4),
                    st.just([]), st.just({}), st.just([1.0, "x"]), st.just({"import_path": "os:system"}))


def paths(data, prefix=()):
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*prefix, index))


def damaged(state, path, action, garbage):
    """A copy of `state` with the value at `path` replaced, removed, or joined by an unknown key."""
    result = copy.deepcopy(state)
    if not path:
        return garbage
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if action == "replace" or isinstance(parent, list):
        parent[path[-1]] = garbage
    elif action == "remove":
        del parent[path[-1]]
    else:
        parent["unexpected"] = garbage
    return result


def saved_state(schedule):
    state = ScheduleState(schedule)
    for k in range(6):
        state.step(loss=1.0 / (k + 1))
    state.reset(max_lr=0.008) if isinstance(schedule, CyclicSchedule) else None
    state.step(loss=0.1)
    return json.loads(json.dumps(state.state_dict()))


def plain(state):
    """Give `state` its history in the readable layout (`History.to_json`, which loads too) and return it."""
    state["history"] = json.loads(History.from_state_dict(state["history"]).to_json())
    return state["history"]


SCHEDULES = [CyclicSchedule(step_size=3.0), warmup(CyclicSchedule(step_size=3.0), 2.0), OneCycle(0.1, 50),
             Join([CyclicSchedule(step_size=2.0), CyclicSchedule(step_size=4.0)], [8.0])]
SAVED = [saved_state(schedule) for schedule in SCHEDULES]
PATHS = [list(paths(state)) for state in SAVED]


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(SCHEDULES) - 1), pick=st.integers(0, 10**6),
       action=st.sampled_from(["replace", "remove", "add"]), garbage=GARBAGE)
def test_a_damaged_state_is_refused_or_loads_consistently_and_a_refusal_changes_nothing(which, pick, action,
                                                                                      garbage):
    path = PATHS[which][pick % len(PATHS[which])]
    bad = damaged(SAVED[which], path, action, garbage)
    state = ScheduleState(SCHEDULES[which])
    state.step()
    before = state.state_dict()
    try:
        state.load_state_dict(bad, plan="saved")
    except (TypeError, ValueError):
        assert state.state_dict() == before
        return
    # accepted: everything the state holds is consistent and every lr it will give is a real rate
    assert math.isfinite(state.lr) and state.lr >= 0
    assert all(math.isfinite(lr) and lr >= 0 for lr in state.history.get("lr", []))
    assert state.cycle_iterations <= state.total_iterations
    json.dumps(state.state_dict())
    state.step()


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.update(format=True), "format 1"),
    (lambda s: plain(s)["values"]["lr"].__setitem__(0, float("nan")), "finite learning rates >= 0"),
    (lambda s: plain(s)["values"]["lr"].pop(), "'lr' has 6 values but 7 iterations"),
    (lambda s: plain(s)["values"]["iterations"].reverse(), "'iterations' must increase"),
    (lambda s: s.pop("history"), "state lacks the key 'history'"),
    (lambda s: s["history"].update(at=[1]), "'at' must be a mapping"),
    (lambda s: s.update(cycle_iterations=99), "cannot exceed 'total_iterations'"),
    (lambda s: s["schedules"][0]["description"].update(step_size="3"), "step_size must be a real number"),
    (lambda s: s["schedules"][0]["description"].update(warp=1), "unknown key 'warp'"),
])
def test_each_kind_of_damage_gets_a_message_that_names_the_key(change, message):
    bad = copy.deepcopy(SAVED[0])
    change(bad)
    state = ScheduleState(CyclicSchedule(step_size=3.0))
    with pytest.raises((TypeError, ValueError), match=message):
        state.load_state_dict(bad)
    assert state.total_iterations == 0 and state.history == {}


def test_a_history_file_with_misaligned_columns_is_refused(tmp_path):
    path = tmp_path / "history.json"
    good = json.loads(History.from_state_dict(SAVED[0]["history"]).to_json())
    good["values"]["loss"].append(0.5)
    path.write_text(json.dumps(good))
    with pytest.raises(ValueError, match="'loss' has 8 values but 7 iterations"):
        History.from_json(path)
