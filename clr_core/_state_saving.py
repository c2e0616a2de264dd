"""What `ScheduleState.state_dict()` holds, and a saved state checked whole before it is loaded.

The layout (DESIGN.md section 6) has the same keys whatever was recorded, so that a loader that fills a
template (PyTorch's distributed checkpoint) round-trips it: the counters, a description of each schedule (see
`describe_schedules`), the history (see `History.state_dict`) and the momentum bounds. Loading checks the
format, the keys, the counters, the schedules of the plan chosen (`_plans`), the history against the
counters and the momentum bounds, and returns them; the state changes nothing until all of them pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from . import _checks, _plans, _state_momentum
from .history import History
from .schedules.base import Schedule, describe_schedules, restore_schedules

#: The layout of `ScheduleState.state_dict()`: 3 has the same keys whatever was recorded (the history in rows,
#: see `clr_core._history_layouts`); 2 (the history packed by key) and 1 (plain lists) load too.
STATE_FORMAT = 3
_LOADABLE_FORMATS = (1, 2, 3)
STATE_KEYS = ("format", "cycle_iterations", "total_iterations", "schedules", "history", "momentum")

Bounds = tuple[tuple[float, float], ...]


class Saved(NamedTuple):
    """A saved state, checked: what `ScheduleState.load_state_dict` adopts."""

    cycle_iterations: int
    total_iterations: int
    schedules: tuple[Schedule, ...]
    history: History
    bounds: Bounds | None


def state_dict(cycle_iterations: int, total_iterations: int, schedules: tuple[Schedule, ...], history: History,
               bounds: Bounds | None) -> dict[str, Any]:
    """The state dict of a state with these counters, schedules, history and momentum bounds."""
    return {
        "format": STATE_FORMAT,
        "cycle_iterations": cycle_iterations,
        "total_iterations": total_iterations,
        "schedules": describe_schedules(schedules),
        "history": history.state_dict(),
        "momentum": None if bounds is None else [list(pair) for pair in bounds],
    }


def checked(state: Mapping[str, Any], plan: str | None, schedules: tuple[Schedule, ...],
            bounds: Bounds | None) -> Saved:
    """`state` checked for a state holding `schedules` and `bounds`, with the schedules that `plan` continues.

    Args:
        state: a `state_dict()` output, of any loadable format.
        plan: None, ``'saved'`` or ``'current'`` (checked already, see `_plans.checked`).
        schedules: the schedules of the state loading it (kept with ``plan='current'``).
        bounds: its momentum bounds (kept with ``plan='current'``, and from a state saved without them).

    Raises:
        ValueError: the first thing wrong with `state`.
    """
    version = state.get("format") if isinstance(state, Mapping) else None
    if type(version) is not int or version not in _LOADABLE_FORMATS:
        raise ValueError(f"state must be a mapping from ScheduleState.state_dict() with format "
                         f"{', '.join(map(str, _LOADABLE_FORMATS[:-1]))} or {_LOADABLE_FORMATS[-1]}, got "
                         f"{_preview(state)}")
    # A state saved before the momentum bounds were kept has no 'momentum': the bounds built stay.
    _checks.config_keys("state", state, STATE_KEYS, STATE_KEYS[:-1])
    cycle_iterations = _checks.count("cycle_iterations", state["cycle_iterations"], high=_checks.STEP_LIMIT)
    total_iterations = _checks.count("total_iterations", state["total_iterations"], high=_checks.STEP_LIMIT)
    if cycle_iterations > total_iterations:
        raise ValueError(f"state 'cycle_iterations' ({cycle_iterations}) cannot exceed 'total_iterations' "
                         f"({total_iterations})")
    try:
        if plan == "current":
            _plans.check_saved(state["schedules"], len(schedules), "state")
            continued = schedules
        else:
            continued = tuple(restore_schedules(schedules, state["schedules"], holder="state"))
    except RecursionError:
        raise ValueError("state 'schedules' is nested too deeply to be a saved schedule") from None
    history = History.from_state_dict(state["history"])
    check_history_counts(history, total_iterations)
    if plan != "current":  # the plan 'current' keeps its momentum bounds too
        bounds = _saved_momentum(state.get("momentum", bounds), bounds, len(continued))
    return Saved(cycle_iterations, total_iterations, continued, history, bounds)


def check_history_counts(history: History, total_iterations: int) -> None:
    """Refuse a history that disagrees with the counters: more steps, or later ones, than they have run.

    Every step a history records is one the counters counted, at a total iteration they have reached (a
    history may hold fewer: one that keeps the last N, or one that started with `start_at`).
    """
    steps = history._steps()
    if steps > total_iterations:
        raise ValueError(f"state 'history' recorded {steps} steps but 'total_iterations' is {total_iterations}: "
                         f"the history and the counters disagree")
    iterations = history._iterations.settled()
    for key in sorted(history, key=lambda key: key != "iterations"):  # 'iterations' first: the steps
        at = history[key]._at.settled()
        if at is iterations and key != "iterations":
            continue  # checked as 'iterations'
        latest = at[-1] if at is iterations else max(at, default=0)  # 'iterations' increase
        if latest > total_iterations:
            raise ValueError(f"state 'history' {key!r} has entries at iteration {latest}, past 'total_iterations' "
                             f"({total_iterations}): the history and the counters disagree")


def _saved_momentum(saved: Any, built: Bounds | None, count: int) -> Bounds | None:
    """The momentum bounds a state holds, checked: momentum cycled in both (`saved` and `built`) or in neither."""
    if (saved is None) != (built is None):
        had, has = ("on", "off") if saved is not None else ("off", "on")
        raise ValueError(f"cannot load: the saved state had momentum cycling {had} but this one has it {has}; "
                         f"build it with cycle_momentum={had == 'on'} before loading")
    if saved is None:
        return None
    if not isinstance(saved, Sequence) or isinstance(saved, (str, bytes)) or len(saved) != count:
        raise ValueError(f"state 'momentum' must be one (base_momentum, max_momentum) pair per schedule "
                         f"({count}), got {_preview(saved)}")
    return tuple(_state_momentum.checked_pair(pair, k if count > 1 else None) for k, pair in enumerate(saved))


def _preview(value: Any) -> str:
    """The start of `value`'s repr, for an error message (never fails, never prints megabytes)."""
    return _checks.shown(value, 200)
