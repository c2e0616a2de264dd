"""The saved layouts of a `History`, and the checks that refuse anything a history cannot have written.

Three layouts load (`read`), one is written (`saved`):

- **rows** (state format 3, written): ``{"keep": True | False | N, "steps": n, "columns": [[key, values,
  at], ...]}``: `keep` is how many of the latest steps the columns hold (all, none or N), `steps` how many
  steps the history recorded (so its 'iterations' column has ``min(keep, steps)`` entries), `values` a
  column packed by `clr_core._packing`, and `at` the column's iterations: ``"iterations"`` when it was
  recorded at every step, a packed ``int64`` column otherwise, and None for the ``'iterations'`` column
  itself. Every key is fixed and every variable-length part is one
  leaf (a list of plain values), so a loader that fills a template in place (PyTorch's distributed
  checkpoint) round-trips it.
- **packed** (state format 2): ``{"columns": {key: packed}, "at": {key: packed or "iterations"}}``.
- **plain** (state format 1, and `History.to_json`): ``{"values": {key: list}, "at": {key: list}}``.

Loading is bounded: every declared count is checked against the others and against the limit (the values a
loaded history may hold) before anything is allocated, and packed data is inflated in chunks up to its
declared size (see `clr_core._packing`).
"""

from __future__ import annotations

import itertools
import math
import operator
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from . import _checks
from ._packing import Packed, declared, pack, unpack

#: The most values (entries of every column, and the iterations of columns that have their own) a history
#: loads unless told otherwise: 2**27, 1 GiB of arrays; a run of 30 million steps with three recorded
#: columns holds 120 million.
MAX_LOADED_VALUES = 2**27
ROW_KEYS = ("keep", "steps", "columns")


class Record(NamedTuple):
    """A loaded history's arrays, checked: its columns, and the iterations of each column but 'iterations'.

    A column recorded at every step has the 'iterations' array itself (the same object) as its iterations.
    `keep` and `steps` are what the saving history kept and recorded (None for the older layouts).
    """

    columns: dict[str, array]  # type: ignore[type-arg]
    whens: dict[str, array]  # type: ignore[type-arg]
    keep: bool | int | None
    steps: int | None


def saved(keep: bool | int, steps: int, columns: Iterable[tuple[str, array, array | None]]) -> dict[str, Any]:  # type: ignore[type-arg]
    """The rows layout of `columns`: ``(key, values, iterations)``, iterations None when shared with 'iterations'."""
    rows = []
    for key, values, at in columns:
        rows.append([key, pack(values), None if key == "iterations" else "iterations" if at is None else pack(at)])
    return {"keep": keep, "steps": steps, "columns": rows}


def read(state: Any, limit: int) -> Record:
    """The checked arrays of a history saved in any of the three layouts, at most `limit` values in all.

    Raises `ValueError` or `TypeError` naming the key for anything a history cannot have written; nothing
    larger than the declared counts (and those at most `limit`) is ever allocated.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"history state must be a dict, got {type(state).__name__} {_checks.shown(state, 200)}")
    if "values" in state:
        return _read_plain(state, limit)
    if "columns" in state and isinstance(state["columns"], Mapping):
        _checks.config_keys("history state", state, ("columns", "at"), ("columns", "at"))
        at = state["at"]
        if not isinstance(at, Mapping):
            raise ValueError(f"history 'at' must be a mapping of key to packed iterations, got "
                             f"{_checks.shown(at, 200)}")
        rows = [(key, entry, at.get(key, _MISSING)) for key, entry in state["columns"].items()]
        _no_stray_at(at, state["columns"])
        return _read_packed(rows, limit, None, None)
    _checks.config_keys("history state", state, ROW_KEYS, ROW_KEYS)
    keep, steps, columns = state["keep"], state["steps"], state["columns"]
    if not isinstance(keep, bool):
        keep = _checks.count("history 'keep'", keep, low=1)
    steps = _checks.count("history 'steps'", steps, high=_checks.STEP_LIMIT)
    if not isinstance(columns, list):
        raise TypeError(f"history 'columns' must be a list of [key, values, at] rows, got "
                        f"{type(columns).__name__} {_checks.shown(columns)}")
    rows = []
    for row in columns:
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            raise ValueError(f"history 'columns' must hold [key, values, at] rows, got {_checks.shown(row)}")
        rows.append(tuple(row))
    return _read_packed(rows, limit, keep, steps)


_MISSING = object()


def _no_stray_at(at: Mapping[Any, Any], columns: Mapping[Any, Any]) -> None:
    for key in at:
        if key == "iterations" or key not in columns:
            raise ValueError(f"history 'at' has an unknown key {_checks.shown(key, 100)} (one per column but "
                             f"'iterations')")


def _read_packed(rows: Sequence[tuple[Any, Any, Any]], limit: int, keep: bool | int | None,
                 steps: int | None) -> Record:
    """Check every declared count first, then unpack."""
    entries: dict[str, tuple[Packed, Packed | str | None]] = {}
    for key, values, at in rows:
        _key(key, entries)
        packed = declared(key, values, "q" if key == "iterations" else "d")
        if key == "iterations":
            if at is not None and at is not _MISSING:
                raise ValueError(f"history 'iterations' has no iterations of its own, got {_checks.shown(at)}")
            entries[key] = (packed, None)
        elif at is _MISSING:
            raise ValueError(f"history {key!r} lacks its iterations in 'at'")
        elif at == "iterations":
            entries[key] = (packed, "iterations")
        else:
            entries[key] = (packed, declared(f"{key} iterations", at, "q"))
    iterations = entries["iterations"][0].length if "iterations" in entries else 0
    counts = {}
    for key, (packed, at) in entries.items():
        own = at.length if isinstance(at, Packed) else iterations if at == "iterations" else packed.length
        if own != packed.length:
            raise ValueError(f"history {key!r} has {packed.length} values but {own} iterations")
        counts[key] = packed.length + (own if isinstance(at, Packed) else 0)
    _check_counts(counts, limit, keep, steps, iterations)
    columns: dict[str, array] = {}  # type: ignore[type-arg]
    whens: dict[str, array] = {}  # type: ignore[type-arg]
    for key, (packed, _) in entries.items():
        columns[key] = unpack(key, packed, "q" if key == "iterations" else "d")
    shared = columns.get("iterations", array("q"))
    for key, (_, at) in entries.items():
        if isinstance(at, Packed):
            whens[key] = unpack(f"{key} iterations", at, "q")
        elif at == "iterations":
            whens[key] = shared
    return _checked(Record(columns, whens, keep, steps))


def _read_plain(state: Mapping[str, Any], limit: int) -> Record:
    _checks.config_keys("history state", state, ("values", "at"), ("values", "at"))
    values, at = state["values"], state["at"]
    if not isinstance(values, Mapping):
        raise TypeError(f"history 'values' must be a mapping of key to list, got {_checks.shown(values, 200)}")
    if not isinstance(at, Mapping):
        raise ValueError(f"history state 'at' must be a mapping of key to iterations, got {_checks.shown(at, 200)}")
    _no_stray_at(at, values)
    lists: dict[str, tuple[list[Any], list[Any] | None]] = {}
    for key, entries in values.items():
        _key(key, lists)
        if key == "iterations":
            lists[key] = (_entries(key, entries), None)
        elif key not in at:
            raise ValueError(f"history {key!r} lacks its iterations in 'at'")
        else:
            lists[key] = (_entries(key, entries), _entries(f"{key} iterations", at[key]))
    counts = {}
    for key, (items, when) in lists.items():
        if when is not None and len(when) != len(items):
            raise ValueError(f"history {key!r} has {len(items)} values but {len(when)} iterations")
        counts[key] = len(items) + (len(when) if when is not None else 0)
    _check_counts(counts, limit, None, None, len(lists["iterations"][0]) if "iterations" in lists else 0)
    columns: dict[str, array] = {}  # type: ignore[type-arg]
    whens: dict[str, array] = {}  # type: ignore[type-arg]
    for key, (items, when) in lists.items():
        if when is None:
            columns[key] = ints(key, items)
        else:
            columns[key] = floats(key, items)
            whens[key] = ints(f"{key} iterations", when)
    shared = columns.get("iterations")
    for key, own in whens.items():  # share the 'iterations' array where a column has the same iterations
        if shared is not None and own == shared:
            whens[key] = shared
    return _checked(Record(columns, whens, None, None))


def _key(key: Any, seen: Mapping[str, Any]) -> None:
    if not isinstance(key, str):
        raise TypeError(f"history keys must be strings, got {type(key).__name__} {_checks.shown(key, 100)}")
    if key in seen:
        raise ValueError(f"history has two columns named {key!r}")


def _check_counts(counts: Mapping[str, int], limit: int, keep: bool | int | None, steps: int | None,
                  iterations: int) -> None:
    """Before anything is allocated: the whole history fits `limit`, and 'iterations' fits `keep` and `steps`."""
    total = sum(counts.values())
    if total > limit:
        raise ValueError(f"history holds {total} values, more than the {limit} a history loads "
                         f"(History.max_loaded_values; raise it to load a longer history you trust)")
    if steps is not None:
        kept = steps if keep is True else 0 if keep is False else min(steps, keep)  # type: ignore[type-var]
        if iterations != kept:
            raise ValueError(f"history 'iterations' has {iterations} entries, but a history that keeps "
                             f"{_kept_words(keep)} holds {kept} after {steps} steps")


def _kept_words(keep: bool | int | None) -> str:
    return "everything" if keep is True else "nothing" if keep is False else f"the last {keep}"


def _entries(key: str, entries: Any) -> list[Any]:
    """`entries` as a list, or a `TypeError` naming the key (a string or a mapping is not a column)."""
    if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Sequence):
        raise TypeError(f"history {key!r} must be a list, got {type(entries).__name__} {_checks.shown(entries)}")
    return entries if isinstance(entries, list) else list(entries)


def ints(key: str, items: list[Any]) -> array:  # type: ignore[type-arg]
    """Iterations: ints in [0, 2**53] (bools refused), as an int64 array."""
    if not set(map(type, items)) <= {int}:
        bad = next(item for item in items if type(item) is not int)
        _checks.count(f"history {key!r} entry", bad, high=_checks.STEP_LIMIT)  # raises, naming the key
    if items and (min(items) < 0 or max(items) > _checks.STEP_LIMIT):
        bad = min(items) if min(items) < 0 else max(items)
        _checks.count(f"history {key!r} entry", bad, high=_checks.STEP_LIMIT)
    return array("q", items)


def floats(key: str, items: list[Any]) -> array:  # type: ignore[type-arg]
    """Values: real numbers that fit a float (bools refused), as a float64 array."""
    if not set(map(type, items)) <= {float, int}:
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise TypeError(f"history {key!r} must hold numbers, got {type(item).__name__} "
                                f"{_checks.shown(item, 100)}")
    try:
        return array("d", items)
    except OverflowError:
        bad = next(item for item in items if isinstance(item, int) and abs(item) > 2**1023)
        raise ValueError(f"history {key!r} holds {_checks.shown(bad)}, too large for a float") from None


def increasing(key: str, iterations: array) -> None:  # type: ignore[type-arg]
    """Refuse `iterations` unless each is larger than the one before."""
    if not all(map(operator.lt, iterations, itertools.islice(iterations, 1, None))):
        raise ValueError(f"history {key!r} must increase (one entry per step), got "
                         f"{_checks.shown(iterations[:20].tolist(), 200)}")


def rates(key: str, values: array) -> None:  # type: ignore[type-arg]
    """Refuse `values` unless each is a finite learning rate >= 0."""
    if values and not (values == values and min(values) >= 0 and max(values) < math.inf):  # NaN != NaN
        bad = next(value for value in values if not (math.isfinite(value) and value >= 0))
        raise ValueError(f"history {key!r} must hold finite learning rates >= 0, got {bad!r}")


def _checked(record: Record) -> Record:
    """`record`, or an error for what no run records.

    Iterations that do not increase or leave [0, 2**53], lrs that are not finite numbers >= 0 or that sit
    at iterations 'iterations' does not hold.
    """
    iterations = record.columns.get("iterations", array("q"))
    increasing("iterations", iterations)
    for key, when in (("iterations", iterations), *record.whens.items()):
        if when is iterations and key != "iterations":
            continue  # checked as 'iterations'
        low, high = (when[0], when[-1]) if when is iterations and when else (min(when), max(when)) if when else (0, 0)
        if low < 0 or high > _checks.STEP_LIMIT:
            bad = low if low < 0 else high
            raise ValueError(f"history {key!r} iterations must be ints in [0, 2**53], got {bad}")
    steps = None
    for key, values in record.columns.items():
        if key == "lr" or key.startswith("lr_group"):
            rates(key, values)
            when = record.whens[key]
            if when is not iterations:
                steps = set(iterations) if steps is None else steps
                if not steps.issuperset(when):
                    raise ValueError(f"history {key!r} has entries at iterations that 'iterations' does not hold")
    return record
