"""Configs (JSON, by name or import path), pickling, and describe/restore for state dicts."""

import json
import pickle
import re

import pytest

from clr_core import (
    CyclicSchedule,
    exp_range,
    schedule_from_config,
    schedule_to_config,
    triangular2,
)
from clr_core.extend import import_path_of
from tests.core import scale_fns


@pytest.mark.parametrize("arguments", [
    {},
    {"mode": "triangular2", "step_size": 10, "base_lr": 0.1, "max_lr": 1.0},
    {"mode": "exp_range", "gamma": 0.99994},
    {"step_size": 3, "step_size_down": 7},
    {"scale_fn": exp_range(0.9), "scale_mode": "cycle"},
    {"scale_fn": triangular2, "scale_mode": "iterations"},
    {"scale_fn": scale_fns.halve_each_cycle, "scale_mode": "cycle"},
])
def test_config_round_trips_through_json_and_gives_the_same_lrs(arguments):
    schedule = CyclicSchedule(**arguments)
    text = json.dumps(schedule_to_config(schedule))
    rebuilt = schedule_from_config(json.loads(text), safe_mode=False)  # the test's own module: trusted
    assert [rebuilt.lr_at(i) for i in range(0, 5000, 37)] == [schedule.lr_at(i) for i in range(0, 5000, 37)]
    assert rebuilt == schedule


def test_builtin_scale_objects_are_saved_by_name_and_custom_functions_by_import_path():
    assert CyclicSchedule(scale_fn=exp_range(0.5)).to_config()["scale_fn"] == {"name": "exp_range", "gamma": 0.5}
    assert CyclicSchedule(scale_fn=scale_fns.slow_decay).to_config()["scale_fn"] == {
        "import_path": "tests.core.scale_fns:slow_decay"}


def test_a_lambda_cannot_be_saved_and_the_message_says_how_to_fix_it():
    with pytest.raises(ValueError, match=r"cannot be saved in a config: a lambda.*define it with `def` at the top "
                                         r"level of an importable module"):
        CyclicSchedule(scale_fn=lambda s: 1.0).to_config()


def test_a_local_function_cannot_be_saved():
    def local(s):
        return 1.0

    with pytest.raises(ValueError, match="local function"):
        import_path_of(local)


@pytest.mark.parametrize(("config", "message"), [
    ({"scale_fn": {"import_path": "no_such_module_xyz:f"}}, "cannot be loaded"),
    ({"scale_fn": {"import_path": "math"}}, "must be an import path 'package.module:function'"),
    ({"scale_fn": {"import_path": "math:pi"}}, "not callable"),
    ({"scale_fn": {"name": "cosine"}},
     "scale_fn config 'name' must be one of 'triangular', 'triangular2', 'exp_range'"),
])
def test_broken_configs_raise_clear_errors(config, message):
    with pytest.raises(ValueError, match=message):
        CyclicSchedule.from_config(config, safe_mode=False)


def test_an_unknown_schedule_kind_is_refused():
    known = "'anneal', 'cosine_restarts', 'cyclic', 'join', 'mirrored', 'one_cycle', 'range_sweep', 'wsd'"
    with pytest.raises(ValueError, match=re.escape(f"schedule config 'kind' must be one of {known}, got 'warp'")):
        schedule_from_config({"kind": "warp", "config": {}})


def test_schedules_and_scale_objects_pickle():
    schedule = CyclicSchedule(scale_fn=exp_range(0.9), scale_mode="cycle", step_size=3)
    copy = pickle.loads(pickle.dumps(schedule))
    assert copy == schedule and copy.lr_at(4) == schedule.lr_at(4)


def test_replace_validates_the_changed_arguments():
    schedule = CyclicSchedule(base_lr=0.1, max_lr=0.2)
    assert schedule.replace(max_lr=0.5).max_lr == 0.5
    with pytest.raises(ValueError, match="max_lr must be >= base_lr"):
        schedule.replace(max_lr=0.05)
    with pytest.raises(TypeError, match="no argument 'lr'"):
        schedule.replace(lr=1)


def test_restore_takes_a_lambda_from_the_new_object_and_data_from_the_description():
    saved = CyclicSchedule(scale_fn=lambda s: 0.5, scale_mode="iterations").replace(max_lr=0.01).describe()
    assert saved["scale_fn"]["custom"] == ("test_restore_takes_a_lambda_from_the_new_object_and_data_from_the_"
                                           "description.<locals>.<lambda>")
    json.dumps(saved)
    fresh = CyclicSchedule(scale_fn=lambda s: 0.5, scale_mode="iterations")
    restored = fresh.restore(saved)
    assert restored.max_lr == 0.01 and restored.scale_fn is fresh.scale_fn and restored.scale_mode == "iterations"


@pytest.mark.parametrize(("saved", "fresh", "message"), [
    ({"scale_fn": scale_fns.halve_each_cycle}, {}, "used scale_fn custom function 'halve_each_cycle' but this one "
                                                    r"has none \(a built-in mode\)"),
    ({}, {"scale_fn": scale_fns.halve_each_cycle}, "used scale_fn none .* but this one has custom function"),
    ({"scale_fn": scale_fns.halve_each_cycle}, {"scale_fn": scale_fns.also_halve_each_cycle},
     "'halve_each_cycle' but this one has custom function 'also_halve_each_cycle'"),
])
def test_restore_refuses_a_different_custom_function(saved, fresh, message):
    with pytest.raises(ValueError, match=message):
        CyclicSchedule(**fresh).restore(CyclicSchedule(**saved).describe())
