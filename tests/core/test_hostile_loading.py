"""Hostile and unlucky inputs: bounded loads, counters in range, one error type, the writer refuses what the
reader refuses, a state never brings a function, fingerprints by value."""

import base64
import copy
import json
import math
import pathlib
import tracemalloc
import zlib
from array import array
from fractions import Fraction

import numpy as np
import pytest

from clr_core import CosineRestarts, CyclicSchedule, History, ScheduleState, register_scale_fn
from clr_core.schedules._fingerprint import fingerprint
from tests.errors import raised


def saved_state(steps=3, **metrics):
    state = ScheduleState(CyclicSchedule(step_size=4.0))
    for _ in range(steps):
        state.step(**metrics)
    return json.loads(json.dumps(state.state_dict()))


def row(history, key):
    return next(row for row in history["columns"] if row[0] == key)


def zeros_payload(count):
    """zlib_base64 text of `count` float64 zeros (a multiple of 2**17), built without compressing them all.

    Each MiB is compressed after a full flush, so every one after the first has the same bytes; the stream
    ends with an empty final block and the Adler-32 of n zero bytes, ``(n % 65521) << 16 | 1``.
    """
    chunk, size = bytes(1 << 20), count * 8
    packer = zlib.compressobj(9)
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    adler = ((size % 65521) << 16) | 1
    stream = first + again * (size // len(chunk) - 1) + b"\x03\x00" + adler.to_bytes(4, "big")
    return base64.b64encode(stream).decode()


def test_the_zeros_payload_is_valid_zlib():
    assert zlib.decompress(base64.b64decode(zeros_payload(2**18))) == bytes(2**21)


def refused_within(memory, function, *args):
    """The error `function(*args)` raises, checking that it allocated at most `memory` bytes on the way."""
    tracemalloc.start()
    try:
        error = raised(function, *args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < memory, f"{peak} bytes allocated before refusing"
    return error


def assert_unchanged(load, state, before):
    with pytest.raises((TypeError, ValueError)):
        load(state)


# 25.2: packed columns are bounded before anything is allocated.

def test_a_progression_claiming_10_to_the_12_entries_is_refused_before_allocating():
    saved = saved_state()
    saved["total_iterations"] = saved["cycle_iterations"] = 10**12
    saved["history"] = {"keep": True, "steps": 10**12, "columns": [["iterations", ["int64", 10**12, "range", 1, 1],
                                                                     None]]}
    assert len(json.dumps(saved)) < 700
    error = refused_within(1 << 20, ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved)
    assert error == (ValueError, f"history holds {10**12} values, more than the {2**27} a history loads "
                                 f"(History.max_loaded_values; raise it to load a longer history you trust)")
    row(saved_state()["history"], "iterations")[1][1] = 10**12
    saved = saved_state()
    row(saved["history"], "iterations")[1][1] = 10**12
    assert refused_within(1 << 20, ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved) == (
        ValueError, f"history 'lr' has 3 values but {10**12} iterations")


def test_a_payload_that_inflates_past_its_count_is_refused_within_a_chunk():
    saved = saved_state()
    row(saved["history"], "lr")[1][3] = zeros_payload(2**24)  # 128 MiB of zeros, 3 values declared
    error = refused_within(8 << 20, ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved)
    assert error == (ValueError, "history 'lr' data does not hold 3 float64 values")


def test_the_consistent_bomb_is_refused_by_the_documented_limit():
    """134 M lrs in about 1 MB, with counters that claim them: every count agrees, the limit refuses it."""
    count = 2**27
    saved = saved_state()
    saved["total_iterations"] = saved["cycle_iterations"] = count
    saved["history"] = {"keep": True, "steps": count, "columns": [
        ["lr", ["float64", count, "zlib_base64", zeros_payload(count)], "iterations"],
        ["iterations", ["int64", count, "range", 1, 1], None]]}
    assert len(json.dumps(saved)) < 2 << 20
    state = ScheduleState(CyclicSchedule(step_size=4.0))
    error = refused_within(4 << 20, state.load_state_dict, saved)
    assert error == (ValueError, f"history holds {2 * count} values, more than the {2**27} a history loads "
                                 f"(History.max_loaded_values; raise it to load a longer history you trust)")
    assert state.total_iterations == 0


def test_the_limit_is_what_the_user_allows(monkeypatch):
    saved = saved_state(steps=50)
    monkeypatch.setattr(History, "max_loaded_values", 99)
    with pytest.raises(ValueError, match="history holds 100 values, more than the 99"):
        ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict(saved)
    monkeypatch.setattr(History, "max_loaded_values", 100)
    ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict(saved)


def test_declared_counts_are_checked_against_each_other_and_the_counters():
    saved = saved_state()
    row(saved["history"], "iterations")[1][1] = 2  # 2 iterations for 3 lrs
    row(saved["history"], "iterations")[1][1] = 2
    assert raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved) == (
        ValueError, "history 'lr' has 3 values but 2 iterations")
    saved = saved_state()
    saved["history"]["steps"] = 2
    assert raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved) == (
        ValueError, "history 'iterations' has 3 entries, but a history that keeps everything holds 2 after 2 steps")


# 25.3: counters beyond 2**53 are refused by name.

@pytest.mark.parametrize("key", ["total_iterations", "cycle_iterations"])
@pytest.mark.parametrize("value", [2**53 + 1, 2**63, 10**400])
def test_counters_past_2_53_are_refused_by_name(key, value):
    saved = {**saved_state(), "total_iterations": value} if key == "total_iterations" else {
        **saved_state(), key: value, "total_iterations": value}
    kind, message = raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved)
    assert kind is ValueError and message.startswith(f"{key} must be an int in [0, 2**53], got ")
    assert len(message) < 200


def test_start_at_and_add_step_refuse_what_no_state_can_hold():
    state = ScheduleState(CyclicSchedule(step_size=4.0))
    assert raised(state.start_at, 2**63 - 1) == (
        ValueError, "total_iterations must be an int in [0, 2**53], got 9223372036854775807")
    assert raised(History().add_step, 2**64, 0.1) == (
        ValueError, "iteration must be an int in [0, 2**53], got 18446744073709551616")
    saved = saved_state()
    row(saved["history"], "iterations")[1][3] = 2**62  # a progression past int64 at its end
    assert raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved)[0] is ValueError


# 25.4: deep nesting and huge values give a ValueError with a short message.

def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("where", ["cycle_iterations", "history", "column", "values", "kind"])
def test_deeply_nested_values_are_a_value_error(where):
    saved = saved_state()
    deep = nested(100_000)
    if where == "cycle_iterations":
        saved["cycle_iterations"] = deep
    elif where == "history":
        saved["history"] = {"keep": True, "steps": 3, "columns": deep}
    elif where == "column":
        row(saved["history"], "lr")[1] = deep
    elif where == "values":
        saved["history"] = {"values": {"lr": deep, "iterations": [1, 2, 3]}, "at": {"lr": [1, 2, 3]}}
    else:
        saved["schedules"][0]["kind"] = deep
    kind, message = raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved)
    assert kind in (TypeError, ValueError) and len(message) < 400


def test_deeply_nested_json_text_is_a_value_error():
    kind, message = raised(History.from_json, "[" * 100_000 + "]" * 100_000)
    assert kind is ValueError and message.startswith("a history must be JSON text")


def test_a_message_about_a_huge_value_stays_short():
    saved = saved_state()
    saved["history"] = {"values": {"lr": list(range(2_000_000)), "iterations": "x"}, "at": {"lr": []}}
    kind, message = refused_within(1 << 20, ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved)
    assert kind in (TypeError, ValueError) and len(message) < 400


# 25.5: the history agrees with the counters; the writer refuses what the reader refuses.

def test_a_history_shifted_past_the_counters_is_refused():
    saved = saved_state()
    row(saved["history"], "iterations")[1][3] = 50  # iterations 50, 51, 52 after 3 steps
    state = ScheduleState(CyclicSchedule(step_size=4.0))
    assert raised(state.load_state_dict, saved) == (
        ValueError, "state 'history' 'iterations' has entries at iteration 52, past 'total_iterations' (3): the "
                    "history and the counters disagree")
    assert state.total_iterations == 0


def test_a_history_with_more_steps_than_the_counters_is_refused():
    saved = saved_state()
    saved["total_iterations"] = saved["cycle_iterations"] = 2
    assert raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved) == (
        ValueError, "state 'history' recorded 3 steps but 'total_iterations' is 2: the history and the counters "
                    "disagree")


@pytest.mark.parametrize(("iteration", "lr", "expected"), [
    (3, math.nan, (ValueError, "lr must be a finite number >= 0, got nan")),
    (3, -0.1, (ValueError, "lr must be a finite number >= 0, got -0.1")),
    (3, "0.1", (TypeError, "lr must be a real number (int or float), got str '0.1'")),
    (2, 0.1, (ValueError, "iteration must increase from step to step (the latest recorded is 2), got 2")),
    (-1, 0.1, (ValueError, "iteration must be an int >= 0, got -1")),
    (2.5, 0.1, (TypeError, "iteration must be an int >= 0, got float 2.5")),
])
def test_add_step_refuses_what_the_loader_refuses_and_records_nothing(iteration, lr, expected):
    history = History()
    history.add_step(2, 0.5, loss=1.0)
    before = history.to_dict()
    assert raised(history.add_step, iteration, lr, loss=2.0) == expected
    assert history.to_dict() == before
    History.from_state_dict(history.state_dict())


def test_start_at_cannot_go_back_before_the_recorded_steps():
    state = ScheduleState(CyclicSchedule(step_size=4.0))
    for _ in range(5):
        state.step()
    assert raised(state.start_at, 3)[0] is ValueError
    state.start_at(10)
    state.step()
    ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict(state.state_dict())


# 25.6: a state never brings a function.

def test_a_bare_string_scale_fn_in_a_state_is_refused_even_when_registered():
    @register_scale_fn(name="team.fast_decay")
    def fast_decay(s):
        return 0.5 ** s

    saved = saved_state()
    saved["schedules"][0]["description"]["scale_fn"] = "team.fast_decay"
    state = ScheduleState(CyclicSchedule(step_size=4.0))
    kind, message = raised(state.load_state_dict, saved)
    assert kind is ValueError and message.startswith("cannot restore: the saved schedule names a scale_fn to load "
                                                     "('team.fast_decay'); a state dict never brings a function")
    assert state.schedule.scale_fn is None and state.total_iterations == 0


# 25.7: fingerprints: malformed ones refused, captured dicts and arrays by value.

@pytest.mark.parametrize("bad", ["", "junk", "mod:f", "3.12:xyz", 5, None])
def test_a_malformed_fingerprint_is_refused(bad):
    def decay(s):
        return 0.5

    state = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=decay))
    state.step()
    saved = json.loads(json.dumps(state.state_dict()))
    saved["schedules"][0]["description"]["scale_fn"]["fingerprint"] = bad
    fresh = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=decay))
    kind, message = raised(fresh.load_state_dict, saved)
    assert kind is ValueError and ("malformed fingerprint" in message or "its code differs" in message)
    assert fresh.total_iterations == 0


def closure_over(value):
    return lambda s: value["decay"] ** s if isinstance(value, dict) else float(value[0]) ** s


@pytest.mark.parametrize(("same", "other"), [
    ({"decay": 0.5}, {"decay": 0.9}),
    (np.array([0.5]), np.array([0.9])),
    (array("d", [0.5]), array("d", [0.9])),
])
def test_closures_over_dicts_and_arrays_are_fingerprinted_by_value(same, other):
    assert fingerprint(closure_over(same)) == fingerprint(closure_over(copy.deepcopy(same)))
    assert fingerprint(closure_over(same)) != fingerprint(closure_over(other))
    state = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=closure_over(same), scale_mode="iterations"))
    state.step()
    fresh = ScheduleState(CyclicSchedule(step_size=4.0, scale_fn=closure_over(other), scale_mode="iterations"))
    with pytest.raises(ValueError, match="its code differs"):
        fresh.load_state_dict(state.state_dict())


# 25.8: unknown keys are refused in the history part, a packed column and 'at'.

def packed_layout(saved):
    """The history in the format 2 layout (dicts by key), which still loads."""
    columns, at = {}, {}
    for key, values, when in saved["history"]["columns"]:
        packed = {"dtype": values[0], "count": values[1], **(
            {"zlib_base64": values[3]} if values[2] == "zlib_base64" else {"start": values[3], "step": values[4]})}
        columns[key] = packed
        if key != "iterations":
            at[key] = when
    saved["history"] = {"columns": columns, "at": at}
    saved["format"] = 2
    return saved


@pytest.mark.parametrize(("change", "expected"), [
    (lambda h: h.update(extra=1),
     "history state has an unknown key 'extra' (allowed: 'keep', 'steps', 'columns')"),
    (lambda h: row(h, "lr").append("extra"), "history 'columns' must hold [key, values, at] rows, got "),
    (lambda h: row(h, "lr")[1].append("extra"), "history 'lr' must be a packed float64 column "),
])
def test_unknown_keys_are_refused_in_the_rows_layout(change, expected):
    saved = saved_state()
    change(saved["history"])
    kind, message = raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved)
    assert kind is ValueError and message.startswith(expected)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda h: h.update(extra=1), "history state has an unknown key 'extra' (allowed: 'columns', 'at')"),
    (lambda h: h["columns"]["lr"].update(extra=1),
     "history 'lr' column has an unknown key 'extra' (allowed: 'dtype', 'count', 'zlib_base64')"),
    (lambda h: h["at"].update(extra="iterations"), "history 'at' has an unknown key 'extra' (one per column but "
                                                   "'iterations')"),
    (lambda h: h["at"].update(iterations="iterations"), "history 'at' has an unknown key 'iterations' (one per "
                                                        "column but 'iterations')"),
])
def test_unknown_keys_are_refused_in_the_format_2_layout(change, expected):
    saved = packed_layout(saved_state(loss=1.0))
    ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict(copy.deepcopy(saved))  # it loads as it is
    change(saved["history"])
    assert raised(ScheduleState(CyclicSchedule(step_size=4.0)).load_state_dict, saved) == (ValueError, expected)


# 25.9: JSON text and files are told apart by type, bad text is a ValueError.

@pytest.mark.parametrize("text", ["", "\ufeff{}", "garbage", "history.json", "x" * 5000])
def test_bad_json_text_is_a_value_error(text):
    kind, message = raised(History.from_json, text)
    assert kind is ValueError and message.startswith("a history must be JSON text") and len(message) < 400
    if not text.startswith("\ufeff"):
        assert "pass a path object: pathlib.Path(name)" in message


def test_a_path_object_reads_the_file(tmp_path):
    history = History()
    history.add_step(1, 0.5)
    path = tmp_path / "history.json"
    text = history.to_json(path)
    assert History.from_json(path) == History.from_json(text) == history
    assert raised(History.from_json, 3) == (TypeError, "source must be JSON text (a str) or a path object, got int")
    assert isinstance(path, pathlib.Path)


# 25.10: CosineRestarts keeps checked floats.

@pytest.mark.parametrize("arguments", [
    {"max_lr": 9e307, "period": 3.0},
    {"max_lr": 1.7e308, "period": 3.0, "min_lr": 1e307},
    {"max_lr": 1.0, "period": np.float16(1.0), "period_mult": np.float16(1.0)},
    {"max_lr": Fraction(1, 2), "period": Fraction(3, 2), "period_mult": Fraction(2), "decay": Fraction(1, 2)},
])
def test_every_accepted_restarts_argument_gives_finite_lrs(arguments):
    schedule = CosineRestarts(**arguments)
    assert all(type(getattr(schedule, name)) is float for name in ("max_lr", "period", "period_mult", "min_lr",
                                                                    "decay"))
    iterations = [0, 1, 2, 3, 70_000, 10**9, 2**52]
    lrs = [schedule.lr_at(i) for i in iterations]
    assert all(math.isfinite(lr) and schedule.min_lr <= lr <= schedule.max_lr for lr in lrs)
    assert schedule.lr_at(np.array(iterations)).tolist() == lrs


@pytest.mark.parametrize("saved_keep", [True, 5, False])
@pytest.mark.parametrize("loaded_keep", [True, 3, 5, 10, False])
def test_a_state_saved_with_any_window_loads_into_any_window_and_saves_again(saved_keep, loaded_keep):
    state = ScheduleState(CyclicSchedule(step_size=4.0), keep_history=saved_keep)
    for k in range(20):
        state.step(loss=float(k))
    loaded = ScheduleState(CyclicSchedule(step_size=4.0), keep_history=loaded_keep)
    loaded.load_state_dict(json.loads(json.dumps(state.state_dict())))
    kept = {True: 20, 5: 5, False: 0}[saved_keep]
    assert loaded.history.get("iterations", []) == list(range(21 - min(kept, {True: 99, False: 0}.get(
        loaded_keep, loaded_keep)), 21))
    for _ in range(3):
        loaded.step(loss=1.0)
    again = ScheduleState(CyclicSchedule(step_size=4.0), keep_history=loaded_keep)
    again.load_state_dict(json.loads(json.dumps(loaded.state_dict())))
    assert again.history == loaded.history and again.total_iterations == 23
    assert again.state_dict() == loaded.state_dict()
