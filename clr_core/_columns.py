"""The columns of a `History`: typed arrays behind short lists, read like the classic lists.

A value costs 8 bytes in an ``array('d')`` (``array('q')`` for iterations) where a list of floats costs over
100; appends go to a short list first (as fast as a list's) and move into the array in blocks. A column's
iterations are another buffer, shared with the history's 'iterations' column while the column is recorded at
every step.
"""

from __future__ import annotations

import operator
import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

ALL = sys.maxsize  # the window of a history that keeps everything
CHUNK = 256  # appends wait in a list this long before they move into the typed array


class Buffer:
    """A typed array (8 bytes a value) behind a short list.

    Appends go to the list (as fast as a list's); every `CHUNK` steps, and before anything reads the values,
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

    def __init__(self, values: Buffer, at: Buffer, keep: int) -> None:
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
