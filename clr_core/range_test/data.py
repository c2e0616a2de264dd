"""`Batches`: the training data of a range test, read one batch at a time and read again when it runs out.

Both runners take their batches from here, so both keep the same promises: no batch is kept once it has been
handed out (memory stays at one batch, however long the sweep), the data is iterated again when it is
exhausted (a shuffled loader reshuffles, as in training), and data that gives nothing is a clear error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class Batches:
    """An endless source of the batches of `data`, which must be iterable again (a list, a loader).

    Examples:
        >>> batches = Batches([1, 2])
        >>> [batches.next() for _ in range(5)]
        [1, 2, 1, 2, 1]
        >>> Batches([]).next()
        Traceback (most recent call last):
        ...
        ValueError: data must hold at least one batch, got an empty iterable (list)
    """

    def __init__(self, data: Iterable[Any], name: str = "data") -> None:
        if not isinstance(data, Iterable):
            raise TypeError(f"{name} must be an iterable of batches (a list, a DataLoader, a tf.data.Dataset), "
                            f"got {type(data).__name__}")
        self._data = data
        self._name = name
        self._iterator: Iterator[Any] = iter(data)
        self._given = 0
        self._in_this_pass = 0

    def next(self) -> Any:
        """The next batch; the data is iterated again when it runs out. Nothing here keeps a reference."""
        for _ in range(2):
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self._in_this_pass == 0:
                    break
                self._iterator = iter(self._data)
                self._in_this_pass = 0
                continue
            self._given += 1
            self._in_this_pass += 1
            return batch
        if self._given == 0:
            raise ValueError(f"{self._name} must hold at least one batch, got an empty iterable "
                             f"({type(self._data).__name__})")
        raise ValueError(f"{self._name} ran out after {self._given} batches and gave none when iterated again (an "
                         f"iterator or generator can be read only once): pass a list or a loader, or a num_iter "
                         f"of at most {self._given}")
