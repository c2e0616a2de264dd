"""Scale functions: how much of the cycle's amplitude is used, as named, picklable, savable objects.

A scale function maps ``s`` (the cycle number, 1-based, or the cycle iteration count, depending on the
schedule's `scale_mode`) to a factor in [0, 1]. The built-ins are small frozen objects that a config names
(``{"name": "exp_range", "gamma": 0.99}``) and rebuilds; a user's own function is wrapped in `CustomScale`
and saved by the name it was registered under (`register_scale_fn`) or by its import path, which a config
resolves only when the caller allows it (``safe_mode=False``): loading data never imports code by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import _checks
from .._import_path import import_path_of, resolve_import_path
from .._ops import MATH_OPS, ArrayOps
from ._fingerprint import fingerprint

#: Functions the user registered by name (`register_scale_fn`): configs naming them load in safe mode.
REGISTERED_SCALES: dict[str, Callable[[float], float]] = {}



class ImportRefused(ValueError):
    """A config names an import path that loading may not import (safe mode): nothing was imported."""


ALLOW_IMPORT = ("pass safe_mode=False if you trust this config, or register the function with "
                "@clr_core.register_scale_fn in the code that loads it")


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
        name = registered_name(self.fn)
        if name is not None and ":" not in name:  # a name of the user's choosing, not an import path
            return {"registered": name}
        return {"import_path": name if name is not None else import_path_of(self.fn)}

    def describe(self) -> dict[str, Any]:
        """The function's name and code fingerprint (see `clr_core.fingerprint`), never the function."""
        return {"custom": self.function_name, "fingerprint": fingerprint(self.fn)}

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


def register_scale_fn(fn: Callable[[float], float] | None = None, *, name: str | None = None) -> Any:
    """Register a scale function by name, so that configs naming it load without ``safe_mode=False``.

    Use as ``@register_scale_fn`` or ``@register_scale_fn(name="my_decay")``; the default name is the
    function's import path (``"package.module:function"``), so configs saved before registering load too.
    Registering runs in your own code: a config can only name what you registered, never import anything.

    Examples:
        >>> @register_scale_fn(name="docs_halving")
        ... def halving(s):
        ...     return 0.5 ** (s - 1)
        >>> scale_from_config({"registered": "docs_halving"}).fn is halving
        True
    """
    def register(function: Callable[[float], float]) -> Callable[[float], float]:
        if not callable(function):
            raise TypeError(f"register_scale_fn takes a function, got {type(function).__name__} {function!r}")
        key = name if name is not None else _default_name(function)
        if not isinstance(key, str) or not key:
            raise TypeError(f"name must be a non-empty string, got {key!r}")
        earlier = REGISTERED_SCALES.get(key)
        if earlier is not None and earlier is not function:
            raise ValueError(f"a different scale function is already registered as {key!r}: {earlier!r}")
        REGISTERED_SCALES[key] = function
        return function

    return register if fn is None else register(fn)


def _default_name(fn: Any) -> str:
    """``"module:qualname"`` (not checked against the module: a decorator runs before the name is bound)."""
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise ValueError(f"{fn!r} has no import path to be registered under (a lambda, a local function or a "
                         f"callable object): give one, register_scale_fn(fn, name='my_name')")
    return f"{module}:{qualname}"


def registered_name(fn: Any) -> str | None:
    """The name `fn` is registered under (`register_scale_fn`), or None."""
    return next((key for key, value in REGISTERED_SCALES.items() if value is fn), None)


def scale_from_config(config: Any, *, safe_mode: bool = True) -> ScaleFunction:
    """Rebuild a scale function from `ScaleFunction.to_config()` output (or a bare import path string).

    Built-in functions (``{"name": ...}``) and registered ones (``{"registered": ...}``, or an import path
    that is registered) always load. Any other import path is imported only with ``safe_mode=False``; by
    default it is refused with a `ValueError` before anything is imported.
    """
    _checks.flag("safe_mode", safe_mode)
    if isinstance(config, str):
        return CustomScale(_custom_function(config, "import_path", safe_mode))
    if not isinstance(config, dict):
        raise TypeError(f"scale_fn config must be a dict or an import path string, got {_checks.shown(config, 200)}")
    for key in ("registered", "import_path"):
        if key in config:
            if len(config) != 1:
                raise ValueError(f"scale_fn config with {key!r} must hold nothing else, got "
                                 f"{_checks.shown(config, 200)}")
            return CustomScale(_custom_function(config[key], key, safe_mode))
    name = config.get("name")
    if not isinstance(name, str) or name not in BUILTIN_SCALES:
        known = ", ".join(repr(key) for key in BUILTIN_SCALES)
        raise ValueError(f"scale_fn config 'name' must be one of {known} (or give 'registered' or "
                         f"'import_path'), got {_checks.shown(config, 200)}")
    params = {key: value for key, value in config.items() if key != "name"}
    allowed = {"gamma"} if name == ExpRange.name else set()
    unknown = sorted(set(params) - allowed, key=str)
    if unknown:
        raise ValueError(f"scale_fn config for {name!r} has an unknown key {unknown[0]!r}")
    return BUILTIN_SCALES[name](**params)


def _custom_function(path: Any, key: str, safe_mode: bool) -> Callable[[float], float]:
    """The registered function named `path`, or (only with ``safe_mode=False``) the one it imports."""
    if not isinstance(path, str):
        raise TypeError(f"scale_fn config {key!r} must be a string, got {type(path).__name__} "
                        f"{_checks.shown(path, 100)}")
    found = REGISTERED_SCALES.get(path)
    if found is not None:
        return found
    if key == "registered":
        raise ValueError(f"scale_fn {path!r} is not registered; register it with "
                         f"@clr_core.register_scale_fn(name={path!r}) before loading")
    if safe_mode:
        raise ImportRefused(f"scale_fn import path {path!r} was not imported: loading a config runs no code "
                         f"unless allowed; {ALLOW_IMPORT}")
    return resolve_import_path(path)
