"""A `History` as text: CSV rows by iteration, JSON in and out, and writing either to a file atomically."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from . import _files


def csv_text(iterations: Sequence[int], columns: Iterable[tuple[str, Iterable[int], Iterable[float]]]) -> str:
    """One row per iteration: ``iterations``, ``lr``, then each metric; blank where none was logged.

    `columns` gives each column but 'iterations' as ``(key, its iterations, its values)``.
    """
    rows: dict[int, dict[str, float]] = {iteration: {} for iteration in iterations}
    keys = []
    for key, at, values in columns:
        keys.append(key)
        for iteration, value in zip(at, values):
            rows.setdefault(iteration, {})[key] = value
    header = ["iterations", *(["lr"] if "lr" in keys else []), *(key for key in keys if key != "lr")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for iteration in sorted(rows):
        row = rows[iteration]
        writer.writerow([iteration, *(repr(row[key]) if key in row else "" for key in header[1:])])
    return buffer.getvalue()


def write(text: str, path: str | os.PathLike[str] | None, *, newline: str | None = None) -> str:
    """`text`, also written to `path` (atomically, see `clr_core._files`) when given."""
    if path is not None:
        _files.atomic_write_text(path, text, newline=newline)
    return text


def read_json(source: Any) -> Any:
    """The parsed JSON of `source`: a `str` is the text itself, a path object names the file holding it.

    Raises:
        TypeError: `source` is neither.
        ValueError: the text is not JSON (nested too deeply included); a `str` that does not look like JSON
            gets a hint to pass a path object.
    """
    if isinstance(source, os.PathLike):
        with open(source, encoding="utf-8") as file:
            text = file.read()
    elif isinstance(source, str):
        text = source
    else:
        raise TypeError(f"source must be JSON text (a str) or a path object, got {type(source).__name__}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        looks_like_a_name = not text.lstrip().startswith(("{", "["))
        hint = " (to read a file, pass a path object: pathlib.Path(name))" if looks_like_a_name else ""
        raise ValueError(f"a history must be JSON text{hint}: {str(error)[:200]}") from None
