"""Array namespaces: the handful of operations the formula needs, for each kind of number it runs on.

Every schedule's formula is written once against this tiny interface (`fmod`, `floor`, `minimum`, `maximum`,
`where`, `power`, `exp2`, `sin`, `log`, `to_float`, `apply`), so the same lines serve Python floats
(`MATH_OPS`), numpy arrays (`numpy_ops()`, built on first use so that importing `clr_core` never imports
numpy) and the framework tensors of an in-graph schedule (each adapter supplies its own namespace).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from ._checks import scale_factor, scale_factors


class ArrayOps(Protocol):
    """What the formula needs from a kind of number. `apply` runs a plain Python scalar function."""

    def fmod(self, x: Any, y: Any) -> Any: ...
    def floor(self, x: Any) -> Any: ...
    def minimum(self, x: Any, y: Any) -> Any: ...
    def maximum(self, x: Any, y: Any) -> Any: ...
    def where(self, condition: Any, x: Any, y: Any) -> Any: ...
    def power(self, base: Any, exponent: Any) -> Any: ...
    def exp2(self, x: Any) -> Any: ...
    def sin(self, x: Any) -> Any: ...
    def log(self, x: Any) -> Any: ...
    def to_float(self, x: Any) -> Any: ...
    def apply(self, fn: Callable[[float], float], x: Any) -> Any: ...


def _where(condition: bool, x: float, y: float) -> float:
    return x if condition else y


# The builtins' results (each keeps `x` unless `y` is strictly beyond it, NaN included), at a fifth of the
# cost: a two-argument min() or max() parses its arguments as an iterable, about 0.2 us at every call.
def _minimum(x: float, y: float) -> float:
    return y if y < x else x


def _maximum(x: float, y: float) -> float:
    return y if y > x else x


def _power(base: float, exponent: float) -> float:
    value: float = base**exponent
    return value


def _exp2(x: float) -> float:
    value: float = 2.0**x
    return value


def _checked_apply(fn: Callable[[float], float], x: float) -> float:
    """``fn(x)``, checked: a scale factor outside [0, 1], NaN or infinity raises `ValueError`."""
    return scale_factor(fn(x), x)


class MathOps:
    """Python floats, through `math`. `fmod` is exact, so the position in a cycle is exact too."""

    def __init__(self) -> None:
        # Plain instance attributes, not staticmethods: the formula looks each one up at every optimizer
        # step, and an instance attribute is found without the descriptor protocol (about 0.5 us a step).
        self.fmod: Callable[[float, float], float] = math.fmod
        self.floor: Callable[[float], int] = math.floor  # an int: exact, and mixes with floats as its float
        self.minimum: Callable[[float, float], float] = _minimum
        self.maximum: Callable[[float, float], float] = _maximum
        self.sin: Callable[[float], float] = math.sin
        self.log: Callable[[float], float] = math.log
        self.where: Callable[[bool, float, float], float] = _where
        self.power: Callable[[float, float], float] = _power
        self.exp2: Callable[[float], float] = _exp2
        self.to_float: Callable[[Any], float] = float
        self.apply: Callable[[Callable[[float], float], float], float] = _checked_apply


MATH_OPS = MathOps()


class NumpyOps:
    """numpy arrays. `apply` evaluates a scalar function once per distinct value, never once per element."""

    def __init__(self) -> None:
        import numpy

        self.np = numpy
        self.floor: Callable[[Any], Any] = numpy.floor
        self.minimum: Callable[[Any, Any], Any] = numpy.minimum
        self.maximum: Callable[[Any, Any], Any] = numpy.maximum
        self.where: Callable[[Any, Any, Any], Any] = numpy.where
        self.sin: Callable[[Any], Any] = numpy.sin
        self.log: Callable[[Any], Any] = numpy.log

    def fmod(self, x: Any, y: Any) -> Any:
        """``x mod y`` for ``0 <= x < 2**53`` and ``y > 0``, exact like `numpy.fmod`.

        For a whole-numbered `y` (every period in practice) it uses floor division, about ten times faster
        than `numpy.fmod` (whose C library divides bit by bit): ``floor(x / y) * y`` is then an exact whole
        number, ``x`` minus it is exact (Sterbenz), and the rounded quotient can only overshoot by one, which
        leaves a negative remainder that one addition of `y` puts right, exactly.
        """
        np = self.np
        if not (isinstance(y, (int, float)) and float(y).is_integer()):
            return np.fmod(x, y)
        remainder = x - np.floor(x / y) * y
        np.add(remainder, y, out=remainder, where=remainder < 0)
        return remainder

    def power(self, base: Any, exponent: Any) -> Any:
        """``base**exponent``; an amplitude that decays below the smallest float becomes 0, silently."""
        with self.np.errstate(under="ignore"):
            return self.np.power(base, exponent)

    def exp2(self, x: Any) -> Any:
        """``2**x``, exact for whole numbers and far faster than `power` with base 2 or 0.5."""
        with self.np.errstate(under="ignore"):
            return self.np.exp2(x)

    def to_float(self, x: Any) -> Any:
        return self.np.asarray(x, dtype=self.np.float64)

    def apply(self, fn: Callable[[float], float], x: Any) -> Any:
        """Return `fn` applied to each element of the float array `x`, without a Python call per element.

        A function that accepts arrays (``lambda s: 0.999**s``) is called once on the whole array, and
        kept if it agrees with scalar calls at both ends. A scalar-only one (``math.*``, ``if``) is called
        once per distinct value: whole-numbered inputs (cycle numbers, iteration counts) whose range is no
        wider than the array are looked up in a table built over that range, which costs no sort; any other
        input goes through `numpy.unique`.
        """
        np = self.np
        if x.size == 0:
            return np.zeros(x.shape)
        whole = self._try_whole_array(fn, x)
        if whole is not None:
            return scale_factors(whole, x)
        low, high = float(x.min()), float(x.max())
        width = high - low + 1
        if width <= x.size and bool(np.all(x == np.floor(x))):
            table = np.array([fn(low + k) for k in range(int(width))], dtype=np.float64)
            return scale_factors(table[(x - low).astype(np.intp)], x)
        distinct, where = np.unique(x, return_inverse=True)
        values = np.array([fn(float(value)) for value in distinct], dtype=np.float64)
        return scale_factors(values[where].reshape(x.shape), x)

    def _try_whole_array(self, fn: Callable[[float], float], x: Any) -> Any:
        """`fn(x)` as a float array of x's shape if `fn` takes arrays and matches its scalar self, else None."""
        np = self.np
        try:
            with np.errstate(all="ignore"):
                result = np.asarray(fn(x), dtype=np.float64)
            if result.shape not in ((), x.shape):
                return None
            result = np.broadcast_to(result, x.shape)
            for index in (0, -1):
                expected = float(fn(float(x.flat[index])))
                if not math.isclose(float(result.flat[index]), expected, rel_tol=1e-12, abs_tol=0.0):
                    return None
        except Exception:  # a scalar-only function (math.*, `if` on an array): evaluate per distinct value
            return None
        return np.array(result)


_numpy_ops: NumpyOps | None = None


def numpy_ops() -> NumpyOps:
    """The numpy namespace, created (and numpy imported) on first use."""
    global _numpy_ops
    if _numpy_ops is None:
        _numpy_ops = NumpyOps()
    return _numpy_ops
