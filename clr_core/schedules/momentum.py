"""Momentum as a first-class schedule: the lr mapped onto a momentum range, reversed.

Smith (arXiv:1803.09820) cycles momentum inversely to the lr: high momentum at low lr and the reverse. A
`Mirrored` schedule computes it from the lr schedule itself, so both always move together; `momentum_for`
picks the right one for a schedule (the one-cycle policy has its own, matching PyTorch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import _checks
from .._ops import MATH_OPS, ArrayOps
from .base import (
    Schedule,
    ScheduleBase,
    init_fields,
    lr_range_of,
    register_schedule_kind,
    schedule_from_config,
    schedule_to_config,
)


@register_schedule_kind
@dataclass(frozen=True)
class Mirrored(ScheduleBase):
    """``high - (high - low) * (lr - lr_low) / (lr_high - lr_low)``, clipped to ``[low, high]``.

    So the value is `high` when the lr of `schedule` is `lr_low` and `low` when it is `lr_high` (`high` for
    every lr when the range is empty).

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> momentum = Mirrored(CyclicSchedule(0.1, 0.5, step_size=2), lr_low=0.1, lr_high=0.5, low=0.85, high=0.95)
        >>> [round(momentum.value_at(i), 3) for i in range(5)]
        [0.95, 0.9, 0.85, 0.9, 0.95]
    """

    schedule: Schedule
    lr_low: float
    lr_high: float
    low: float = 0.85
    high: float = 0.95
    # ``high - low`` and ``lr_high - lr_low``, computed once (the same floats the formula would compute).
    span: float = field(init=False, repr=False, compare=False)
    width: float = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "mirrored"

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise TypeError(f"schedule must be a clr_core schedule, got {type(self.schedule).__name__}")
        lr_low = _checks.non_negative("lr_low", self.lr_low)
        lr_high = _checks.finite("lr_high", self.lr_high, low=lr_low, low_inclusive=True,
                                 range_text=f">= lr_low ({lr_low!r})")
        low = _checks.non_negative("low", self.low)
        high = _checks.finite("high", self.high, low=low, low_inclusive=True, range_text=f">= low ({low!r})")
        object.__setattr__(self, "span", high - low)
        object.__setattr__(self, "width", lr_high - lr_low)

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        if self.width == 0.0:
            return self.high + 0.0 * iteration
        return self._mirror(self.schedule.evaluate(iteration, ops), ops)

    def from_lr(self, lr: float) -> float:
        """The value for an lr of `schedule` computed already (a float): `value_at` of that lr's iteration.

        The state steps an lr and its momentum together and so evaluates the lr schedule once.
        """
        if self.width == 0.0:
            return self.high
        value: float = self._mirror(lr, MATH_OPS)
        return value

    def _mirror(self, lr: Any, ops: ArrayOps) -> Any:
        high = self.high
        return ops.maximum(ops.minimum(high - self.span * (lr - self.lr_low) / self.width, high), self.low)

    def lr_range(self) -> tuple[float, float]:
        """``(low, high)``: the value stays within them."""
        return self.low, self.high

    def to_config(self) -> dict[str, Any]:
        return {**self.describe(), "schedule": schedule_to_config(self.schedule)}

    @classmethod
    def from_config(cls, config: dict[str, Any], *, safe_mode: bool = True) -> Mirrored:
        arguments = _checks.config_keys("Mirrored config", config, init_fields(cls), ("schedule",))
        return cls(**{**arguments, "schedule": schedule_from_config(arguments["schedule"], safe_mode=safe_mode)})

    def describe(self) -> dict[str, Any]:
        return {"schedule": self.schedule.describe(), "lr_low": self.lr_low, "lr_high": self.lr_high,
                "low": self.low, "high": self.high}

    def restore(self, description: dict[str, Any]) -> Mirrored:
        fields = init_fields(type(self))
        saved = _checks.config_keys("saved mirrored schedule", description, fields, fields)
        return type(self)(**{**saved, "schedule": self.schedule.restore(saved["schedule"])})


def momentum_bounds(base_momentum: Any, max_momentum: Any, where: str = "") -> tuple[float, float]:
    """`base_momentum` and `max_momentum` checked (finite, in [0, 1), ``max >= base``), as floats.

    `where` (e.g. ``" (param group 2)"``) follows the argument names in the messages.

    Examples:
        >>> momentum_bounds(0.8, 0.9)
        (0.8, 0.9)
        >>> momentum_bounds(0.9, 0.8)
        Traceback (most recent call last):
        ...
        ValueError: max_momentum must be >= base_momentum (0.9), got 0.8
    """
    base = _checks.finite(f"base_momentum{where}", base_momentum, low=0.0, low_inclusive=True, high=1.0,
                          range_text="in [0, 1)")
    top = _checks.finite(f"max_momentum{where}", max_momentum, low=0.0, low_inclusive=True, high=1.0,
                         range_text="in [0, 1)")
    _checks.ordered("base_momentum", base, f"max_momentum{where}", top)
    return base, top


def momentum_for(schedule: Schedule, base_momentum: float = 0.85, max_momentum: float = 0.95) -> Schedule:
    """The momentum schedule that goes with `schedule`: `max_momentum` at its lowest lr, `base_momentum` at its highest.

    A `OneCycle` gives its own (PyTorch's phases); any other kind is mirrored over its `lr_range()` (a
    `Join`'s, warmup's included, is the union of its pieces'), so every built-in kind and every user kind
    with an `lr_range` works.

    Raises:
        TypeError: the kind has no `lr_range` (give it one, or build a `Mirrored` with the range yourself).

    Examples:
        >>> from clr_core import CosineRestarts, warmup
        >>> momentum = momentum_for(warmup(CosineRestarts(max_lr=1.0, period=4), steps=2), 0.8, 0.9)
        >>> [round(momentum.lr_at(i), 3) for i in range(4)]
        [0.9, 0.85, 0.8, 0.815]
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a clr_core schedule, got {type(schedule).__name__} "
                        f"{_checks.shown(schedule)}")
    base_momentum, max_momentum = momentum_bounds(base_momentum, max_momentum)
    own = getattr(schedule, "momentum", None)
    if callable(own):
        momentum: Schedule = own(base_momentum, max_momentum)
        return momentum
    try:
        low, high = lr_range_of(schedule)
    except TypeError as error:
        raise TypeError(f"momentum_for {error}, or build Mirrored(schedule, lr_low, lr_high, base_momentum, "
                        f"max_momentum) yourself") from error
    return Mirrored(schedule, low, high, base_momentum, max_momentum)
