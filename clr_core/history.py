"""`History`: the classic callback's ``dict`` of lists, with export, import and restore.

``history['lr']`` holds the lr each completed step ran at, ``history['iterations']`` the running total of
steps after it (1-based, never reset), and one list per logged metric. Each entry also remembers the
iteration it belongs to, so metrics logged less often than every step (Keras ``steps_per_execution > 1``)
line up with the right rows when exported.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from . import _checks

PathLike = str | os.PathLike[str]

_DRAIN: deque[None] = deque(maxlen=0)  # extend() runs an iterator to its end, keeping nothing


class History(dict):  # type: ignore[type-arg]
    """A ``dict`` of lists (``history['lr']``, ``history['iterations']``, ``history['loss']``, ...).

    Examples:
        >>> history = History()
        >>> history.add_step(1, 0.001, loss=2.5)
        >>> history.add_step(2, 0.002)
        >>> dict(history)
        {'lr': [0.001, 0.002], 'iterations': [1, 2], 'loss': [2.5]}
        >>> print(history.to_csv(), end="")
        iterations,lr,loss
        1,0.001,2.5
        2,0.002,
    """

    def __init__(self) -> None:
        super().__init__()
        self._at: dict[str, list[int]] = {}
        self._recorder: tuple[Any, ...] | None = None

    def add_step(self, iteration: int, lr: float, **metrics: Any) -> None:
        """Record one completed step: its lr, the total iteration count after it, and any metrics."""
        values = self._as_floats({"lr": lr, **metrics})
        self.add_lrs(iteration, ("lr",), (values.pop("lr"),))
        self._append(iteration, values)

    def add_lrs(self, iteration: int, keys: tuple[str, ...], lrs: Sequence[float]) -> None:
        """Record one completed step: ``lrs[k]`` (floats) under ``keys[k]``, `iteration` under 'iterations'.

        The per-step hot path: one ``append`` per list, run by ``map`` (in C, not a Python loop). A column
        recorded at every step lines up with 'iterations' row for row, so it shares that list as its
        iteration list instead of keeping its own. The lists are kept while `keys` (the same tuple object)
        and the lists stay.
        """
        recorder = self._recorder
        if recorder is None or recorder[0] is not keys:
            recorder = self._recorder = self._recorder_for(keys)
        _DRAIN.extend(map(list.append, recorder[1], lrs))
        for append in recorder[2]:
            append(iteration)

    def _recorder_for(self, keys: tuple[str, ...]) -> tuple[Any, ...]:
        if "iterations" in keys:
            raise ValueError("'iterations' is recorded by the history itself; log metrics under other names")
        for key in keys:  # the lr columns come first, as in the classic callback's dict
            self.setdefault(key, [])
        iterations = self.setdefault("iterations", [])
        for key, at in self._at.items():  # columns leaving the lockstep keep their own copy from now on
            if at is iterations and key not in keys:
                self._at[key] = list(at)
        own_at = []
        for key in keys:
            column, column_at = self.setdefault(key, []), self._at.get(key)
            if len(column) == len(iterations) and (column_at is None or column_at == iterations):
                self._at[key] = iterations
            else:
                own_at.append(self._at.setdefault(key, []).append)
        return keys, [self[key] for key in keys], [iterations.append, *own_at]

    def __setitem__(self, key: str, value: Any) -> None:
        self._recorder = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._recorder = None
        super().__delitem__(key)

    def add_metrics(self, iteration: int, **metrics: Any) -> None:
        """Record metrics reported at `iteration` without adding a step (a report covering several steps)."""
        self._append(iteration, self._as_floats(metrics))

    def at(self, key: str) -> list[int]:
        """The iteration each entry of ``history[key]`` was recorded at."""
        return list(self["iterations"]) if key == "iterations" else list(self._at[key])

    def _append(self, iteration: int, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.setdefault(key, []).append(value)
            at = self._at.get(key)
            if at is None or at is self.get("iterations"):  # new, or leaving the lockstep of add_lrs
                self._recorder = None
                at = self._at[key] = [] if at is None else list(at)
            at.append(iteration)

    @staticmethod
    def _as_floats(values: Mapping[str, Any]) -> dict[str, float]:
        """Convert every value before anything is appended, so a bad one leaves the history unchanged."""
        converted = {}
        for key, value in values.items():
            if key == "iterations":
                raise ValueError("'iterations' is recorded by the history itself; log metrics under other names")
            try:
                converted[key] = float(value)
            except (TypeError, ValueError) as error:
                raise TypeError(f"history value {key!r} must be a number, got {value!r}") from error
        return converted

    def clear(self) -> None:
        self._recorder = None
        super().clear()
        self._at.clear()

    def state_dict(self) -> dict[str, Any]:
        """Plain data: ``{"values": {key: list}, "at": {key: list of iterations}}``."""
        return {"values": {key: list(values) for key, values in self.items()},
                "at": {key: list(at) for key, at in self._at.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace the contents with `state_dict()` output, after checking it all (nothing half-loaded)."""
        self.adopt(History.from_state_dict(state))

    def adopt(self, other: History) -> None:
        """Take the contents of `other` (already checked), replacing everything held so far."""
        self.clear()
        self.update(other)
        self._at.update(other._at)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> History:
        """A new history from `state_dict()` output; `ValueError` if the lists do not line up."""
        if not isinstance(state, Mapping) or not isinstance(state.get("values"), Mapping):
            raise ValueError(f"history state must be a mapping with 'values' and 'at', got {state!r:.200}")
        values, at = state["values"], state.get("at", {})
        history = cls()
        iterations = [_checks.count("history 'iterations' entry", i) for i in values.get("iterations", [])]
        if iterations:
            dict.__setitem__(history, "iterations", iterations)
        for key, entries in values.items():
            if key == "iterations":
                continue
            when = [_checks.count(f"history {key!r} iteration", i) for i in at.get(key, ())]
            if len(when) != len(entries):
                raise ValueError(f"history {key!r} has {len(entries)} values but {len(when)} iterations")
            dict.__setitem__(history, key, [float(value) for value in entries])
            history._at[key] = when
        return history

    def to_json(self, path: PathLike | None = None) -> str:
        """The `state_dict()` as JSON text; also written to `path` when given."""
        text = json.dumps(self.state_dict())
        if path is not None:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
        return text

    @classmethod
    def from_json(cls, source: str | PathLike) -> History:
        """A history from `to_json()` text, or from the file it was written to."""
        text = str(source)
        if not text.lstrip().startswith("{"):
            with open(source, encoding="utf-8") as file:
                text = file.read()
        return cls.from_state_dict(json.loads(text))

    def to_csv(self, path: PathLike | None = None) -> str:
        """One row per iteration (``iterations``, ``lr``, then each metric; blank where none was logged)."""
        columns = ["iterations", *(["lr"] if "lr" in self else []),
                   *(key for key in self if key not in ("iterations", "lr"))]
        rows: dict[int, dict[str, float]] = {iteration: {} for iteration in self.get("iterations", [])}
        for key, at in self._at.items():
            for iteration, value in zip(at, self[key]):
                rows.setdefault(iteration, {})[key] = value
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for iteration in sorted(rows):
            row = rows[iteration]
            writer.writerow([iteration, *(repr(row[key]) if key in row else "" for key in columns[1:])])
        text = buffer.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as file:
                file.write(text)
        return text
