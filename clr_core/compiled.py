"""Compile a schedule's formula into a plain Python function of one float, for the scalar hot path.

Running the one formula through a namespace of small functions costs a call per operation. Here the same
formula runs once on symbols (`SourceOps`), which records the operations as Python source with the schedule's
constants folded in; `compile_formula` turns that into a function that does exactly those float operations
in the same order, so its results are bit-for-bit those of evaluating the formula with `MATH_OPS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from ._checks import ITERATION_LIMIT, scale_factor


class Symbol:
    """A term of the formula as Python source text; arithmetic on it builds bigger terms."""

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source

    def _binary(self, operator: str, other: Any, reflected: bool = False) -> Symbol:
        left, right = (source_of(other), self.source) if reflected else (self.source, source_of(other))
        return Symbol(f"({left} {operator} {right})")

    def __add__(self, other: Any) -> Symbol:
        return self._binary("+", other)

    def __radd__(self, other: Any) -> Symbol:
        return self._binary("+", other, reflected=True)

    def __sub__(self, other: Any) -> Symbol:
        return self._binary("-", other)

    def __rsub__(self, other: Any) -> Symbol:
        return self._binary("-", other, reflected=True)

    def __mul__(self, other: Any) -> Symbol:
        return self if _is_one(other) else self._binary("*", other)

    def __rmul__(self, other: Any) -> Symbol:
        return self if _is_one(other) else self._binary("*", other, reflected=True)

    def __truediv__(self, other: Any) -> Symbol:
        return self._binary("/", other)

    def __rtruediv__(self, other: Any) -> Symbol:
        return self._binary("/", other, reflected=True)


def _is_one(value: Any) -> bool:
    """``x * 1.0`` is ``x`` for every float, so a factor of exactly 1 is left out of the source."""
    return not isinstance(value, Symbol) and float(value) == 1.0


def source_of(value: Any) -> str:
    """Source text for a symbol or a constant (``repr`` of a float round-trips exactly)."""
    if isinstance(value, Symbol):
        return value.source
    return repr(float(value))


def finite_lr(lr: float, iteration: float) -> float:
    """`lr` if finite, else a `ValueError` (a custom scale function can make the amplitude overflow)."""
    if lr - lr != 0.0:  # inf - inf and nan - nan are nan
        raise ValueError(f"the schedule gave a non-finite lr ({lr!r}) at iteration {iteration!r}; "
                         f"the scale function's factors must keep the lr finite")
    return lr


def finite_factor(factor: Any, s: float) -> float:
    """`factor` as a float in [0, 1], else an error (see `clr_core._checks.scale_factor`)."""
    return scale_factor(factor, s)


class SourceOps:
    """The `ArrayOps` namespace on symbols: each operation becomes a named temporary in the source."""

    def __init__(self) -> None:
        self.temporaries: list[tuple[str, str]] = []
        self.globals: dict[str, Any] = {"_fmod": math.fmod, "_floor": math.floor, "_cos": math.cos,
                                        "_finite_factor": finite_factor}

    def _temporary(self, source: str) -> Symbol:
        name = f"_t{len(self.temporaries)}"
        self.temporaries.append((name, source))
        return Symbol(name)

    def fmod(self, x: Any, y: Any) -> Symbol:
        return self._temporary(f"_fmod({source_of(x)}, {source_of(y)})")

    def floor(self, x: Any) -> Symbol:
        return self._temporary(f"_floor({source_of(x)})")

    def minimum(self, x: Any, y: Any) -> Symbol:
        # what the builtin min(x, y) returns, without the cost of calling it
        first, second = self._temporary(source_of(x)), self._temporary(source_of(y))
        return self._temporary(f"({second.source} if {second.source} < {first.source} else {first.source})")

    def maximum(self, x: Any, y: Any) -> Symbol:
        # what the builtin max(x, y) returns, without the cost of calling it
        first, second = self._temporary(source_of(x)), self._temporary(source_of(y))
        return self._temporary(f"({second.source} if {second.source} > {first.source} else {first.source})")

    def power(self, base: Any, exponent: Any) -> Symbol:
        return self._temporary(f"({source_of(base)} ** {source_of(exponent)})")

    def cos(self, x: Any) -> Symbol:
        return self._temporary(f"_cos({source_of(x)})")

    def exp2(self, x: Any) -> Symbol:
        return self._temporary(f"(2.0 ** {source_of(x)})")

    def to_float(self, x: Any) -> Any:
        return x

    def apply(self, fn: Callable[[float], float], x: Any) -> Symbol:
        name = f"_fn{len(self.globals)}"
        self.globals[name] = fn
        return self._temporary(f"_finite_factor({name}(float({source_of(x)})), {source_of(x)})")


def compile_formula(formula: Callable[[Any, SourceOps], Any],
                    otherwise: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Trace ``formula(iteration, ops)`` on a symbol and compile it into a function of one number.

    The function computes the formula for a plain ``int`` or ``float`` in ``[0, 2**53)`` and hands anything
    else (numpy values, bad input) to `otherwise`. With a user's function inside, the result is checked to be
    finite. Temporaries used once are written inline and unused ones
    dropped, so it does no extra work.

    Examples:
        >>> f = compile_formula(lambda i, ops: ops.fmod(i, 4.0) / 2.0 + 1.0, otherwise=lambda i: "other")
        >>> f(5.0), f(-1), f("x")
        (1.5, 'other', 'other')
    """
    ops = SourceOps()
    result = source_of(formula(Symbol("i"), ops))
    statements: list[tuple[str, str]] = []
    for name, source in reversed(ops.temporaries):
        later = " ".join([result, *(text for _, text in statements)])
        uses = len(re.findall(rf"\b{name}\b", later))
        if uses == 1:
            result = re.sub(rf"\b{name}\b", lambda _: source, result)
            statements = [(other, re.sub(rf"\b{name}\b", lambda _: source, text)) for other, text in statements]
        elif uses > 1:
            statements.insert(0, (name, source))
    body = "".join(f"        {name} = {source}\n" for name, source in statements)
    if any(name.startswith("_fn") for name in ops.globals):
        result = f"_finite_lr({result}, i)"
    code = (f"def lr_of(i):\n"
            f"    if (i.__class__ is float or i.__class__ is int) and 0 <= i < _limit:\n"
            f"{body}        return {result}\n"
            f"    return _otherwise(i)\n")
    namespace = {**ops.globals, "_limit": ITERATION_LIMIT, "_finite_lr": finite_lr, "_otherwise": otherwise}
    exec(compile(code, "<clr_core compiled formula>", "exec"), namespace)  # noqa: S102 - our own source
    function: Callable[[float], float] = namespace["lr_of"]
    function.__doc__ = code
    return function
