"""Scale functions: how much of the cycle's amplitude is used, as named, picklable, savable objects.

A scale function maps ``s`` (the cycle number, 1-based, or the cycle iteration count, depending on the
schedule's `scale_mode`) to a factor, normally in [0, 1]. The built-ins are small frozen objects that a
config names (``{"name": "exp_range", "gamma": 0.99}``) and rebuilds; a user's own function is wrapped in
`CustomScale` and saved by its import path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import _checks
from .._import_path import import_path_of, resolve_import_path
from .._ops import MATH_OPS, ArrayOps


class ScaleFunction:
    """Base of every scale function: `__call__` for one float, `evaluate` for any array kind."""

    name: ClassVar[str] = ""

    def __call__(self, s: float) -> float:
        return float(self.evaluate(float(s), MATH_OPS))

    def evaluate(self, s: Any, ops: ArrayOps) -> Any:
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe description that `scale_from_config` turns back into an equal object."""
        return {"name": self.name}

    def describe(self) -> dict[str, Any]:
        """Plain data naming this function; unlike `to_config` it never fails (see `CustomScale`)."""
        return self.to_config()


@dataclass(frozen=True)
class Triangular(ScaleFunction):
    """``1``: every cycle spans the full range ``[base_lr, max_lr]``.

    Examples:
        >>> Triangular()(7)
        1.0
    """

    name: ClassVar[str] = "triangular"

    def evaluate(self, s: Any, ops: ArrayOps) -> Any:
        return 1.0


@dataclass(frozen=True)
class Triangular2(ScaleFunction):
    """``1 / 2**(s - 1)``: the amplitude halves each cycle. Underflows to 0, never overflows.

    Examples:
        >>> [Triangular2()(s) for s in (1, 2, 3)], Triangular2()(5000)
        ([1.0, 0.5, 0.25], 0.0)
    """

    name: ClassVar[str] = "triangular2"

    def evaluate(self, s: Any, ops: ArrayOps) -> Any:
        return ops.exp2(1.0 - s)


@dataclass(frozen=True)
class ExpRange(ScaleFunction):
    """``gamma**s`` with ``0 < gamma <= 1``: the amplitude decays by `gamma` per unit of ``s``.

    In ``mode='exp_range'`` ``s`` is the iteration; as a `scale_fn` it is what `scale_mode` says (pass
    ``scale_mode='iterations'`` for the same decay as the mode, ``'cycle'`` for one step of decay a cycle).

    Examples:
        >>> ExpRange(0.5)(3)
        0.125
    """

    gamma: float = 1.0
    name: ClassVar[str] = "exp_range"

    def __post_init__(self) -> None:
        gamma = _checks.finite("gamma", self.gamma, low=0.0, low_inclusive=False, high=1.0,
                               high_inclusive=True, range_text="in (0, 1]")
        object.__setattr__(self, "gamma", gamma)

    def evaluate(self, s: Any, ops: ArrayOps) -> Any:
        return ops.power(self.gamma, s)

    def to_config(self) -> dict[str, Any]:
        return {"name": self.name, "gamma": self.gamma}


@dataclass(frozen=True, eq=False)
class CustomScale(ScaleFunction):
    """A user's function of one float. Saved by import path; a lambda can be described but not saved."""

    fn: Callable[[float], float]

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise TypeError(f"scale_fn must be callable or None, got {type(self.fn).__name__} {self.fn!r}")

    @property
    def function_name(self) -> str:
        """The function's qualified name, which a restored state must match."""
        return getattr(self.fn, "__qualname__", type(self.fn).__qualname__)

    def __call__(self, s: float) -> float:
        return self.fn(s)

    def evaluate(self, s: Any, ops: ArrayOps) -> Any:
        return ops.apply(self.fn, s)

    def to_config(self) -> dict[str, Any]:
        return {"import_path": import_path_of(self.fn)}

    def describe(self) -> dict[str, Any]:
        return {"custom": self.function_name}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CustomScale) and other.fn is self.fn

    def __hash__(self) -> int:
        return hash(self.fn)


triangular = Triangular()
triangular2 = Triangular2()


def exp_range(gamma: float) -> ExpRange:
    """The built-in ``gamma**s`` scale function, as a savable object.

    ``scale_fn=exp_range(0.999)`` with ``scale_mode='iterations'`` decays every iteration (as
    ``mode='exp_range'``), with ``'cycle'`` every cycle.
    """
    return ExpRange(gamma)


BUILTIN_SCALES: dict[str, Callable[..., ScaleFunction]] = {
    Triangular.name: Triangular,
    Triangular2.name: Triangular2,
    ExpRange.name: ExpRange,
}


def as_scale_function(fn: Any) -> ScaleFunction:
    """A `ScaleFunction` for a user's `scale_fn`: a built-in object stays itself, anything else is wrapped."""
    return fn if isinstance(fn, ScaleFunction) else CustomScale(fn)


def scale_from_config(config: Any) -> ScaleFunction:
    """Rebuild a scale function from `ScaleFunction.to_config()` output (or a bare import path string)."""
    if isinstance(config, str):
        return CustomScale(resolve_import_path(config))
    if not isinstance(config, dict):
        raise TypeError(f"scale_fn config must be a dict or an import path string, got {config!r}")
    if "import_path" in config:
        return CustomScale(resolve_import_path(config["import_path"]))
    name = config.get("name")
    if name not in BUILTIN_SCALES:
        known = ", ".join(repr(key) for key in BUILTIN_SCALES)
        raise ValueError(f"scale_fn config name must be one of {known} (or give an 'import_path'), "
                         f"got {config!r}")
    params = {key: value for key, value in config.items() if key != "name"}
    return BUILTIN_SCALES[name](**params)
