"""`CosineRestarts`: cosine annealing with warm restarts (SGDR, Loshchilov & Hutter, arXiv:1608.03983)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import _checks
from .._ops import ArrayOps
from .base import ScheduleBase, register_schedule_kind


@register_schedule_kind
@dataclass(frozen=True)
class CosineRestarts(ScheduleBase):
    """Half a cosine from the peak down to `min_lr` in each cycle, then a restart.

    Cycle ``k`` (0-based) lasts ``period * period_mult**k`` iterations; at ``t`` iterations into it::

        lr = min_lr + (max_lr - min_lr) * decay**k * (1 + cos(pi * t / T_k)) / 2

    With ``decay == 1`` this is PyTorch's ``CosineAnnealingWarmRestarts(T_0=period, T_mult=period_mult,
    eta_min=min_lr)`` for a base lr of `max_lr`. After `cycles` cycles (when given) the lr stays at `min_lr`.

    Args:
        max_lr: the first peak, a finite float >= `min_lr`.
        period: the first cycle's length in iterations, a float > 0.
        period_mult: each cycle is this many times longer than the one before, a float >= 1.
        min_lr: the floor, a finite float >= 0.
        decay: each cycle's peak amplitude is this fraction of the previous one, in (0, 1].
        cycles: how many cycles to run before holding `min_lr`, an int in [1, 2**53], or None for no limit.

    Examples:
        >>> schedule = CosineRestarts(max_lr=1.0, period=4, min_lr=0.0)
        >>> [round(schedule.lr_at(i), 3) for i in range(6)]
        [1.0, 0.854, 0.5, 0.146, 1.0, 0.854]
    """

    max_lr: float
    period: float
    period_mult: float = 1.0
    min_lr: float = 0.0
    decay: float = 1.0
    cycles: int | None = None
    kind: ClassVar[str] = "cosine_restarts"

    def __post_init__(self) -> None:
        """Check every argument and keep it as a float (an int for `cycles`), as every kind does.

        So a `Fraction`, a numpy float16 or an int too large for a float is refused or converted here, and
        the formula only ever meets floats: every accepted argument gives finite lrs at every iteration.
        """
        min_lr = _checks.non_negative("min_lr", self.min_lr)
        max_lr = _checks.non_negative("max_lr", self.max_lr)
        _checks.ordered("min_lr", min_lr, "max_lr", max_lr)
        values = {
            "min_lr": min_lr, "max_lr": max_lr,
            "period": _checks.positive("period", self.period),
            "period_mult": _checks.finite("period_mult", self.period_mult, low=1.0, low_inclusive=True,
                                          range_text=">= 1"),
            "decay": _checks.finite("decay", self.decay, low=0.0, low_inclusive=False, high=1.0,
                                    high_inclusive=True, range_text="in (0, 1]"),
        }
        if self.cycles is not None:
            values["cycles"] = _checks.count("cycles", self.cycles, low=1, high=_checks.STEP_LIMIT)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self._check_countable()

    def _check_countable(self) -> None:
        """Refuse cycles so short that counting them up to 2**53 iterations overflows a float."""
        mult = float(self.period_mult)
        growth = math.log10(mult - 1.0) + math.log10(mult) if mult > 1.0 else 0.0
        if math.log10(_checks.ITERATION_LIMIT) - math.log10(self.period) + growth > 300.0:
            raise ValueError(f"period must be long enough to count cycles up to 2**53 iterations: period="
                             f"{_checks.shown(self.period)} with period_mult={_checks.shown(self.period_mult)} "
                             f"gives more cycles than a float can hold; use a longer period or a smaller period_mult")

    def cycle_start(self, k: Any, ops: ArrayOps) -> Any:
        """The first iteration of cycle `k`."""
        if self.period_mult == 1.0:
            return k * self.period
        return self.period * (ops.power(self.period_mult, k) - 1.0) / (self.period_mult - 1.0)

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        if self.period_mult == 1.0:  # the position in the cycle by fmod, exact (as the cyclic formula's)
            into = ops.fmod(iteration, self.period)
            k = ops.floor((iteration - into) / self.period + 0.5)
            length = self.period
        else:  # invert cycle_start, then correct the rounding of the logarithm by one cycle either way
            ratio = iteration * (self.period_mult - 1.0) / self.period + 1.0
            k = ops.floor(ops.log(ratio) / math.log(self.period_mult))
            k = ops.where(iteration < self.cycle_start(k, ops), k - 1.0, k)
            k = ops.where(iteration >= self.cycle_start(k + 1.0, ops), k + 1.0, k)
            length = self.period * ops.power(self.period_mult, k)
            into = iteration - self.cycle_start(k, ops)
        # (1 + cos(pi * t)) / 2 as sin(pi * (1 - t) / 2)**2, from the steps left: nothing cancels at the end
        half = ops.sin(math.pi / 2.0 * ((length - into) / length))
        lr = self.min_lr + (self.max_lr - self.min_lr) * ops.power(self.decay, k) * (half * half)
        if self.cycles is not None:
            lr = ops.where(k >= self.cycles, self.min_lr, lr)
        return lr

    def lr_range(self) -> tuple[float, float]:
        """``(min_lr, max_lr)``: the floor and the first peak (later peaks decay towards the floor)."""
        return self.min_lr, self.max_lr

    def to_config(self) -> dict[str, Any]:
        return {"max_lr": self.max_lr, "period": self.period, "period_mult": self.period_mult,
                "min_lr": self.min_lr, "decay": self.decay, "cycles": self.cycles}
