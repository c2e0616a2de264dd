"""Typed columns (``array('d')``, ``array('q')``) to and from compact plain data, for state dicts.

A column becomes a short list of strings and ints: ``["float64", n, "zlib_base64", text]``, the values as
little-endian bytes, compressed with zlib and written as base64 ASCII text; an ``int64`` column that is an
arithmetic progression (``1, 2, 3, ...``) is only ``["int64", n, "range", start, step]``. Plain strings and
ints load fast with ``torch.load(weights_only=True)``, ``json`` and ``yaml`` alike, a list of them is one leaf
for loaders that fill a template (PyTorch's distributed checkpoint), and a learning rate schedule's values
(periodic, mostly repeated) compress about a hundredfold. The previous layout, a dict ``{"dtype", "count",
"zlib_base64"}`` or ``{"dtype", "count", "start", "step"}``, loads too.

Loading is bounded: `declared` reads what an entry claims (its dtype and count) without allocating anything,
so the caller can check the counts against each other and against a limit first; `unpack` then allocates at
most the declared count and inflates zlib data in chunks, refusing it as soon as it outgrows that count.
"""

from __future__ import annotations

import base64
import binascii
import sys
import zlib
from array import array
from collections.abc import Mapping
from typing import Any, NamedTuple, TypeGuard

from . import _checks

#: The dtype names written into the state, by array typecode.
DTYPES = {"d": "float64", "q": "int64"}
_LEVEL = 6  # zlib's default: as fast as level 1 on schedule values, and 20x smaller
_CHUNK = 1 << 20  # bytes inflated at a time: a payload that outgrows its count is refused within a chunk
_DICT_KEYS = {"zlib_base64": ("dtype", "count", "zlib_base64"), "range": ("dtype", "count", "start", "step")}


class Packed(NamedTuple):
    """What a packed entry declares, checked for shape and range but not yet inflated."""

    dtype: str
    length: int
    text: str | None  # the zlib_base64 payload, or None for a progression
    start: int
    step: int


def pack(values: array) -> list[Any]:  # type: ignore[type-arg]
    """`values` (typecode ``'d'`` or ``'q'``) as plain data; `unpack` gives them back bit for bit."""
    count = len(values)
    if values.typecode == "q" and count:
        start, step = values[0], (values[1] - values[0] if count > 1 else 0)
        if values[-1] == start + step * (count - 1) and values == _progression(start, step, count):
            return ["int64", count, "range", start, step]
    data = values if sys.byteorder == "little" else _swapped(values)
    text = base64.b64encode(zlib.compress(memoryview(data).cast("B"), _LEVEL)).decode("ascii")
    return [DTYPES[values.typecode], count, "zlib_base64", text]


def declared(name: str, entry: Any, typecode: str) -> Packed:
    """The dtype and count `entry` claims, every field checked, nothing allocated.

    A progression's values must be iterations: ints in ``[0, 2**53]`` from the first to the last.
    """
    dtype = DTYPES[typecode]
    if isinstance(entry, Mapping):
        layout = "zlib_base64" if "zlib_base64" in entry else "range"
        _checks.config_keys(f"history {name!r} column", entry, _DICT_KEYS[layout], _DICT_KEYS[layout])
        fields = [entry["dtype"], entry["count"], layout,
                  *((entry["zlib_base64"],) if layout == "zlib_base64" else (entry["start"], entry["step"]))]
    elif isinstance(entry, (list, tuple)) and len(entry) in (4, 5):
        fields = list(entry)
    else:
        raise ValueError(f"history {name!r} must be a packed {dtype} column ([dtype, count, 'zlib_base64', text] "
                         f"or [dtype, count, 'range', start, step]), got {_checks.shown(entry)}")
    kind, count, layout = fields[0], fields[1], fields[2]
    if kind != dtype:
        raise ValueError(f"history {name!r} must be a packed {dtype} column, got dtype {_checks.shown(kind)}")
    count = _checks.count(f"history {name!r} count", count, high=_checks.STEP_LIMIT)
    if layout == "zlib_base64" and len(fields) == 4:
        if not isinstance(fields[3], str):
            raise TypeError(f"history {name!r} zlib_base64 must be text, got {type(fields[3]).__name__}")
        return Packed(dtype, count, fields[3], 0, 0)
    if layout != "range" or len(fields) != 5 or typecode != "q":
        raise ValueError(f"history {name!r} must be a packed {dtype} column ([dtype, count, 'zlib_base64', text] "
                         f"or [dtype, count, 'range', start, step]), got {_checks.shown(entry)}")
    start, step = fields[3], fields[4]
    if not _is_int(start) or not _is_int(step):
        raise TypeError(f"history {name!r} range must have int start and step, got {_checks.shown(start)}, "
                        f"{_checks.shown(step)}")
    last = start + step * max(count - 1, 0)
    if not (0 <= start <= _checks.STEP_LIMIT and 0 <= last <= _checks.STEP_LIMIT):
        raise ValueError(f"history {name!r} range must hold iterations in [0, 2**53], got start "
                         f"{_checks.shown(start)} and step {_checks.shown(step)} for {count} values")
    return Packed(dtype, count, None, start, step)


def unpack(name: str, entry: Packed, typecode: str) -> array:  # type: ignore[type-arg]
    """The values `entry` declares: at most its count is ever allocated or inflated."""
    if entry.text is None:
        return _progression(entry.start, entry.step, entry.length)
    size = entry.length * 8
    values = array(typecode)
    try:
        pending = base64.b64decode(entry.text, validate=True)
    except (binascii.Error, ValueError) as error:  # ValueError: text that is not ASCII
        raise ValueError(f"history {name!r} data is not valid zlib_base64 text: {str(error)[:100]}") from None
    inflater = zlib.decompressobj()
    while not inflater.eof:
        try:
            chunk = inflater.decompress(pending, _CHUNK)
        except zlib.error as error:
            raise ValueError(f"history {name!r} data is not valid zlib_base64 text: {str(error)[:100]}") from None
        pending = inflater.unconsumed_tail
        if len(values) * 8 + len(chunk) > size or len(chunk) % 8:
            raise ValueError(f"history {name!r} data does not hold {entry.length} {entry.dtype} values")
        if not chunk and not pending:
            break  # the stream ends before its end marker
        values.frombytes(chunk)
    complete = inflater.eof and not inflater.unused_data
    if len(values) != entry.length or not complete:
        raise ValueError(f"history {name!r} data does not hold {entry.length} {entry.dtype} values")
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
