"""`OneCycle`: Smith's one-cycle policy (arXiv:1803.09820) as a join of annealing phases.

It matches `torch.optim.lr_scheduler.OneCycleLR` step for step: the same phase ends (fractional, as
PyTorch computes them), the same annealing functions, and a matching momentum schedule (`momentum`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import _checks
from .._ops import ArrayOps
from .anneal import Anneal
from .base import ScheduleBase, register_schedule_kind
from .join import AFTER, Join
from .momentum import momentum_bounds

STRATEGIES = {"cos": "cosine", "linear": "linear"}


@register_schedule_kind
@dataclass(frozen=True)
class OneCycle(ScheduleBase):
    """Warm up from ``max_lr / div_factor`` to `max_lr`, then anneal to ``max_lr / div_factor / final_div_factor``.

    Phases (``t`` = `total_steps`, ``p`` = `pct_start`), as in PyTorch's ``OneCycleLR``:

    - two-phase: initial -> max over iterations ``[0, p*t - 1]``, then max -> min until ``t - 1``;
    - three-phase: initial -> max until ``p*t - 1``, max -> initial until ``2*p*t - 2``, then initial -> min
      until ``t - 1``.

    Args:
        max_lr: the peak, a finite float > 0.
        total_steps: the optimizer steps of the whole run, an int in [2, 2**53].
        pct_start: the fraction of the run spent rising, in (0, 1) (three-phase: in (0, 0.5)).
        anneal_strategy: ``'cos'`` or ``'linear'``.
        div_factor: ``initial_lr = max_lr / div_factor``, a float >= 1.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``, a float >= 1.
        three_phase: use the three-phase variant.
        after: past the last step, ``'hold'`` min_lr, ``'repeat'``, or ``'raise'`` (see `Join`).

    Examples:
        >>> schedule = OneCycle(max_lr=1.0, total_steps=10, anneal_strategy="linear", div_factor=10.0,
        ...                     final_div_factor=1.0)
        >>> [round(schedule.lr_at(i), 3) for i in range(10)]
        [0.1, 0.55, 1.0, 0.871, 0.743, 0.614, 0.486, 0.357, 0.229, 0.1]
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    after: str = "hold"
    kind: ClassVar[str] = "one_cycle"
    phases: Join = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _checks.positive("max_lr", self.max_lr)
        total = _checks.count("total_steps", self.total_steps, low=2, high=_checks.STEP_LIMIT)
        _checks.finite("pct_start", self.pct_start, low=0.0, low_inclusive=False, high=1.0, range_text="in (0, 1)")
        _checks.choice("anneal_strategy", self.anneal_strategy, STRATEGIES)
        for name in ("div_factor", "final_div_factor"):
            _checks.finite(name, getattr(self, name), low=1.0, low_inclusive=True, range_text=">= 1")
        _checks.flag("three_phase", self.three_phase)
        _checks.choice("after", self.after, AFTER)
        ends = self._phase_ends(total)
        if ends[0] <= 0 or any(later <= earlier for earlier, later in zip(ends, ends[1:])):
            raise ValueError(f"pct_start * total_steps must leave every phase at least one step: pct_start="
                             f"{self.pct_start!r} with total_steps={self.total_steps!r} gives phase ends {ends}")
        object.__setattr__(self, "phases", self.shaped(self.initial_lr, self.max_lr, self.min_lr))

    @property
    def initial_lr(self) -> float:
        """The first lr, ``max_lr / div_factor``."""
        return self.max_lr / self.div_factor

    @property
    def min_lr(self) -> float:
        """The last lr, ``initial_lr / final_div_factor``."""
        return self.initial_lr / self.final_div_factor

    def _phase_ends(self, total: int) -> list[float]:
        if self.three_phase:
            return [self.pct_start * total - 1, 2 * self.pct_start * total - 2, total - 1.0]
        return [self.pct_start * total - 1, total - 1.0]

    def shaped(self, start: float, peak: float, end: float) -> Join:
        """This run's phases with other values: ``start -> peak -> end`` (three-phase: via ``start``)."""
        ends = self._phase_ends(self.total_steps)
        values = [start, peak, start, end] if self.three_phase else [start, peak, end]
        shape = STRATEGIES[self.anneal_strategy]
        starts = [0.0, *ends[:-1]]
        pieces = [Anneal(values[k], values[k + 1], ends[k] - starts[k], shape) for k in range(len(ends))]
        return Join(pieces, starts[1:], length=float(self.total_steps), after=self.after)

    def momentum(self, base_momentum: float = 0.85, max_momentum: float = 0.95) -> Join:
        """The matching momentum schedule: `max_momentum` -> `base_momentum` while the lr rises, and back.

        PyTorch's ``cycle_momentum``.
        """
        base, top = momentum_bounds(base_momentum, max_momentum)
        return self.shaped(top, base, top)

    def lr_range(self) -> tuple[float, float]:
        """``(min_lr, max_lr)`` (the lowest of the run is its last lr)."""
        return self.phases.lr_range()

    def lr_at(self, iteration: Any) -> Any:
        return self.phases.lr_at(iteration)

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        return self.phases.evaluate(iteration, ops)

    def to_config(self) -> dict[str, Any]:
        return {"max_lr": self.max_lr, "total_steps": self.total_steps, "pct_start": self.pct_start,
                "anneal_strategy": self.anneal_strategy, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor, "three_phase": self.three_phase, "after": self.after}
