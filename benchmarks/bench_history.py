"""Long runs: history memory per step, `keep_history=False`, and checkpoint cost, against the list layout.

Run: ``python benchmarks/bench_history.py [--json results.json] [--steps 1000000] [--rounds 3]``. A script,
not a test. Goals (issue 14), at 10^6 steps:

- memory per kept step with one metric <= 32 bytes (tracemalloc over the whole run), against the lists of
  the previous layout (state format 1: a list per column and one list of iterations per metric);
- O(1) memory with ``keep_history=False``: growth from 10^5 to 10^6 steps, against the full history's;
- ``torch.save`` + ``torch.load(weights_only=True)`` of a `clr_torch.CyclicLR` state dict, 1 and 10 param
  groups: time and file size <= 1/10 of the same history in format 1 (plain lists), measured side by side;
- ``keep_history=False``: a checkpoint of a few KB (against torch's own CyclicLR state dict);
- time per ``ScheduleState.step(loss=...)`` unchanged or better than with the list layout.

And (issue 24.5), loading a history of ``--load-steps`` (default 10^7) steps with one metric costs at most 10x
``json.loads`` of the same history's readable JSON text (`History.to_json`) and 400 MB: the checkpoint path
(``History.from_state_dict`` of the parsed state JSON) and ``History.from_json`` of the readable text, each
timed against ``json.loads`` of the readable text, and its peak memory measured by tracemalloc.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from harness import Row, compare, print_rows, write_json

from clr_core import CyclicSchedule, History, ScheduleState
from clr_torch import CyclicLR

SCHEDULE = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=2000.0)
BYTES_GOAL = 32.0


class ListHistory(dict):  # type: ignore[type-arg]
    """The previous layout's per-step work, at its cheapest (the time and memory reference).

    A list per column, every column recorded at each step sharing the 'iterations' list (the previous layout
    also kept a list of iterations per metric, so the reference is a little faster and smaller than it was).
    """

    def __init__(self) -> None:
        super().__init__()
        self._appends: tuple[Any, ...] | None = None

    def _add_lrs(self, iteration: int, keys: tuple[str, ...], lrs: Any) -> None:
        appends = self._appends
        if appends is None or (appends[0] is not keys and appends[0] != keys):
            appends = self._appends = (keys, [self.setdefault(key, []).append for key in keys],
                                       self.setdefault("iterations", []).append)
        for append, lr in zip(appends[1], lrs):
            append(lr)
        appends[2](iteration)

    @staticmethod
    def _as_floats(values: dict[str, Any]) -> dict[str, float]:
        return {key: float(value) for key, value in values.items()}


def state_with(history: Any = None, keep: Any = True) -> ScheduleState:
    state = ScheduleState(SCHEDULE, keep_history=keep)
    if history is not None:
        state.history = history
    return state


def traced_bytes(state: ScheduleState, steps: int, marks: tuple[int, ...] = ()) -> dict[int, int]:
    """Bytes allocated after each of `marks` steps (and after `steps`), one metric logged at every step."""
    step = state.step
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    seen, done = {}, 0
    for mark in (*marks, steps):
        for k in range(done, mark):
            step(loss=k * 1e-6)  # a new float each step, as a real loss
        done = mark
        seen[mark] = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    return seen


def memory_rows(steps: int) -> tuple[list[Row], dict[str, float]]:
    ours = traced_bytes(state_with(), steps)[steps] / steps
    lists = traced_bytes(state_with(ListHistory()), steps)[steps] / steps
    tenth = steps // 10
    full = traced_bytes(state_with(), steps, (tenth,))
    none = traced_bytes(state_with(keep=False), steps, (tenth,))
    growth_full, growth_none = full[steps] - full[tenth], none[steps] - none[tenth]
    rows = [
        Row(f"history bytes per kept step, 1 metric, vs the {BYTES_GOAL:g} B goal", "B", ours, BYTES_GOAL,
            ours / BYTES_GOAL, 1.0),
        Row("history bytes per kept step, 1 metric, vs lists (format 1)", "B", ours, lists, ours / lists,
            BYTES_GOAL / lists),
        Row(f"keep_history=False: growth {tenth:.0e} to {steps:.0e} steps vs full", "kB", growth_none / 1e3,
            growth_full / 1e3, max(growth_none, 1) / growth_full, 0.001),
    ]
    return rows, {"bytes_per_step": ours, "list_bytes_per_step": lists, "growth_keep_false": growth_none}


def scheduler_after(steps: int, groups: int, keep: Any = True) -> CyclicLR:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
    optimizer = torch.optim.SGD(params, lr=0.1)
    optimizer.step()  # no gradients: marks the optimizer as stepped (no call-order warning)
    scheduler = CyclicLR(optimizer, schedule=SCHEDULE, keep_history=keep)
    for _ in range(steps):
        optimizer.step()  # a step the optimizer applied (no gradients: nothing moves), so the step is recorded
        scheduler.step()
    if keep is True and len(scheduler.history["lr"]) != steps:
        raise RuntimeError(f"the history kept {len(scheduler.history['lr'])} of {steps} steps")
    return scheduler


def format_1(state: dict[str, Any], scheduler: CyclicLR) -> dict[str, Any]:
    """The same state in the previous layout: format 1, the history as plain lists."""
    inner = {**state["schedule_state"], "format": 1, "history": scheduler.history._plain_state()}
    return {**state, "format": 1, "schedule_state": inner}


def save_and_load(state: dict[str, Any], path: str) -> tuple[float, int]:
    """Seconds for ``torch.save`` then ``torch.load(weights_only=True)``, and the file size."""
    start = time.perf_counter()
    torch.save(state, path)
    torch.load(path, weights_only=True)
    return time.perf_counter() - start, os.path.getsize(path)


def checkpoint_rows(steps: int, rounds: int, folder: str) -> list[Row]:
    rows = []
    path = os.path.join(folder, "scheduler.pt")
    for groups in (1, 10):
        scheduler = scheduler_after(steps, groups)
        ours, old = scheduler.state_dict(), None
        old = format_1(ours, scheduler)
        times: dict[str, list[float]] = {"ours": [], "old": []}
        sizes = {}
        for round_index in range(rounds):
            for name in ("ours", "old") if round_index % 2 == 0 else ("old", "ours"):
                seconds, sizes[name] = save_and_load(ours if name == "ours" else old, path)
                times[name].append(seconds)
        ours_time, old_time = statistics.median(times["ours"]), statistics.median(times["old"])
        rows.append(Row(f"torch.save+load(weights_only), {groups} group(s), {steps:.0e} steps: time", "s",
                        ours_time, old_time, ours_time / old_time, 0.1))
        rows.append(Row(f"torch.save+load(weights_only), {groups} group(s), {steps:.0e} steps: file", "MB",
                        sizes["ours"] / 1e6, sizes["old"] / 1e6, sizes["ours"] / sizes["old"], 0.1))
    empty = scheduler_after(steps, 10, keep=False)
    torch_scheduler = torch.optim.lr_scheduler.CyclicLR(
        torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(10)], lr=0.1),
        base_lr=0.001, max_lr=0.006, step_size_up=2000)
    ours_size = save_and_load(empty.state_dict(), path)[1]
    torch_size = save_and_load(torch_scheduler.state_dict(), path)[1]
    rows.append(Row(f"keep_history=False checkpoint, 10 groups, {steps:.0e} steps vs torch's CyclicLR", "kB",
                    ours_size / 1e3, torch_size / 1e3, ours_size / torch_size, 3.0))
    return rows


LOAD_TIME_GOAL, LOAD_MEMORY_GOAL_MB = 10.0, 400.0


def timed(function: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def peak_mb(function: Any) -> float:
    """The peak memory `function` allocates (tracemalloc), in MB; what it returns is dropped first."""
    gc.collect()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def load_rows(steps: int) -> tuple[list[Row], dict[str, float]]:
    """Loading a `steps`-step history with one metric, against ``json.loads`` of its readable JSON text."""
    history = History()
    iterations = list(range(1, steps + 1))
    history.extend(iterations=iterations, lr=[SCHEDULE.lr_at(i % 4000) for i in range(4000)] * (steps // 4000)
                   + [SCHEDULE.lr_at(i % 4000) for i in range(steps % 4000)],
                   loss=[1.0 / i for i in iterations])
    del iterations
    plain_text = history.to_json()
    state_text = json.dumps(history.state_dict())
    del history
    json_seconds, parsed = timed(lambda: json.loads(plain_text))
    del parsed
    state = json.loads(state_text)
    packed_seconds, loaded = timed(lambda: History.from_state_dict(state))
    assert len(loaded["lr"]) == steps
    del loaded
    plain_seconds, loaded = timed(lambda: History.from_json(plain_text))
    assert len(loaded["lr"]) == steps
    del loaded
    packed_mb = peak_mb(lambda: History.from_state_dict(state))
    plain_mb = peak_mb(lambda: History.from_json(plain_text))
    json_mb = peak_mb(lambda: json.loads(plain_text))
    label = f"{steps:.0e} steps, 1 metric"
    rows = [
        Row(f"load a state's history ({label}) vs json.loads of to_json text: time", "s", packed_seconds,
            json_seconds, packed_seconds / json_seconds, LOAD_TIME_GOAL),
        Row(f"History.from_json of to_json text ({label}) vs json.loads of it: time", "s", plain_seconds,
            json_seconds, plain_seconds / json_seconds, LOAD_TIME_GOAL),
        Row(f"load a state's history ({label}): peak memory vs the {LOAD_MEMORY_GOAL_MB:g} MB goal", "MB",
            packed_mb, LOAD_MEMORY_GOAL_MB, packed_mb / LOAD_MEMORY_GOAL_MB, 1.0),
        Row(f"History.from_json of to_json text ({label}): peak memory vs json.loads of it", "MB", plain_mb,
            json_mb, plain_mb / json_mb, LOAD_MEMORY_GOAL_MB / json_mb),
    ]
    extra = {"load_steps": steps, "json_loads_seconds": json_seconds, "state_load_seconds": packed_seconds,
             "from_json_seconds": plain_seconds, "state_load_peak_mb": packed_mb, "from_json_peak_mb": plain_mb,
             "json_loads_peak_mb": json_mb, "plain_text_mb": len(plain_text) / 1e6,
             "state_text_mb": len(state_text) / 1e6}
    return rows, extra


def step_rows() -> list[Row]:
    ours, lists = state_with(), state_with(ListHistory())
    return [compare("ScheduleState.step(loss=...): typed columns vs lists", lambda: ours.step(loss=0.5),
                    lambda: lists.step(loss=0.5), target=1.0, number=20_000, rounds=15)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument("--steps", type=int, default=1_000_000, help="steps of each run (default 10^6)")
    parser.add_argument("--load-steps", type=int, default=10_000_000,
                        help="steps of the history whose loading is timed (default 10^7)")
    parser.add_argument("--only-load", action="store_true", help="measure loading only")
    parser.add_argument("--rounds", type=int, default=1,
                        help="save/load rounds per layout (default 1: format 1 takes minutes at 10 groups)")
    arguments = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    started = time.perf_counter()
    rows, extra = load_rows(arguments.load_steps)
    if not arguments.only_load:
        more, extra_memory = memory_rows(arguments.steps)
        rows, extra = rows + more, {**extra, **extra_memory}
        with tempfile.TemporaryDirectory() as folder:
            rows += checkpoint_rows(arguments.steps, arguments.rounds, folder)
        rows += step_rows()
    print_rows(f"history and checkpoints of long runs (torch {torch.__version__}; reference: the list layout of "
               f"state format 1, or the goal)", rows)
    print(f"loading {extra['load_steps']:.0e} steps: state {extra['state_load_seconds']:.2f} s, from_json "
          f"{extra['from_json_seconds']:.2f} s, json.loads {extra['json_loads_seconds']:.2f} s (ratios "
          f"{extra['state_load_seconds'] / extra['json_loads_seconds']:.2f}x, "
          f"{extra['from_json_seconds'] / extra['json_loads_seconds']:.2f}x; goal <= {LOAD_TIME_GOAL:g}x); peak "
          f"{extra['state_load_peak_mb']:.0f} MB (state), {extra['from_json_peak_mb']:.0f} MB (from_json), "
          f"{extra['json_loads_peak_mb']:.0f} MB (json.loads); goal <= {LOAD_MEMORY_GOAL_MB:g} MB")
    if "bytes_per_step" in extra:
        print(f"bytes per kept step with one metric: {extra['bytes_per_step']:.1f} (goal <= {BYTES_GOAL:g}; "
              f"lists: {extra['list_bytes_per_step']:.1f})")
    print(f"({time.perf_counter() - started:.1f} s)")
    write_json(arguments.json, "history", rows, extra)


if __name__ == "__main__":
    main()
