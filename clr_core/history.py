"""`History`: the classic callback's ``dict`` of lists, kept compact, with export, import and restore.

``history['lr']`` holds the lr each completed step ran at, ``history['iterations']`` the running total of
steps after it (1-based, never reset), and one column per logged metric. Each entry also remembers the
iteration it belongs to, so metrics logged less often than every step (Keras ``steps_per_execution > 1``)
line up with the right rows when exported.

Columns are typed arrays (8 bytes a value), and every column recorded at each step shares the
``'iterations'`` column as its iterations, so a step with one metric costs 24 bytes (a list of floats costs
over 100). ``keep=False`` records nothing and ``keep=N`` only the last N entries of each column.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NoReturn

from . import _checks
from . import _history_export as _export
from . import _history_layouts as _layouts
from ._columns import ALL, CHUNK, Buffer, Column

PathLike = str | os.PathLike[str]

_ITERATIONS_RESERVED = "'iterations' is recorded by the history itself; log metrics under other names"


class History(dict):  # type: ignore[type-arg]
    """A ``dict`` of columns read as lists (``history['lr']``, ``history['iterations']``, ...).

    Args:
        keep: True keeps every entry (default); False records nothing (O(1) memory, for long runs that log
            elsewhere); an int N >= 1 keeps the last N entries of each column (the last N steps).

    The history is a record: it is written by `add_step` and `add_metrics` only, and assigning to
    it (``history['lr'] = ...``) raises `TypeError`. ``to_dict()`` gives plain lists (for ``json.dumps``).

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
        >>> window = History(keep=2)
        >>> for step in range(1, 6):
        ...     window.add_step(step, step / 10)
        >>> window["lr"], window["iterations"]
        ([0.4, 0.5], [4, 5])
    """

    def __init__(self, keep: bool | int = True) -> None:
        super().__init__()
        if isinstance(keep, bool):
            self._keep = ALL if keep else 0
        else:
            self._keep = _checks.count("keep_history", keep, low=1)
        self._keep_arg = keep
        # a bounded history drops its oldest entries in blocks of keep // 8 (amortised O(1) per step)
        self._limit = self._keep + max(self._keep // 8, 64) if self._keep != ALL else ALL
        self._iterations = Buffer(array("q"))
        self._dropped = 0  # steps recorded, then dropped by the window
        self._recorder: tuple[Any, ...] | None = None

    #: The most values (entries of every column, and the iterations of columns that have their own) that
    #: `from_state_dict`, `load_state_dict` and `from_json` load, checked before anything is allocated: 2**27
    #: (1 GiB of arrays). A history of more is refused; to load one you trust, raise it (on `History`, or on a
    #: subclass).
    max_loaded_values: ClassVar[int] = _layouts.MAX_LOADED_VALUES

    @property
    def keep(self) -> bool | int:
        """What this history keeps: True (everything), False (nothing) or N (the last N entries)."""
        return self._keep_arg

    def add_step(self, iteration: int, lr: float, **metrics: Any) -> None:
        """Record one completed step: its lr, the total iteration count after it, and any metrics.

        Refuses (`ValueError`/`TypeError`, nothing recorded) what a loaded history refuses: an `iteration`
        that is not an int in ``[0, 2**53]`` above the latest step's, an `lr` that is not a finite number
        >= 0, a metric that is not a number.
        """
        iteration = self._next_iteration(iteration)
        values = self._as_floats({"lr": _checks.non_negative("lr", lr), **metrics})
        self._add_lrs(iteration, ("lr",), (values.pop("lr"),))
        self._append(iteration, values)

    def _next_iteration(self, iteration: Any) -> int:
        """`iteration` checked as the next step's: an int in [0, 2**53] above the latest recorded one."""
        number = _checks.count("iteration", iteration, high=_checks.STEP_LIMIT)
        iterations = self._iterations
        latest = iterations.recent[-1] if iterations.recent else iterations.array[-1] if iterations.array else -1
        if number <= latest:
            raise ValueError(f"iteration must increase from step to step (the latest recorded is {latest}), "
                             f"got {number}")
        return number

    def _add_lrs(self, iteration: int, keys: tuple[str, ...], lrs: Sequence[float]) -> None:
        """Record one completed step: ``lrs[k]`` (floats) under ``keys[k]``, `iteration` under 'iterations'.

        The state's per-step path, for values it has checked (a schedule's lrs, the next total iteration):
        one list ``append`` per column; the bound ``append`` methods are kept while `keys` (the same tuple,
        or an equal one) and the columns stay. The step's metrics may come along (keys after the lrs'), so
        a metric logged at every step costs one ``append`` too.
        """
        recorder = self._recorder
        if recorder is None or (recorder[0] is not keys and recorder[0] != keys):
            recorder = self._recorder = self._recorder_for(keys)
        for append, lr in zip(recorder[1], lrs):
            append(lr)
        recorder[2](iteration)
        if recorder[3]:  # columns with iterations of their own (rare)
            for append in recorder[3]:
                append(iteration)
        if len(recorder[4]) >= CHUNK:
            self._settle()

    def _recorder_for(self, keys: tuple[str, ...]) -> tuple[Any, ...]:
        """Bound appends for `keys`: a column in step with 'iterations' appends its value only.

        The recorder is ``(keys, value appends, the 'iterations' append, the appends of columns with
        iterations of their own, the 'iterations' list whose length says when to settle)``.
        """
        if "iterations" in keys:
            raise ValueError(_ITERATIONS_RESERVED)
        if not self._keep:  # records nothing
            return keys, (), _ignore, (), ()
        iterations = self._iterations
        for key in keys[:1]:  # 'lr' and 'iterations' first, as in the classic callback's dict
            self._column(key)
        self._column("iterations")
        for key in keys[1:]:
            self._column(key)
        own_at = []
        for key in keys:
            column = self[key]
            if column._at is iterations and len(column._values) != len(iterations):
                column._at = Buffer(iterations.settled()[:len(column._values)])  # it missed steps
            if column._at is not iterations:
                own_at.append(column._at.recent.append)
        appends = [self[key]._values.recent.append for key in keys]
        return keys, appends, iterations.recent.append, tuple(own_at), iterations.recent

    def _column(self, key: str) -> Column:
        """The column `key`, created empty (in step with 'iterations' while it is as long) when new."""
        column = self.get(key)
        if column is None:
            values = self._iterations if key == "iterations" else Buffer(array("d"))
            column = Column(values, self._iterations, self._keep)
            dict.__setitem__(self, key, column)
        return column

    def add_metrics(self, iteration: int, **metrics: Any) -> None:
        """Record metrics reported at `iteration` (an int in ``[0, 2**53]``) without adding a step."""
        iteration = _checks.count("iteration", iteration, high=_checks.STEP_LIMIT)
        self._append(iteration, self._as_floats(metrics))

    def extend(self, *, iterations: Sequence[int], lr: Sequence[float], **metrics: Sequence[float]) -> None:
        """Record many completed steps at once, as `add_step` for each would, at C speed.

        Args:
            iterations: the total iteration count after each step: ints in ``[0, 2**53]`` that increase, the
                first above the latest step recorded so far (a list, an ``array`` or a numpy array).
            lr: the lr of each step, finite numbers >= 0, one per iteration.
            **metrics: one value per step for each metric (numbers; NaN allowed, as in `add_step`).

        Everything is checked before anything is recorded: a bad value raises `ValueError` or `TypeError`
        naming the key, and the history is unchanged.

        Examples:
            >>> history = History()
            >>> history.extend(iterations=[1, 2, 3], lr=[0.1, 0.2, 0.3], loss=[3.0, 2.0, 1.0])
            >>> history.add_step(4, 0.4)
            >>> history["lr"], history["loss"], history.at("loss")
            ([0.1, 0.2, 0.3, 0.4], [3.0, 2.0, 1.0], [1, 2, 3])
        """
        steps = _layouts.ints("iterations", _as_list("iterations", iterations))
        values = {"lr": _layouts.floats("lr", _as_list("lr", lr))}
        for key, column in metrics.items():
            values[key] = _layouts.floats(key, _as_list(key, column))
        for key, column in values.items():
            if len(column) != len(steps):
                raise ValueError(f"history.extend {key!r} must have one value per iteration ({len(steps)}), "
                                 f"got {len(column)}")
        _layouts.increasing("iterations", steps)
        if steps:
            self._next_iteration(steps[0])
        _layouts.rates("lr", values["lr"])
        if not self._keep or not steps:
            return
        self._settle()
        self._recorder = None
        shared = self._iterations
        for key in ("lr", "iterations", *metrics):  # the classic order: 'lr' and 'iterations' first
            self._column(key)
        for key, column_values in values.items():
            column = self[key]
            if column._at is shared and len(column._values) != len(shared):
                column._at = Buffer(shared.settled()[:len(column._values)])  # it missed steps
            column._values.array.extend(column_values)
            if column._at is not shared:
                column._at.array.extend(steps)
        shared.array.extend(steps)
        self._settle()

    def at(self, key: str) -> Column:
        """The iteration each entry of ``history[key]`` was recorded at."""
        at = Buffer(self[key]._visible_at())
        return Column(at, at, ALL)

    def _append(self, iteration: int, values: dict[str, float]) -> None:
        """Append already converted `values` at `iteration`.

        A value on the latest step's row stays in step with 'iterations' (no iteration of its own stored);
        any other gets its own iterations from then on.
        """
        if not self._keep:
            return
        iterations = self._iterations
        latest = len(iterations.array) + len(iterations.recent) - 1  # the latest step's row
        for key, value in values.items():
            column = self.get(key)
            if column is None:
                column = self._column(key)
            own = column._values
            if column._at is iterations:
                if len(own.array) + len(own.recent) == latest and iteration == (
                        iterations.recent[-1] if iterations.recent else iterations.array[-1]):
                    own.recent.append(value)  # the per-step fast path: no iteration of its own stored
                    continue
                column._at = Buffer(iterations.settled()[:len(own)])
            if self._recorder is not None and key in self._recorder[0]:
                self._recorder = None  # an lr column logged as a metric leaves the recorder's lockstep
            own.recent.append(value)
            column._at.recent.append(iteration)
            if len(own.recent) >= CHUNK:
                self._settle()

    def _settle(self) -> None:
        """Move every waiting append into its array; then drop the oldest entries past the window."""
        limit = self._limit
        too_long = False
        for column in self.values():
            too_long = len(column._values.settled()) > limit or too_long
            column._at.settled()
        if too_long:
            self._trim()

    def _trim(self) -> None:
        """Drop the oldest entries so that each column holds at most this history's window."""
        keep, iterations = self._keep, self._iterations
        self._recorder = None
        for column in self.values():  # a column behind 'iterations' cannot be trimmed with it: it gets its own
            if column._at is iterations and column._values is not iterations \
                    and len(column._values) != len(iterations):
                column._at = Buffer(iterations.settled()[:len(column._values)])
        for column in self.values():
            values = column._values.settled()
            extra = len(values) - keep
            if extra > 0:
                if column._values is iterations:
                    self._dropped += extra
                del values[:extra]
                if column._at is not iterations:
                    del column._at.settled()[:extra]

    @staticmethod
    def _as_floats(values: Mapping[str, Any]) -> dict[str, float]:
        """Convert every value before anything is appended, so a bad one leaves the history unchanged."""
        converted = {}
        for key, value in values.items():
            if key == "iterations":
                raise ValueError(_ITERATIONS_RESERVED)
            try:
                converted[key] = float(value)
            except OverflowError as error:
                raise ValueError(f"history value {key!r} must fit in a float, got {_checks.shown(value)}") from error
            except (TypeError, ValueError) as error:
                raise TypeError(f"history value {key!r} must be a number, got {_checks.shown(value)}") from error
        return converted

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a clr History is a record written by add_step/add_metrics (or a scheduler); it cannot be "
                        "assigned to. Use history.to_dict() for a plain dict of lists you can change")

    __setitem__ = __delitem__ = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return _restored, (self._keep_arg, self.state_dict())

    def clear(self) -> None:
        """Forget every entry (the window, `keep`, stays)."""
        self._recorder = None
        super().clear()
        self._iterations = Buffer(array("q"))
        self._dropped = 0

    def to_dict(self) -> dict[str, list[Any]]:
        """Plain ``{key: list}``: what ``json.dumps`` takes.

        For ``pandas.DataFrame``, read `to_csv` when metrics are logged less often than every step.
        """
        return {key: column.tolist() for key, column in self.items()}

    def state_dict(self) -> dict[str, Any]:
        """Compact plain data with the same keys whatever was recorded: ``{"keep", "steps", "columns"}``.

        `keep` is how many of the latest steps the columns hold (this history's window, or fewer when it
        loaded a history of a smaller one), `steps` how many steps it has recorded, and `columns` one row
        ``[key, values, at]`` per column: the values packed by `clr_core._packing` (little-endian, zlib,
        base64 text; plain strings and ints that ``torch.load(weights_only=True)`` and ``json`` load fast)
        and the iterations, ``"iterations"`` for a column recorded at every step. Only the visible entries
        are saved. See `clr_core._history_layouts` for every layout that loads.
        """
        iterations = self._iterations
        rows = []
        for key, column in self.items():
            shared = column._at is iterations and len(column._values) == len(iterations)
            rows.append((key, column._visible(), None if shared or key == "iterations" else column._visible_at()))
        return _layouts.saved(self._window(), self._steps(), rows)

    def _window(self) -> bool | int:
        """How many of the latest steps the columns hold: `keep`, or fewer when they came from a smaller window.

        A history that loaded the last 5 of 20 steps holds 5 (then 6, 7, ...) of them even with ``keep=True``.
        """
        held = len(self._iterations)
        return held if self._dropped and held < self._keep else self._keep_arg

    def _steps(self) -> int:
        """The steps this history has recorded (those a window dropped included)."""
        return len(self._iterations) + self._dropped if self._keep else 0

    def _plain_state(self) -> dict[str, Any]:
        """The readable layout (also the state format 1 layout): ``{"values": {key: list}, "at": {...}}``."""
        return {"values": self.to_dict(),
                "at": {key: self.at(key).tolist() for key in self if key != "iterations"}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace the contents with `state_dict()` output (or an older layout).

        Everything is checked first (nothing half-loaded); a bounded history keeps the last entries.
        """
        self.adopt(History.from_state_dict(state))

    def adopt(self, other: History) -> None:
        """Take a copy of the contents of `other` (already checked), replacing everything held so far.

        A bounded history keeps the last entries of each column; one that keeps nothing stays empty.
        """
        self._take(other, copy=True)

    def _take(self, other: History, *, copy: bool) -> None:
        """`adopt`; without `copy`, the arrays of `other` (which must not be used afterwards) are moved."""
        self.clear()
        if not self._keep:
            return
        source = other._iterations
        kept = other["iterations"]._visible() if "iterations" in other else array("q")
        iterations = self._iterations = Buffer(kept[:] if copy else kept)
        for key, column in other.items():
            if key == "iterations":
                dict.__setitem__(self, key, Column(iterations, iterations, self._keep))
                continue
            if column._at is source and len(column._values) == len(source):
                at = iterations
            else:
                when = column._visible_at()
                at = iterations if when == iterations.array else Buffer(when)
            values = column._visible()
            dict.__setitem__(self, key, Column(Buffer(values[:] if copy else values), at, self._keep))
        self._dropped = other._steps() - len(iterations)
        self._trim()

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> History:
        """A new history from `state_dict()` output, or an older layout (``{"columns", "at"}``, ``{"values", "at"}``).

        Raises `ValueError` or `TypeError`, naming the key, for anything `state_dict()` cannot have written:
        an unknown or missing key, columns whose values and iterations do not line up, iterations that do not
        increase or leave ``[0, 2**53]``, an lr that is not a finite number >= 0, packed data that is not
        what it says, more kept entries than `keep` and `steps` allow, or more values in all than
        `History.max_loaded_values` (checked before anything is allocated).
        """
        try:
            record = _layouts.read(state, cls.max_loaded_values)
        except RecursionError:
            raise ValueError("history state is nested too deeply to be a saved history") from None
        history = cls()
        iterations = history._iterations = Buffer(record.columns.get("iterations", array("q")))
        for key, values in record.columns.items():
            when = record.whens.get(key, iterations.array)
            at = iterations if when is iterations.array or when == iterations.array else Buffer(when)
            dict.__setitem__(history, key, Column(iterations if key == "iterations" else Buffer(values), at, ALL))
        if record.steps is not None:
            history._dropped = record.steps - len(iterations)
        return history

    def to_json(self, path: PathLike | None = None) -> str:
        """The history as readable JSON text, ``{"values": {key: list}, "at": {key: list}}``.

        Also written to `path` when given. (`state_dict()` is the compact form, for checkpoints.)
        """
        return _export.write(json.dumps(self._plain_state()), path)

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> History:
        """A history from `to_json()` text (or a `state_dict()` as JSON), or from the file holding it.

        A `str` is the text itself; a path object (``pathlib.Path``) names the file.

        Raises:
            TypeError: `source` is neither a `str` nor a path object.
            ValueError: the text is not JSON, or not a history (the message names the key).
        """
        return cls.from_state_dict(_export.read_json(source))

    def to_csv(self, path: PathLike | None = None) -> str:
        """One row per iteration (``iterations``, ``lr``, then each metric; blank where none was logged)."""
        rows = ((key, column._visible_at(), column._visible()) for key, column in self.items() if key != "iterations")
        return _export.write(_export.csv_text(self.get("iterations", []), rows), path, newline="")


def _as_list(key: str, values: Any) -> list[Any]:
    """`values` (a list, a tuple, an ``array``, a numpy array) as a list of Python numbers."""
    if isinstance(values, (str, bytes, Mapping)) or not (isinstance(values, Sequence) or hasattr(values, "tolist")):
        raise TypeError(f"history.extend {key!r} must be a sequence of numbers, got {type(values).__name__}")
    converted = values.tolist() if hasattr(values, "tolist") else list(values)
    if not isinstance(converted, list):  # a numpy scalar
        raise TypeError(f"history.extend {key!r} must be a sequence of numbers, got {type(values).__name__}")
    return converted


def _restored(keep: bool | int, state: Mapping[str, Any]) -> History:
    """Unpickling: a history with window `keep` holding `state`."""
    history = History(keep)
    history.load_state_dict(state)
    return history


def _ignore(iteration: int) -> None:
    """The 'iterations' append of a history that keeps nothing."""
