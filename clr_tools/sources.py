"""What `clr plot` reads from files: a schedule config, a saved history (JSON or CSV), a saved range test.

Each is data, read as safely as a state: the file is read up to a size bound, parsed as JSON or CSV (never
imported or evaluated), and handed to the core's checked loaders. A schedule config loads in safe mode, so
a custom scale function saved by import path is refused before anything is imported.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
from typing import Any

from clr_core import History, RangeTestResult, Schedule, schedule_from_config

#: The most characters read from a config or a history file (a history of about 2 million steps).
MAX_CHARACTERS = 1 << 26


def _read(path: str, what: str) -> str:
    with open(path, encoding="utf-8") as file:
        text = file.read(MAX_CHARACTERS + 1)
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"{what} {path!r} is larger than {MAX_CHARACTERS} characters")
    return text


def _json(text: str, what: str, path: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{what} {path!r} is not JSON: {str(error)[:200]}") from None


def read_config(path: str) -> Schedule:
    """The schedule a JSON file of `schedule_to_config` output describes (loaded in safe mode)."""
    return schedule_from_config(_json(_read(path, "config"), "config", path))


def read_history(path: str) -> History:
    """A history saved by `History.to_json` (or a state dict's history as JSON) or `History.to_csv`.

    A ``.csv`` file, or one whose text does not start with ``{``, is read as the CSV `to_csv` writes.
    """
    text = _read(path, "history")
    if not path.lower().endswith(".csv") and text.lstrip().startswith("{"):
        return History.from_state_dict(_json(text, "history", path))
    return History.from_state_dict(_plain_state_of_csv(text, path))


def _plain_state_of_csv(text: str, path: str) -> dict[str, Any]:
    """``{"values", "at"}`` from `to_csv` text: one row per iteration, a blank cell where nothing was logged."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:  # a field past csv's size limit, a NUL byte
        raise ValueError(f"history {path!r} is not the CSV History.to_csv writes: {str(error)[:200]}") from None
    if not rows or not rows[0] or rows[0][0] != "iterations":
        raise ValueError(f"history {path!r} is neither JSON nor the CSV History.to_csv writes "
                         f"(its first column must be 'iterations')")
    keys = rows[0][1:]
    if len(set(keys)) != len(keys) or "iterations" in keys:
        raise ValueError(f"history {path!r} repeats a column name in its header")
    values: dict[str, list[Any]] = {key: [] for key in keys}
    at: dict[str, list[int]] = {key: [] for key in keys}
    iterations: list[int] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(keys) + 1:
            raise ValueError(f"history {path!r} line {line} has {len(row)} cells, the header {len(keys) + 1}")
        iteration = _cell(row[0], path, line, whole=True)
        if "lr" not in values or row[1 + keys.index("lr")] != "":
            iterations.append(iteration)
        for key, cell in zip(keys, row[1:]):
            if cell != "":
                values[key].append(_cell(cell, path, line, whole=False))
                at[key].append(iteration)
    return {"values": {"iterations": iterations, **values}, "at": at}


def _cell(cell: str, path: str, line: int, *, whole: bool) -> Any:
    try:
        return int(cell) if whole else float(cell)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"history {path!r} line {line}: expected {kind}, got {cell[:50]!r}") from None


def read_range_test(path: str) -> RangeTestResult:
    """A range test saved by `RangeTestResult.to_json`."""
    return RangeTestResult.from_json(pathlib.Path(os.fspath(path)))
