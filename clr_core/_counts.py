"""Exact schedules in float32: the iteration as a whole number, for array namespaces without float64.

JAX computes in float32 unless ``jax_enable_x64`` is set, and float32 holds whole numbers exactly only below
2**24: at step 2**24 + 1 a float32 step is 2**24, and ``fmod(step, period)`` is off by up to 128 steps near
2**31. `CountOps` is the formula's namespace (`clr_core.extend.ArrayOps`) for such an array module (``jax.numpy``,
or ``numpy`` with ``dtype='float32'``): it receives the step counter as a `Count`, which keeps it an integer
array through the operations the formulas apply to an iteration with whole numbers (``fmod`` by a whole
period, adding or subtracting a whole offset, ``minimum``/``maximum``/``where`` with whole numbers, exact
comparisons with any number). Only where a formula divides or multiplies it does it become a float, which
costs a relative rounding (2**-24) and no more. So the position in a cycle, the start of a join's part and
the local count of each part stay exact at every int32 step, and each lr is the exact one to float32
rounding.

Where a schedule needs the iteration as a float in a way that loses whole steps past 2**24 (a period or a
join boundary that is not a whole number, a custom `scale_fn` that receives the iteration, cosine restarts
whose cycles grow), the namespace records why in `inexact`, and adapters warn when they build the schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def _whole(value: Any) -> bool:
    """Whether `value` is a plain Python number with a whole value (bools are not numbers here)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and float(value).is_integer())


class Count:
    """An iteration count held exactly as an integer array, with the range of values it may hold.

    Arithmetic with whole numbers and other counts stays a `Count`; division, multiplication and arithmetic
    with fractions or float arrays give float arrays of the namespace's dtype. Comparisons are exact.

    Args:
        value: an integer array (any shape) of the namespace `ops` uses.
        low, high: the smallest and largest values it may hold (Python ints), which tell when an operation
            stays inside the integer type and when converting to float is exact.
        ops: the `CountOps` it belongs to.
    """

    __slots__ = ("value", "low", "high", "ops")
    __array_ufunc__ = None  # numpy arrays defer to our reflected operators instead of converting us

    def __init__(self, value: Any, low: int, high: int, ops: CountOps) -> None:
        self.value, self.low, self.high, self.ops = value, int(low), int(high), ops

    def _count(self, value: Callable[[], Any], low: int, high: int) -> Count | None:
        """A new count if ``[low, high]`` fits the integer type (then `value()` is computed), else None."""
        limits = self.ops.xp.iinfo(self.value.dtype)
        if limits.min <= low and high <= limits.max:
            return Count(value(), low, high, self.ops)
        return None

    @property
    def exact_as_float(self) -> bool:
        """Whether every value it may hold is a whole number the float dtype represents exactly."""
        bound = self.ops.exact_below
        return -bound < self.low and self.high < bound

    def as_float(self) -> Any:
        """The count as a float array (rounded past 2**24 in float32)."""
        return self.value.astype(self.ops.dtype)

    def _inexact(self, what: str) -> Any:
        """The count as floats for an operation that keeps whole steps only while they are exact floats."""
        if not self.exact_as_float:
            self.ops.note(what)
        return self.as_float()

    def __neg__(self) -> Any:
        found = self._count(lambda: -self.value, -self.high, -self.low)
        return found if found is not None else -self._inexact("negated count")

    def __add__(self, other: Any) -> Any:
        if isinstance(other, Count):
            found = self._count(lambda: self.value + other.value, self.low + other.low, self.high + other.high)
            return found if found is not None else self._inexact("sum of counts") + other.as_float()
        if _whole(other):
            k = int(other)
            found = self._count(lambda: self.value + k, self.low + k, self.high + k)
            if found is not None:
                return found
        return self._inexact("offset that is not a whole number") + self.ops.to_float(other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, Count):
            return self + (-other)
        if _whole(other):
            return self + (-int(other))
        return self._inexact("offset that is not a whole number") - self.ops.to_float(other)

    def __rsub__(self, other: Any) -> Any:
        if _whole(other):
            return (-self) + int(other)
        return self.ops.to_float(other) - self._inexact("offset that is not a whole number")

    def __mul__(self, other: Any) -> Any:
        return self.as_float() * self.ops.to_float(other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return self.as_float() / self.ops.to_float(other)

    def __rtruediv__(self, other: Any) -> Any:
        return self.ops.to_float(other) / self.as_float()

    def _at_least(self, bound: int) -> Any:
        """``value >= bound`` for a whole `bound`, without putting a number outside the integer type in."""
        if bound > self.high:
            return self.value > self.high  # all False
        return self.value >= max(bound, self.low)

    def _compare(self, other: Any, operator: str) -> Any:
        if isinstance(other, Count):
            return getattr(self.value, operator)(other.value)
        if isinstance(other, (int, float)) and not isinstance(other, bool) and math.isfinite(other):
            # For a whole i: i >= x <=> i >= ceil(x), and i > x <=> i >= floor(x) + 1.
            if operator in ("__ge__", "__lt__"):
                at_least = self._at_least(math.ceil(other))
            else:
                at_least = self._at_least(math.floor(other) + 1)
            return at_least if operator in ("__ge__", "__gt__") else self.ops.xp.logical_not(at_least)
        if isinstance(other, (int, float)) and not isinstance(other, bool):  # inf or nan: exact as floats too
            return getattr(self.as_float(), operator)(other)
        return getattr(self._inexact("comparison with a float array"), operator)(self.ops.to_float(other))

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, "__ge__")

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, "__gt__")

    def __le__(self, other: Any) -> Any:
        return self._compare(other, "__le__")

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, "__lt__")

    def __repr__(self) -> str:
        return f"Count(in [{self.low}, {self.high}])"


class CountOps:
    """The formula's namespace for an array module computing in `dtype`, exact in the iteration count.

    Args:
        xp: an array module with numpy's names (``jax.numpy``, ``numpy``).
        dtype: the float dtype the values are computed in (``'float32'``; ``'float64'`` where available).

    Attributes:
        inexact: why, if at all, the schedules evaluated so far lose whole steps in `dtype` at the counts
            `count` allows (one entry per reason).

    Examples:
        >>> import numpy
        >>> from clr_core import CyclicSchedule
        >>> ops = CountOps(numpy, "float32")
        >>> step = ops.count(numpy.array([2**24 + 1, 2**31 - 3], dtype=numpy.int64))
        >>> CyclicSchedule(base_lr=0.0, max_lr=1.0, step_size=4).evaluate(step, ops).tolist()
        [0.25, 0.75]
        >>> ops.inexact
        []
    """

    def __init__(self, xp: Any, dtype: Any = "float32") -> None:
        self.xp = xp
        self.dtype = xp.dtype(dtype)
        self.exact_below: int = 2 ** (int(xp.finfo(self.dtype).nmant) + 1)
        self.inexact: list[str] = []

    def count(self, steps: Any, high: int = 2**31 - 1) -> Count:
        """The integer step counter `steps` (an array, negative values taken as 0) as a `Count` up to `high`."""
        value = self.xp.asarray(steps)
        return Count(self.xp.maximum(value, 0), 0, high, self)

    def note(self, what: str) -> None:
        """Record that `what` loses whole steps past `exact_below`."""
        if what not in self.inexact:
            self.inexact.append(what)

    def exactness_warning(self, name: str) -> str | None:
        """A warning for `name` (a schedule) when something was recorded in `inexact`, else None."""
        if not self.inexact:
            return None
        power = self.exact_below.bit_length() - 1
        return (f"{name} in {self.dtype.name} is exact only below 2**{power} steps: past them the step count "
                f"is rounded to a {self.dtype.name} (off by up to 2**(k - {power}) steps near 2**k) for its "
                f"{', '.join(self.inexact)}; whole-numbered periods, step sizes and boundaries keep every step "
                f"exact (or compute in float64)")

    def to_float(self, x: Any) -> Any:
        if isinstance(x, Count):
            return x.as_float()
        return self.xp.asarray(x, dtype=self.dtype)

    def fmod(self, x: Any, y: Any) -> Any:
        if isinstance(x, Count) and _whole(y) and y > 0 and x.low >= 0:
            period = int(y)
            if x.high < period:
                return x
            found = x._count(lambda: self.xp.fmod(x.value, period), 0, min(x.high, period - 1))
            if found is not None:
                return found
        if isinstance(x, Count):
            x = x._inexact("period that is not a whole number")
        return self.xp.fmod(self.to_float(x), self.to_float(y))

    def floor(self, x: Any) -> Any:
        return x if isinstance(x, Count) else self.xp.floor(self.to_float(x))

    def _bounded(self, x: Any, y: Any, pick: Callable[..., Any], function: Any) -> Any:
        """``minimum`` or ``maximum`` (`pick` is `min` or `max`), a `Count` where both are whole."""
        if isinstance(y, Count) and not isinstance(x, Count):
            x, y = y, x
        if isinstance(x, Count) and _whole(y):
            k = int(y)
            if pick(k, x.high) == x.high and pick(k, x.low) == x.low:  # the bound changes no value of x
                return x
            k = min(max(k, x.low), x.high)  # inside x's range: the same result, and a number its type holds
            return Count(function(x.value, k), pick(x.low, k), pick(x.high, k), self)
        if isinstance(x, Count) and isinstance(y, Count):
            return Count(function(x.value, y.value), pick(x.low, y.low), pick(x.high, y.high), self)
        if isinstance(x, Count):
            x = x._inexact("bound that is not a whole number")
        return function(self.to_float(x), self.to_float(y))

    def minimum(self, x: Any, y: Any) -> Any:
        return self._bounded(x, y, min, self.xp.minimum)

    def maximum(self, x: Any, y: Any) -> Any:
        return self._bounded(x, y, max, self.xp.maximum)

    def where(self, condition: Any, x: Any, y: Any) -> Any:
        if isinstance(x, Count) and isinstance(y, Count):
            return Count(self.xp.where(condition, x.value, y.value), min(x.low, y.low), max(x.high, y.high), self)
        values = [item._inexact("choice between a count and a float") if isinstance(item, Count) else item
                  for item in (x, y)]
        return self.xp.where(condition, self.to_float(values[0]), self.to_float(values[1]))

    def power(self, base: Any, exponent: Any) -> Any:
        """``base**exponent``; for a constant base, as ``exp2(exponent * log2(base))``.

        The logarithm is taken in float64: float32 `power` would take it of the base rounded to float32
        (0.99994 is off by 5e-4 in its logarithm, and the factor by as much per 1000 steps).
        """
        if isinstance(base, (int, float)) and not isinstance(base, bool) and base > 0:
            return self.xp.exp2(self.to_float(exponent) * math.log2(base))
        return self.xp.power(self.to_float(base), self.to_float(exponent))

    def exp2(self, x: Any) -> Any:
        return self.xp.exp2(self.to_float(x))

    def sin(self, x: Any) -> Any:
        return self.xp.sin(self.to_float(x))

    def log(self, x: Any) -> Any:
        return self.xp.log(self.to_float(x))

    def apply(self, fn: Callable[[Any], Any], x: Any) -> Any:
        """`fn` on the float array `x` (a count becomes floats: a custom function receives a float)."""
        if isinstance(x, Count):
            x = x._inexact("custom scale_fn of the iteration")
        return self.to_float(fn(self.to_float(x)))
