"""Long runs: the compact history (bytes per step, measured), `keep_history`, packed state, format 1 loads."""

import copy
import json
import pickle
import tracemalloc

import numpy as np
import pytest

from clr_core import CyclicSchedule, History, ScheduleState

SCHEDULE = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=50.0, mode="triangular2")

#: A state saved by the previous release (state format 1, plain lists), written out literally.
FORMAT_1_STATE = {
    "format": 1, "cycle_iterations": 3, "total_iterations": 3,
    "schedules": [{"kind": "cyclic", "description": {
        "base_lr": 1.0, "max_lr": 3.0, "step_size": 2.0, "mode": "triangular", "gamma": 1.0, "scale_fn": None,
        "scale_mode": "cycle", "step_size_down": None, "waveform": "triangle"}}],
    "history": {"values": {"lr": [1.0, 2.0, 3.0], "iterations": [1, 2, 3], "loss": [0.5, 0.25, 0.125]},
                "at": {"lr": [1, 2, 3], "loss": [1, 2, 3]}},
}


def traced_growth(state: ScheduleState, steps: int, **metrics: float) -> int:
    """Bytes still allocated after `steps` more steps of `state` (tracemalloc sees the arrays' buffers), after
    a few steps of warm-up (the interpreter's own first-run allocations)."""
    for _ in range(200):
        state.step(**metrics)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        state.step(**metrics)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return grown


def test_a_kept_step_with_one_metric_costs_at_most_32_bytes():
    state = ScheduleState(SCHEDULE)
    state.step(loss=1.0)  # the columns exist: what follows is growth per step
    steps = 10_000
    per_step = traced_growth(state, steps, loss=0.5) / steps
    assert per_step <= 32, per_step  # lr, iterations and loss: 3 x 8 bytes, plus the arrays' over-allocation
    assert len(state.history["loss"]) == len(state.history["iterations"]) == steps + 201


def test_keep_history_false_records_nothing_and_stays_small_at_any_length():
    state = ScheduleState(SCHEDULE, keep_history=False)
    state.step(loss=1.0)
    assert traced_growth(state, 10_000, loss=0.5) < 1_000
    assert dict(state.history) == {} and state.latest == {"lr": SCHEDULE.lr_at(10_200), "loss": 0.5}
    assert len(json.dumps(state.state_dict())) < 2_000
    assert (state.total_iterations, state.lr) == (10_201, SCHEDULE.lr_at(10_201))


def test_keep_history_n_keeps_the_last_n_steps_in_bounded_memory():
    state = ScheduleState(SCHEDULE, keep_history=100)
    for k in range(1, 2001):
        state.step(loss=float(k))
        if k % 3 == 0:
            state.log(accuracy=k / 10)
    history = state.history
    assert history["lr"] == [SCHEDULE.lr_at(k) for k in range(1900, 2000)]
    assert history["iterations"] == list(range(1901, 2001))
    assert history["loss"] == [float(k) for k in range(1901, 2001)]
    assert history.at("accuracy") == list(range(1701, 2000, 3)) and len(history["accuracy"]) == 100
    assert history.to_csv().count("\n") == 1 + len(set(range(1901, 2001)) | set(range(1701, 2000, 3)))
    assert traced_growth(state, 5_000, loss=0.5) < 5_000 * 8  # the window and its slack; all: 5_000 * 24


@pytest.mark.parametrize("keep", [True, False, 7])
def test_resume_is_exact_in_every_mode(keep):
    straight = ScheduleState(SCHEDULE, keep_history=keep)
    resumed = ScheduleState(SCHEDULE, keep_history=keep)
    for state in (straight, resumed):
        for k in range(30):
            state.step(loss=k / 2)
        state.reset(max_lr=0.004)
    saved = json.loads(json.dumps(resumed.state_dict()))  # plain data, through JSON
    resumed = ScheduleState(SCHEDULE, keep_history=keep)
    resumed.load_state_dict(saved, plan="saved")
    assert [resumed.step(loss=1.0) for _ in range(40)] == [straight.step(loss=1.0) for _ in range(40)]
    assert resumed.history == straight.history and resumed.state_dict() == straight.state_dict()
    assert len(straight.history.get("lr", [])) == {True: 70, False: 0, 7: 7}[keep]


def test_a_longer_history_loaded_into_a_bounded_state_keeps_its_last_steps():
    full = ScheduleState(SCHEDULE)
    for _ in range(20):
        full.step(loss=2.0)
    bounded = ScheduleState(SCHEDULE, keep_history=5)
    bounded.load_state_dict(full.state_dict())
    assert bounded.history["iterations"] == list(range(16, 21)) and bounded.history["loss"] == [2.0] * 5
    bounded.step()
    assert bounded.history["iterations"] == list(range(17, 22))
    assert bounded.history["loss"] == [2.0] * 5 and bounded.history.at("loss") == list(range(16, 21))


def test_a_format_1_state_loads_and_resumes():
    state = ScheduleState(CyclicSchedule(base_lr=1.0, max_lr=3.0, step_size=2))
    state.load_state_dict(copy.deepcopy(FORMAT_1_STATE))
    assert list(state.history) == ["lr", "iterations", "loss"] and state.history["lr"] == [1.0, 2.0, 3.0]
    assert state.history.at("loss") == [1, 2, 3] and state.history["loss"] == [0.5, 0.25, 0.125]
    assert [state.step() for _ in range(3)] == [1.0, 2.0, 3.0]  # lr_at(4), lr_at(5), lr_at(6)
    assert state.state_dict()["format"] == 2 and state.history["iterations"] == list(range(1, 7))


def test_the_packed_history_is_small_plain_text_and_round_trips_bit_for_bit():
    state = ScheduleState(SCHEDULE)
    for k in range(5_000):
        state.step(loss=1.0 / (k + 1))
    packed = state.state_dict()["history"]
    assert packed["columns"]["iterations"] == {"dtype": "int64", "count": 5_000, "start": 1, "step": 1}
    assert packed["at"] == {"lr": "iterations", "loss": "iterations"}
    assert isinstance(packed["columns"]["lr"]["zlib_base64"], str)
    assert len(packed["columns"]["lr"]["zlib_base64"]) < 5_000 * 8 / 2  # base64 text included
    restored = History.from_state_dict(json.loads(json.dumps(packed)))
    assert restored == state.history and restored.to_csv() == state.history.to_csv()
    assert list(restored) == ["lr", "iterations", "loss"]


@pytest.mark.parametrize("change, message", [
    (lambda h: h["columns"]["lr"].update(zlib_base64="not base64!"), "history 'lr' data is not valid"),
    (lambda h: h["columns"]["lr"].update(count=4), "history 'lr' data does not hold 4 float64 values"),
    (lambda h: h["at"].update(loss={"dtype": "int64", "count": 2, "start": 1, "step": 1}),
     "history 'loss' has 3 values but 2 iterations"),
    (lambda h: h["columns"]["iterations"].update(start=-5), "history 'iterations' iterations must be ints >= 0"),
])
def test_a_corrupted_packed_history_is_refused_and_changes_nothing(change, message):
    state = ScheduleState(SCHEDULE)
    for _ in range(3):
        state.step(loss=1.0)
    saved = state.state_dict()
    before = copy.deepcopy(saved)
    change(saved["history"])
    with pytest.raises(ValueError, match=message):
        state.load_state_dict(saved)
    assert state.state_dict() == before


def test_a_column_reads_like_the_classic_list():
    history = History()
    for k in range(1, 6):
        history.add_step(k, k / 10, loss=k * 2.0)
    lr = history["lr"]
    assert lr == [0.1, 0.2, 0.3, 0.4, 0.5] and [0.1, 0.2, 0.3, 0.4, 0.5] == lr and lr != [0.1]
    assert (lr[0], lr[-1], lr[1:3], len(lr), list(reversed(lr))[0]) == (0.1, 0.5, [0.2, 0.3], 5, 0.5)
    assert repr(lr) == "[0.1, 0.2, 0.3, 0.4, 0.5]" and 0.3 in lr and lr.index(0.3) == 2
    assert np.asarray(lr).tolist() == lr and np.asarray(history["iterations"]).dtype == np.int64
    assert lr == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    with pytest.raises(IndexError, match="index 5 out of range for 5 entries"):
        lr[5]
    with pytest.raises(TypeError, match="cannot be assigned to"):
        history["lr"] = [1.0]
    copied = pickle.loads(pickle.dumps(history))
    assert copied == history and copy.deepcopy(history) == history
    copied.add_step(6, 0.6)
    assert len(copied["lr"]) == 6 and len(history["lr"]) == 5


def test_keep_history_is_checked():
    with pytest.raises(ValueError, match="keep_history must be an int >= 1, got 0"):
        ScheduleState(SCHEDULE, keep_history=0)
    with pytest.raises(TypeError, match="keep_history must be an int >= 1, got str 'all'"):
        ScheduleState(SCHEDULE, keep_history="all")
