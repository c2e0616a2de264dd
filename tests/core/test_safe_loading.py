"""Data is never code: configs import an import path only when allowed, state dicts never; functions on resume
are compared by their code, not only their name."""

import json
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clr_core import (
    CyclicSchedule,
    Join,
    Mirrored,
    ScheduleState,
    register_scale_fn,
    schedule_from_config,
    schedule_to_config,
)
from clr_core.extend import scale_from_config
from clr_core.schedules._fingerprint import fingerprint
from clr_core.schedules.scale import CustomScale
from tests.core import scale_fns
from tests.errors import loaded_or_unchanged
from tests.hypothesis_profiles import examples
from tests.side_effects import SideEffectModule


@pytest.fixture
def module(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return SideEffectModule(tmp_path)


def configs_naming(path):
    cyclic = {"kind": "cyclic", "config": {"step_size": 4.0, "scale_fn": {"import_path": path}}}
    joined = {"kind": "join", "config": {"schedules": [{"kind": "anneal", "config": {
        "start": 0.0, "end": 0.001, "steps": 2.0}}, cyclic], "boundaries": [2.0]}}
    mirrored = {"kind": "mirrored", "config": {"schedule": cyclic, "lr_low": 0.001, "lr_high": 0.006}}
    return {"cyclic": cyclic, "join": joined, "mirrored": mirrored}


@pytest.mark.parametrize("kind", ["cyclic", "join", "mirrored"])
def test_a_config_naming_an_import_path_is_refused_before_anything_is_imported(module, kind):
    config = configs_naming(module.path)[kind]
    with pytest.raises(ValueError, match=rf"import path '{module.path}' was not imported.*safe_mode=False"):
        schedule_from_config(config)
    module.assert_not_imported()
    if kind == "cyclic":
        with pytest.raises(ValueError, match="was not imported"):
            CyclicSchedule.from_config(config["config"])
        with pytest.raises(ValueError, match="was not imported"):
            scale_from_config(module.path)
        module.assert_not_imported()


@pytest.mark.parametrize("kind", ["cyclic", "join", "mirrored"])
def test_safe_mode_false_imports_the_function_the_caller_trusts(module, kind):
    schedule = schedule_from_config(configs_naming(module.path)[kind], safe_mode=False)
    module.assert_imported()
    assert schedule.lr_at(6) == pytest.approx(schedule.lr_at(6))  # a working schedule
    cyclic = schedule_from_config(configs_naming(module.path)["cyclic"], safe_mode=False)
    assert cyclic.lr_at(4.0) == pytest.approx(0.001 + 0.005 * 0.5)  # f returns 0.5 at the peak


@pytest.mark.parametrize("path", ["os:system", "sys:exit", "builtins:exec"])
def test_well_known_dangerous_paths_are_refused(path):
    with pytest.raises(ValueError, match="was not imported"):
        CyclicSchedule.from_config({"scale_fn": {"import_path": path}})


def test_safe_mode_must_be_a_bool():
    with pytest.raises(TypeError, match="safe_mode must be True or False"):
        schedule_from_config(schedule_to_config(CyclicSchedule()), safe_mode="no")


def test_registered_functions_load_in_safe_mode_by_name_or_by_import_path():
    @register_scale_fn(name="tests.safe_loading.quarter")
    def quarter(s):
        return 0.25

    schedule = CyclicSchedule(step_size=2, scale_fn=quarter)
    assert schedule.to_config()["scale_fn"] == {"registered": "tests.safe_loading.quarter"}
    assert CyclicSchedule.from_config(json.loads(json.dumps(schedule.to_config()))).scale_fn is quarter
    register_scale_fn(scale_fns.slow_decay)  # registered under its import path: old configs load too
    path_config = {"scale_fn": {"import_path": "tests.core.scale_fns:slow_decay"}}
    assert CyclicSchedule.from_config(path_config).scale_fn is scale_fns.slow_decay
    with pytest.raises(ValueError, match="'nobody.nothing' is not registered"):
        CyclicSchedule.from_config({"scale_fn": {"registered": "nobody.nothing"}})
    with pytest.raises(ValueError, match="a different scale function is already registered"):
        register_scale_fn(lambda s: 1.0, name="tests.safe_loading.quarter")


def saved_state(schedule, steps=3):
    state = ScheduleState(schedule)
    for _ in range(steps):
        state.step()
    return json.loads(json.dumps(state.state_dict()))


@pytest.mark.parametrize("entry", [{"import_path": "PATH"}, {"registered": "PATH"}, "PATH"])
def test_a_state_dict_never_imports_a_function(module, entry):
    saved = saved_state(CyclicSchedule(step_size=4.0))
    entry = json.loads(json.dumps(entry).replace("PATH", module.path))
    saved["schedules"][0]["description"]["scale_fn"] = entry
    for target in (CyclicSchedule(step_size=4.0), CyclicSchedule(step_size=4.0, scale_fn=scale_fns.slow_decay)):
        state = ScheduleState(target)
        before = state.state_dict()
        with pytest.raises(ValueError):
            state.load_state_dict(saved)
        assert state.state_dict() == before and state.schedule is target
    module.assert_not_imported()


def test_a_garbled_description_is_refused_not_replaced_by_the_defaults():
    saved = saved_state(CyclicSchedule(base_lr=0.1, max_lr=0.2, step_size=4.0))
    saved["schedules"][0]["description"] = {"base_lr": 0.1}
    state = ScheduleState(CyclicSchedule(base_lr=0.1, max_lr=0.2, step_size=4.0))
    with pytest.raises(ValueError, match="saved cyclic schedule lacks the key 'max_lr'"):
        state.load_state_dict(saved)


def test_another_lambda_with_the_same_name_is_refused_on_resume():
    saved = saved_state(CyclicSchedule(step_size=4.0, scale_fn=lambda s: 0.5))
    state = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=lambda s: 0.9))
    with pytest.raises(ValueError, match=r"another function named '.*<lambda>' \(its code differs"):
        state.load_state_dict(saved)
    same = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=lambda s: 0.5))
    same.load_state_dict(saved)
    assert same.total_iterations == 3


def test_captured_values_and_defaults_count_as_code():
    def make(k):
        return lambda s: k

    def with_default(s, k=0.5):
        return k

    def with_other_default(s, k=0.7):
        return k

    assert fingerprint(make(0.5)) == fingerprint(make(0.5)) != fingerprint(make(0.7))
    with_other_default.__qualname__ = with_default.__qualname__
    assert fingerprint(with_default) != fingerprint(with_other_default)


def test_the_same_source_resumes_in_a_new_process_and_changed_source_does_not(tmp_path, monkeypatch):
    def write(body):
        (tmp_path / "user_scales.py").write_text(f"decay = lambda s: {body}\n")

    write("0.5 ** s")
    program = textwrap.dedent("""
        import json, sys
        from clr_core import CyclicSchedule, ScheduleState
        import user_scales
        state = ScheduleState(CyclicSchedule(step_size=2.0, scale_fn=user_scales.decay))
        for _ in range(5):
            state.step()
        print(json.dumps(state.state_dict()))
    """)
    env_path = f"{tmp_path}{__import__('os').pathsep}{':'.join(sys.path)}"
    saved = json.loads(subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                                      env={**__import__("os").environ, "PYTHONPATH": env_path}).stdout)
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_scales

    state = ScheduleState(CyclicSchedule(step_size=2.0, scale_fn=user_scales.decay))
    state.load_state_dict(saved)
    assert state.lr == CyclicSchedule(step_size=2.0, scale_fn=user_scales.decay).lr_at(5)
    write("0.9 ** s")
    namespace = {}
    exec(compile((tmp_path / "user_scales.py").read_text(), "user_scales.py", "exec"), namespace)
    changed = ScheduleState(CyclicSchedule(step_size=2.0, scale_fn=namespace["decay"]))
    with pytest.raises(ValueError, match="its code differs"):
        changed.load_state_dict(saved)
    sys.modules.pop("user_scales", None)


def test_a_state_from_another_python_version_is_compared_by_name_with_a_warning():
    saved = saved_state(CyclicSchedule(step_size=4.0, scale_fn=scale_fns.halve_each_cycle))
    entry = saved["schedules"][0]["description"]["scale_fn"]
    entry["fingerprint"] = "2.7:" + entry["fingerprint"].partition(":")[2][::-1]
    state = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=scale_fns.halve_each_cycle))
    with pytest.warns(RuntimeWarning, match="fingerprinted under Python 2.7"):
        state.load_state_dict(saved)
    assert state.total_iterations == 3


def test_join_and_mirrored_descriptions_carry_the_fingerprint():
    inner = CyclicSchedule(step_size=2.0, scale_fn=lambda s: 0.5)
    for outer in (Join([inner, CyclicSchedule(step_size=2.0)], [4.0]), Mirrored(inner, 0.001, 0.006)):
        saved = saved_state(outer)
        other_inner = CyclicSchedule(step_size=2.0, scale_fn=lambda s: 0.25)
        rebuilt = (Join([other_inner, CyclicSchedule(step_size=2.0)], [4.0]) if isinstance(outer, Join)
                   else Mirrored(other_inner, 0.001, 0.006))
        with pytest.raises(ValueError, match="its code differs"):
            ScheduleState(rebuilt).load_state_dict(saved)


SCALE_ENTRIES = st.one_of(
    st.text(max_size=20), st.sampled_from(["PATH", "os:system", "tests.core.scale_fns:slow_decay", "team.decay", ""]),
    st.fixed_dictionaries({"import_path": st.sampled_from(["PATH", "os:system", "tests.core.scale_fns:slow_decay"])}),
    st.fixed_dictionaries({"registered": st.sampled_from(["PATH", "tests.core.scale_fns:slow_decay", "x"])}),
    st.fixed_dictionaries({"custom": st.sampled_from(["slow_decay", "<lambda>", ""]),
                           "fingerprint": st.one_of(st.text(max_size=40), st.none(), st.integers())}),
    st.fixed_dictionaries({"name": st.sampled_from(["triangular", "exp_range", "os:system"])}),
    st.none(), st.integers(), st.lists(st.text(max_size=3), max_size=3))


@settings(max_examples=examples(100), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entry=SCALE_ENTRIES, custom=st.booleans())
def test_a_mutated_scale_fn_entry_never_brings_a_function(module, entry, custom):
    """Whatever a state says its scale_fn is, loading keeps this object's function (or none) or refuses."""
    register_scale_fn(scale_fns.slow_decay)
    entry = json.loads(json.dumps(entry).replace("PATH", module.path))
    own = scale_fns.slow_decay if custom else None
    saved = saved_state(CyclicSchedule(step_size=4.0, scale_fn=own, scale_mode="iterations"))
    saved["schedules"][0]["description"]["scale_fn"] = entry
    state = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=own, scale_mode="iterations"))
    if loaded_or_unchanged(state, saved):
        assert state.schedule.scale_fn is own if custom else not isinstance(state.schedule.scale, CustomScale)
    module.assert_not_imported()
