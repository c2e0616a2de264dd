"""A range test's result as JSON: plain data out, and in only after every field was checked.

A saved sweep can be plotted later (``clr plot --range-test result.json``) or read again to compare
suggestions, without running the model again. Loading is as safe as loading a state: the text is parsed as
JSON (bounded in size, no nesting deeper than the format has), nothing is imported or called, and every key,
type and length is checked before a result is built. A loss that was not finite (the sweep diverged) is
written as JSON's usual ``NaN`` / ``Infinity``, which Python's `json` reads back.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import TYPE_CHECKING, Any

from .. import _files

if TYPE_CHECKING:
    from .result import RangeTestResult

#: The ``format`` tag of a saved range test, and its version.
FORMAT = "clr-range-test"
VERSION = 2
#: The most characters `from_json` reads: about 4 million points, far more than any sweep records.
MAX_CHARACTERS = 1 << 26
_KEYS = ("format", "version", "lrs", "losses", "smoothed", "stopped_early", "metric_steps", "metrics",
         "group_ratios", "adaptive")
#: Version 1 had no ``adaptive`` key: such a sweep reads as not adaptive, as it was read when saved.
_KEYS_OF_VERSION = {1: _KEYS[:-1], VERSION: _KEYS}


def result_to_json(result: RangeTestResult, path: str | os.PathLike[str] | None = None) -> str:
    """`result` as JSON text, also written (atomically) to `path` when given."""
    data = {"format": FORMAT, "version": VERSION, **dataclasses.asdict(result)}
    text = json.dumps({key: data[key] for key in _KEYS})
    if path is not None:
        _files.atomic_write_text(path, text)
    return text


def result_from_json(source: str | os.PathLike[str]) -> RangeTestResult:
    """The result `result_to_json` wrote: `source` is that text (a `str`) or the file holding it (a path object).

    Raises:
        TypeError: `source` is neither, or a field holds the wrong type (the message names it).
        ValueError: the text is not JSON, not a saved range test, too large, or its fields disagree.
    """
    from .result import RangeTestResult

    if isinstance(source, os.PathLike):
        with open(source, encoding="utf-8") as file:
            text = file.read(MAX_CHARACTERS + 1)
    elif isinstance(source, str):
        text = source
    else:
        raise TypeError(f"source must be JSON text (a str) or a path object, got {type(source).__name__}")
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"a saved range test holds at most {MAX_CHARACTERS} characters, got more")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        looks_like_a_name = not text.lstrip().startswith(("{", "["))
        hint = " (to read a file, pass a path object: pathlib.Path(name))" if looks_like_a_name else ""
        raise ValueError(f"a saved range test must be JSON text{hint}: {str(error)[:200]}") from None
    fields = _checked(data)
    return RangeTestResult(**fields)


def _checked(data: Any) -> dict[str, Any]:
    """The constructor arguments of a `RangeTestResult` from parsed JSON, every key and value checked."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a saved range test: expected a JSON object with \"format\": {FORMAT!r}")
    version = data.get("version")
    keys = _KEYS_OF_VERSION.get(version) if type(version) is int else None
    if keys is None:
        raise ValueError(f"saved range test 'version' must be 1 or {VERSION}, got {str(data.get('version'))[:50]}")
    unknown = sorted(set(data) - set(keys))
    if unknown:
        raise ValueError(f"saved range test has an unknown key {unknown[0][:100]!r} (allowed: {', '.join(keys)})")
    missing = [key for key in keys if key not in data]
    if missing:
        raise ValueError(f"saved range test lacks the key {missing[0]!r}")
    lrs = _numbers("lrs", data["lrs"])
    if not all(math.isfinite(lr) and lr > 0 for lr in lrs):
        raise ValueError("saved range test 'lrs' must hold finite numbers > 0")
    losses, smoothed = _numbers("losses", data["losses"]), _numbers("smoothed", data["smoothed"])
    for key, values in (("losses", losses), ("smoothed", smoothed)):
        if len(values) != len(lrs):
            raise ValueError(f"saved range test {key!r} must have one entry per lr ({len(lrs)}), got {len(values)}")
    steps = data["metric_steps"]
    if not isinstance(steps, list) or not all(type(step) is int for step in steps):
        raise TypeError("saved range test 'metric_steps' must be a list of whole numbers")
    if any(not 0 <= step < len(lrs) for step in steps) or any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"saved range test 'metric_steps' must increase within [0, {len(lrs)})")
    metrics = data["metrics"]
    if not isinstance(metrics, dict):
        raise TypeError(f"saved range test 'metrics' must be an object, got {type(metrics).__name__}")
    checked = {}
    for name, values in metrics.items():
        checked[name] = _numbers(f"metrics[{name[:100]!r}]", values)
        if len(checked[name]) != len(steps):
            raise ValueError(f"saved range test metrics[{name[:100]!r}] must have one entry per metric step "
                             f"({len(steps)}), got {len(checked[name])}")
    ratios = _numbers("group_ratios", data["group_ratios"])
    if not ratios or not all(math.isfinite(ratio) and ratio > 0 for ratio in ratios):
        raise ValueError("saved range test 'group_ratios' must hold one finite number > 0 per param group")
    adaptive = data.get("adaptive", False)
    for key, flag in (("stopped_early", data["stopped_early"]), ("adaptive", adaptive)):
        if not isinstance(flag, bool):
            raise TypeError(f"saved range test {key!r} must be true or false, got {type(flag).__name__}")
    return {"lrs": lrs, "losses": losses, "smoothed": smoothed, "stopped_early": data["stopped_early"],
            "metric_steps": list(steps), "metrics": checked, "group_ratios": ratios, "adaptive": adaptive}


def _numbers(key: str, values: Any) -> list[float]:
    """`values` as floats: a list of numbers (JSON's ``NaN`` included), never a bool, a string or a list."""
    if not isinstance(values, list):
        raise TypeError(f"saved range test {key!r} must be a list of numbers, got {type(values).__name__}")
    bad = next((value for value in values if type(value) not in (int, float)), None)
    if bad is not None:
        raise TypeError(f"saved range test {key!r} must hold numbers, got {type(bad).__name__} {str(bad)[:50]}")
    try:
        return [float(value) for value in values]
    except OverflowError:
        raise ValueError(f"saved range test {key!r} holds a number too large for a float") from None
