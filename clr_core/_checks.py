"""Argument checks shared by every constructor: one place that words the errors.

Each check names the argument, the allowed range and the value received, and raises `TypeError` for a value
of the wrong kind (bools and strings included) and `ValueError` for a number out of range (NaN and
infinities included).
"""

from __future__ import annotations

import math
import numbers
import reprlib
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, cast

#: Iterations are accepted in [0, 2**53): every whole number there is an exact float, and the formula is exact.
ITERATION_LIMIT = 2.0**53


def real(name: str, value: Any) -> float:
    """Return `value` as a float, or raise `TypeError` if it is not a real number (bools refused).

    An int too large for a float becomes an infinity, which the range checks then refuse.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float), got {type(value).__name__} {shown(value)}")
    try:
        return float(value)
    except OverflowError:
        return math.inf if cast(float, value) > 0 else -math.inf  # an int too large for a float


def fits_dtype(face: str, schedule: Any, dtype: str, largest: float) -> None:
    """Refuse a schedule whose highest value (``lr_range()[1]``) is above `largest`, the top of `dtype`.

    For the faces that hand the optimizer float32 (or floatx) values: a larger bound would become ``inf``
    there. A kind without an ``lr_range`` cannot be told and is let through.
    """
    lr_range = getattr(schedule, "lr_range", None)
    if not callable(lr_range):
        return
    high = lr_range()[1]
    if isinstance(high, (int, float)) and high > largest:
        raise ValueError(f"{face} computes in {dtype}, which holds values up to {largest!r}, but this "
                         f"{type(schedule).__name__} reaches {high!r} (its max_lr, or its highest bound); "
                         f"scale the bounds into {dtype}'s range")


def shown(value: Any, width: int = 60) -> str:
    """A preview of `value` for a message: at most `width` characters, built without a whole ``repr``.

    Containers show their first items and nesting its first levels (``reprlib``), so a 20-million-element
    list or a list nested 100,000 deep costs as little as a number; a ``__repr__`` that fails shows the type.

    Examples:
        >>> shown(list(range(10**6)))
        '[0, 1, 2, 3, 4, 5, ...]'
        >>> shown(10**400)
        '100000000000000000000000000000000000000000000000000000000...'
    """
    try:
        text = _PREVIEW.repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else f"{text[:width - 3]}..."


_PREVIEW = reprlib.Repr()
_PREVIEW.maxlevel, _PREVIEW.maxstring, _PREVIEW.maxother, _PREVIEW.maxlong = 3, 200, 200, 400
_PREVIEW.maxdict = _PREVIEW.maxlist = _PREVIEW.maxtuple = 6


def finite(name: str, value: Any, *, low: float, low_inclusive: bool, high: float = math.inf,
           high_inclusive: bool = False, range_text: str) -> float:
    """Return `value` as a float if it is a finite number inside the range, else raise naming `range_text`."""
    number = real(name, value)
    above = number >= low if low_inclusive else number > low
    below = number <= high if high_inclusive else number < high
    if not (math.isfinite(number) and above and below):
        raise ValueError(f"{name} must be a finite number {range_text}, got {shown(value)}")
    return number


def non_negative(name: str, value: Any) -> float:
    """A finite number >= 0 (learning rates)."""
    return finite(name, value, low=0.0, low_inclusive=True, range_text=">= 0")


def ordered(low_name: str, low: float, high_name: str, high: Any) -> None:
    """Raise `ValueError` unless ``high >= low`` (both already checked numbers; `high` as received)."""
    if float(high) < low:
        raise ValueError(f"{high_name} must be >= {low_name} ({low!r}), got {shown(high)}")


def positive(name: str, value: Any) -> float:
    """A finite number > 0 (step sizes)."""
    return finite(name, value, low=0.0, low_inclusive=False, range_text="> 0")


def choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    """One of the `allowed` strings, or a `ValueError` that lists them."""
    options = tuple(allowed)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name} must be one of {listed}, got {shown(value)}")
    return value


#: The most steps (or cycles) a schedule can be asked to count: every iteration it meets is below 2**53.
STEP_LIMIT = 2**53


def count(name: str, value: Any, low: int = 0, high: int | None = None) -> int:
    """A whole number >= `low` (iteration counters, sizes), ints only; at most `high` when given.

    A count that the formulas divide by or compare with floats gets ``high=STEP_LIMIT``: a larger int
    would overflow a float there instead of being refused here.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {low}, got {type(value).__name__} {shown(value)}")
    number = int(value)
    if number < low:
        raise ValueError(f"{name} must be an int >= {low}, got {shown(value)}")
    if high is not None and number > high:
        limit = "2**53" if high == STEP_LIMIT else str(high)
        raise ValueError(f"{name} must be an int in [{low}, {limit}], got {shown(value)}")
    return number


def flag(name: str, value: Any) -> bool:
    """True or False, nothing else (not 0, 1 or None)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {shown(value)}")
    return value


def config_keys(owner: str, config: Any, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any]:
    """`config` as a dict, refusing a non-mapping (`TypeError`), an unknown key or a missing one (`ValueError`).

    Examples:
        >>> config_keys("Anneal config", {"start": 1.0, "speed": 2}, ("start", "end"))
        Traceback (most recent call last):
        ...
        ValueError: Anneal config has an unknown key 'speed' (allowed: 'start', 'end')
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"{owner} must be a dict, got {type(config).__name__} {shown(config, 200)}")
    options = tuple(allowed)
    for key in config:
        if key not in options:
            listed = ", ".join(repr(option) for option in options)
            raise ValueError(f"{owner} has an unknown key {shown(key, 100)} (allowed: {listed})")
    for key in required:
        if key not in config:
            raise ValueError(f"{owner} lacks the key {key!r}")
    return dict(config)


def scale_factor(factor: Any, s: Any) -> float:
    """A scale function's `factor` as a float in [0, 1], or a `ValueError` naming it and `s`.

    Outside [0, 1] the lr leaves ``[base_lr, max_lr]`` (negative: gradient ascent); NaN and infinity are
    never a rate.

    Examples:
        >>> scale_factor(-0.5, 3.0)
        Traceback (most recent call last):
        ...
        ValueError: scale_fn returned -0.5 for s=3.0; it must return a number in [0, 1] (the share of the amplitude)
    """
    try:
        value = float(factor)
    except (TypeError, ValueError, OverflowError) as error:
        raise TypeError(f"scale_fn returned {shown(factor, 100)} for s={float(s)!r}; it must return a "
                        f"number") from error
    if not 0.0 <= value <= 1.0:  # NaN fails both comparisons
        raise ValueError(f"scale_fn returned {factor!r} for s={float(s)!r}; it must return a number in [0, 1] "
                         f"(the share of the amplitude)")
    return value


def scale_factors(factors: Any, s: Any) -> Any:
    """`factors` (a numpy array) as it is if all are in [0, 1], else `scale_factor`'s error for the first bad one.

    `s` holds the arguments the factors were computed for, an array of the same shape.

    Examples:
        >>> import numpy
        >>> scale_factors(numpy.array([0.5, 2.0]), numpy.array([1.0, 2.0]))
        Traceback (most recent call last):
        ...
        ValueError: scale_fn returned 2.0 for s=2.0; it must return a number in [0, 1] (the share of the amplitude)
    """
    if factors.size and not (factors.min() >= 0.0 and factors.max() <= 1.0):  # NaN fails too
        bad = int((~((factors >= 0.0) & (factors <= 1.0))).reshape(-1).argmax())
        scale_factor(float(factors.reshape(-1)[bad]), float(s.reshape(-1)[bad]))
    return factors


def per_item(name: str, value: Any, count: int, item: str = "param group") -> list[Any]:
    """`value` repeated `count` times, or a list/tuple of exactly `count` values as a list.

    The "one value or one per param group / per schedule" rule every face shares; `item` names the unit in
    the message.

    Examples:
        >>> per_item("base_lr", 0.1, 2), per_item("base_lr", (0.1, 0.2), 2)
        ([0.1, 0.1], [0.1, 0.2])
        >>> per_item("max_lr", [0.1], 2, "schedule")
        Traceback (most recent call last):
        ...
        ValueError: max_lr must be one value or a list of 2 (one per schedule), got 1 values: [0.1]
    """
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{name} must be one value or a list of {count} (one per {item}), "
                             f"got {len(value)} values: {shown(list(value), 200)}")
        return list(value)
    return [value] * count


def renamed(name: str, value: Any, old_name: str, old_value: Any, where: str) -> Any:
    """`value`, or `old_value` given under the deprecated `old_name` (with a `DeprecationWarning`).

    `None` means "not given"; both given is a `TypeError`. The warning points at the caller of `where`.

    Examples:
        >>> renamed("validation_data", [1], "val_data", None, "range_test")
        [1]
    """
    if old_value is None:
        return value
    if value is not None:
        raise TypeError(f"pass {name} only ({old_name} is its deprecated name), not both")
    warnings.warn(f"{where}({old_name}=...) is deprecated: use {name}=", DeprecationWarning, stacklevel=3)
    return old_value
