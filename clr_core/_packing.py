"""Typed columns (``array('d')``, ``array('q')``) to and from compact plain data, for state dicts.

A column becomes a small ``dict`` of ``str`` and ``int``: ``{"dtype": "float64", "count": n, "zlib_base64":
text}``, the values as little-endian bytes, compressed with zlib and written as base64 ASCII text; an
``int64`` column that is an arithmetic progression (``1, 2, 3, ...``) is only ``{"start", "step"}``. Plain
strings and ints load fast with ``torch.load(weights_only=True)``, ``json`` and ``yaml`` alike, and a learning
rate schedule's values (periodic, mostly repeated) compress about a hundredfold.
"""

from __future__ import annotations

import base64
import binascii
import sys
import zlib
from array import array
from collections.abc import Mapping
from typing import Any, TypeGuard

#: The dtype names written into the state, by array typecode.
DTYPES = {"d": "float64", "q": "int64"}
_LEVEL = 6  # zlib's default: as fast as level 1 on schedule values, and 20x smaller


def pack(values: array) -> dict[str, Any]:  # type: ignore[type-arg]
    """`values` (typecode ``'d'`` or ``'q'``) as plain data; `unpack` gives them back bit for bit."""
    count = len(values)
    if values.typecode == "q" and count:
        start, step = values[0], (values[1] - values[0] if count > 1 else 0)
        if values[-1] == start + step * (count - 1) and values == _progression(start, step, count):
            return {"dtype": "int64", "count": count, "start": start, "step": step}
    data = values if sys.byteorder == "little" else _swapped(values)
    text = base64.b64encode(zlib.compress(memoryview(data).cast("B"), _LEVEL)).decode("ascii")
    return {"dtype": DTYPES[values.typecode], "count": count, "zlib_base64": text}


def unpack(name: str, entry: Any, typecode: str) -> array:  # type: ignore[type-arg]
    """The column `pack` wrote, checked: its dtype, its count, and data that inflate to exactly that size.

    A corrupted or oversized payload is refused before it is inflated further.
    """
    dtype = DTYPES[typecode]
    if not isinstance(entry, Mapping) or entry.get("dtype") != dtype:
        raise ValueError(f"history {name!r} must be a packed {dtype} column, got {str(entry)[:200]}")
    count = entry.get("count")
    if not _is_int(count) or count < 0:
        raise ValueError(f"history {name!r} count must be an int >= 0, got {count!r}")
    if "start" in entry:
        start, step = entry.get("start"), entry.get("step")
        if typecode != "q" or not _is_int(start) or not _is_int(step):
            raise ValueError(f"history {name!r} range must have int start and step, got {start!r}, {step!r}")
        return _progression(start, step, count)
    size = count * 8
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.b64decode(entry.get("zlib_base64", ""), validate=True), size + 1)
        complete = inflater.eof and not inflater.unconsumed_tail
    except (binascii.Error, zlib.error, TypeError, ValueError) as error:
        raise ValueError(f"history {name!r} data is not valid zlib_base64 text: {error}") from error
    if len(data) != size or not complete:
        raise ValueError(f"history {name!r} data does not hold {count} {dtype} values")
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _progression(start: int, step: int, count: int) -> array:  # type: ignore[type-arg]
    return array("q", range(start, start + step * count, step) if step else [start] * count)


def _swapped(values: array) -> array:  # type: ignore[type-arg]
    copy = array(values.typecode, values)
    copy.byteswap()
    return copy
