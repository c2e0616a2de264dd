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

import csv
import io
import json
import operator
import os
import struct
import sys
from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, NoReturn

from . import _checks, _files
from . import _history_layouts as _layouts

PathLike = str | os.PathLike[str]

_ALL = sys.maxsize  # the window of a history that keeps everything
_CHUNK = 256  # appends wait in a list this long before they move into the typed array
_ITERATIONS_RESERVED = "'iterations' is recorded by the history itself; log metrics under other names"


class _Buffer:
    """A typed array (8 bytes a value) behind a short list.

    Appends go to the list (as fast as a list's); every `_CHUNK` steps, and before anything reads the values,
    they move into the array.
    """

    __slots__ = ("array", "recent")

    def __init__(self, values: array) -> None:  # type: ignore[type-arg]
        self.array = values
        self.recent: list[Any] = []

    def settled(self) -> array:  # type: ignore[type-arg]
        """The array, holding every value appended so far."""
        recent = self.recent
        if recent:  # struct packs three times faster than array.fromlist converts
            self.array.frombytes(struct.pack(f"{len(recent)}{self.array.typecode}", *recent))
            recent.clear()
        return self.array

    def __len__(self) -> int:
        return len(self.array) + len(self.recent)


class Column(Sequence):  # type: ignore[type-arg]
    """One column of a `History`, read like the classic list.

    ``column[-1]``, slices (lists), ``len``, iteration, ``column == [...]``, ``numpy.asarray(column)`` and
    ``column.tolist()`` work as on a list. The values live in a typed array (``float64``, or ``int64`` for
    iterations) that only the history appends to; the column itself is read-only.
    """

    __slots__ = ("_at", "_keep", "_values")

    def __init__(self, values: _Buffer, at: _Buffer, keep: int) -> None:
        self._values, self._at, self._keep = values, at, keep

    def _visible(self) -> array:  # type: ignore[type-arg]
        """The values the history shows: all, or the last `keep` (a bounded history trims in blocks)."""
        values = self._values.settled()
        extra = len(values) - self._keep
        return values[extra:] if extra > 0 else values

    def _visible_at(self) -> array:  # type: ignore[type-arg]
        """The iteration of each visible value (the shared 'iterations' column may be longer)."""
        end = len(self._values)
        return self._at.settled()[max(0, end - self._keep):end]

    def __len__(self) -> int:
        return min(len(self._values), self._keep)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self._visible()[index].tolist()
        size, position = len(self), operator.index(index)
        if not -size <= position < size:
            raise IndexError(f"history column index {position} out of range for {size} entries")
        return self._values.settled()[position - size if position >= 0 else position]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._visible())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Column):
            return self._visible() == other._visible()
        if isinstance(other, list):
            return self.tolist() == other
        if isinstance(other, array):
            return self._visible() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.tolist())

    def tolist(self) -> list[Any]:
        """The visible values as a plain list."""
        return self._visible().tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """``numpy.asarray(column)``: a copy, read at C speed (numpy is the caller, so it is loaded)."""
        if copy is False:
            raise ValueError("a history column cannot be viewed without a copy (it keeps growing)")
        import numpy

        return numpy.array(self._visible(), dtype=dtype)


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
            self._keep = _ALL if keep else 0
        else:
            self._keep = _checks.count("keep_history", keep, low=1)
        self._keep_arg = keep
        # a bounded history drops its oldest entries in blocks of keep // 8 (amortised O(1) per step)
        self._limit = self._keep + max(self._keep // 8, 64) if self._keep != _ALL else _ALL
        self._iterations = _Buffer(array("q"))
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
        if len(recorder[4]) >= _CHUNK:
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
                column._at = _Buffer(iterations.settled()[:len(column._values)])  # it missed steps
            if column._at is not iterations:
                own_at.append(column._at.recent.append)
        appends = [self[key]._values.recent.append for key in keys]
        return keys, appends, iterations.recent.append, tuple(own_at), iterations.recent

    def _column(self, key: str) -> Column:
        """The column `key`, created empty (in step with 'iterations' while it is as long) when new."""
        column = self.get(key)
        if column is None:
            values = self._iterations if key == "iterations" else _Buffer(array("d"))
            column = Column(values, self._iterations, self._keep)
            dict.__setitem__(self, key, column)
        return column

    def add_metrics(self, iteration: int, **metrics: Any) -> None:
        """Record metrics reported at `iteration` (an int in ``[0, 2**53]``) without adding a step."""
        iteration = _checks.count("iteration", iteration, high=_checks.STEP_LIMIT)
        self._append(iteration, self._as_floats(metrics))

    def at(self, key: str) -> Column:
        """The iteration each entry of ``history[key]`` was recorded at."""
        at = _Buffer(self[key]._visible_at())
        return Column(at, at, _ALL)

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
                column._at = _Buffer(iterations.settled()[:len(own)])
            if self._recorder is not None and key in self._recorder[0]:
                self._recorder = None  # an lr column logged as a metric leaves the recorder's lockstep
            own.recent.append(value)
            column._at.recent.append(iteration)
            if len(own.recent) >= _CHUNK:
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
                column._at = _Buffer(iterations.settled()[:len(column._values)])
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
                raise ValueError(f"history value {key!r} must fit in a float, got {value!r:.50}") from error
            except (TypeError, ValueError) as error:
                raise TypeError(f"history value {key!r} must be a number, got {value!r}") from error
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
        self._iterations = _Buffer(array("q"))
        self._dropped = 0

    def to_dict(self) -> dict[str, list[Any]]:
        """Plain ``{key: list}``: what ``json.dumps`` takes.

        For ``pandas.DataFrame``, read `to_csv` when metrics are logged less often than every step.
        """
        return {key: column.tolist() for key, column in self.items()}

    def state_dict(self) -> dict[str, Any]:
        """Compact plain data with the same keys whatever was recorded: ``{"keep", "steps", "columns"}``.

        `keep` is this history's window, `steps` how many steps it has recorded, and `columns` one row
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
        return _layouts.saved(self._keep_arg, self._steps(), rows)

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
        self.clear()
        if not self._keep:
            return
        iterations = self._iterations = _Buffer(other["iterations"]._visible()[:] if "iterations" in other
                                                else array("q"))
        for key, column in other.items():
            if key == "iterations":
                dict.__setitem__(self, key, Column(iterations, iterations, self._keep))
                continue
            at = column._visible_at()
            shared = iterations if at == iterations.array else _Buffer(at)
            dict.__setitem__(self, key, Column(_Buffer(column._visible()[:]), shared, self._keep))
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
        iterations = history._iterations = _Buffer(record.columns.get("iterations", array("q")))
        for key, values in record.columns.items():
            when = record.whens.get(key, iterations.array)
            at = iterations if when is iterations.array or when == iterations.array else _Buffer(when)
            dict.__setitem__(history, key, Column(iterations if key == "iterations" else _Buffer(values), at, _ALL))
        if record.steps is not None:
            history._dropped = record.steps - len(iterations)
        return history

    def to_json(self, path: PathLike | None = None) -> str:
        """The history as readable JSON text, ``{"values": {key: list}, "at": {key: list}}``.

        Also written to `path` when given. (`state_dict()` is the compact form, for checkpoints.)
        """
        text = json.dumps(self._plain_state())
        if path is not None:
            _files.atomic_write_text(path, text)
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> History:
        """A history from `to_json()` text (or a `state_dict()` as JSON), or from the file holding it.

        A `str` is the text itself; a path object (``pathlib.Path``) names the file.

        Raises:
            TypeError: `source` is neither a `str` nor a path object.
            ValueError: the text is not JSON, or not a history (the message names the key).
        """
        if isinstance(source, os.PathLike):
            with open(source, encoding="utf-8") as file:
                text = file.read()
        elif isinstance(source, str):
            text = source
        else:
            raise TypeError(f"source must be JSON text (a str) or a path object, got {type(source).__name__}")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:
            hint = "" if text.lstrip().startswith(("{", "[")) else " (to read a file, pass a path object: " \
                "pathlib.Path(name))"
            raise ValueError(f"a history must be JSON text{hint}: {str(error)[:200]}") from None
        return cls.from_state_dict(data)

    def to_csv(self, path: PathLike | None = None) -> str:
        """One row per iteration (``iterations``, ``lr``, then each metric; blank where none was logged)."""
        columns = ["iterations", *(["lr"] if "lr" in self else []),
                   *(key for key in self if key not in ("iterations", "lr"))]
        rows: dict[int, dict[str, float]] = {iteration: {} for iteration in self.get("iterations", [])}
        for key, column in self.items():
            if key != "iterations":
                for iteration, value in zip(column._visible_at(), column._visible()):
                    rows.setdefault(iteration, {})[key] = value
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for iteration in sorted(rows):
            row = rows[iteration]
            writer.writerow([iteration, *(repr(row[key]) if key in row else "" for key in columns[1:])])
        text = buffer.getvalue()
        if path is not None:
            _files.atomic_write_text(path, text, newline="")
        return text


def _restored(keep: bool | int, state: Mapping[str, Any]) -> History:
    """Unpickling: a history with window `keep` holding `state`."""
    history = History(keep)
    history.load_state_dict(state)
    return history


def _ignore(iteration: int) -> None:
    """The 'iterations' append of a history that keeps nothing."""
