"""Corrupted data is refused: any damage to a saved state (a value swapped, a key dropped or added) either
loads into a consistent state or raises `TypeError`/`ValueError`, and a refused load changes nothing."""

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clr_core import CyclicSchedule, History, Join, OneCycle, ScheduleState, warmup
from tests.errors import loaded_or_unchanged
from tests.hypothesis_profiles import examples


def deep(depth=50_000):
    value = []
    for _ in range(depth):
        value = [value]
    return value


GARBAGE = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**64), st.floats(), st.text(max_size=4),
                    st.just([]), st.just({}), st.just([1.0, "x"]), st.just({"import_path": "os:system"}),
                    st.sampled_from([2**53 + 1, 2**63, 10**400, -(2**63), "\ufeff", "iterations", "team.decay"]),
                    st.just(deep()), st.just(list(range(100_000))), st.just(["int64", 10**12, "range", 1, 1]),
                    st.just(["float64", 10**9, "zlib_base64", "eJwDAAAAAAE="]))


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
    if not loaded_or_unchanged(state, bad):
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
    (lambda s: s["history"].update(at=[1]), "history state has an unknown key 'at'"),
    (lambda s: plain(s).update(at=[1]), "'at' must be a mapping"),
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


@settings(max_examples=examples(100), suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(SCHEDULES) - 1), pick=st.integers(0, 10**6),
       number=st.one_of(st.integers(-2, 2**64), st.sampled_from([10**12, 2**53, 2**53 + 1, 2**63 - 1])))
def test_a_mutated_count_or_counter_is_refused_or_loads_consistently(which, pick, number):
    """Any int in the state (a counter, a packed count, a progression's start or step) set to another one."""
    ints = [path for path in PATHS[which] if type(value_at(SAVED[which], path)) is int]
    bad = damaged(SAVED[which], ints[pick % len(ints)], "replace", number)
    state = ScheduleState(SCHEDULES[which])
    if not loaded_or_unchanged(state, bad):
        return
    assert state.total_iterations <= 2**53 and len(state.history.get("iterations", [])) <= state.total_iterations
    json.dumps(state.state_dict())
    state.step()


@settings(max_examples=examples(100), suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=40), st.sampled_from(["", "\ufeff{}", "[" * 50_000, "{" * 50_000, "null",
                                                            '{"values": {}, "at": {}}', '{"keep": true}'])),
       cut=st.integers(0, 400))
def test_hostile_json_text_is_a_value_error_or_a_history(text, cut):
    good = History.from_state_dict(SAVED[0]["history"]).to_json()
    for candidate in (text, good[:cut] + text + good[cut:]):
        try:
            History.from_json(candidate)
        except ValueError:
            pass
        except TypeError as error:  # a wrong kind of value in valid JSON names the key
            assert "history" in str(error)


def value_at(data, path):
    for step in path:
        data = data[step]
    return data
