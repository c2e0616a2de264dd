"""`WSD`: warmup, stable, decay (Hägele et al. 2024, arXiv:2405.18392), and a cooldown branched from a checkpoint.

A linear warmup from 0 to `max_lr`, `max_lr` held, then a decay to `min_lr` over the last `decay_steps` of
the run (by default the paper's 1 - sqrt cooldown). Because the stable phase is a constant, a run can be
trained once at `max_lr` and cooled down from any of its checkpoints without retraining: `WSD.cooldown_from`
gives the plan that decays from that step, and ``load_state_dict(state, plan="current")`` continues the
checkpoint's counters and history with it (docs/policies/wsd.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import _checks
from .._ops import ArrayOps
from .anneal import SHAPES, Anneal
from .base import Schedule, ScheduleBase, register_schedule_kind
from .join import Join


@register_schedule_kind
@dataclass(frozen=True)
class WSD(ScheduleBase):
    """Warmup-stable-decay: 0 -> `max_lr` over `warmup_steps`, `max_lr`, then a decay to `min_lr`.

    With ``d = total_steps - decay_steps`` (where the decay starts) and ``p = min((i - d) / decay_steps, 1)``::

        i < warmup_steps:       lr = max_lr * i / warmup_steps
        warmup_steps <= i < d:  lr = max_lr
        i >= d:                 lr = min_lr + (max_lr - min_lr) * f(p)

    with ``f(p) = 1 - sqrt(p)`` (``'1-sqrt'``), ``1 - p`` (``'linear'``) or ``(1 + cos(pi * p)) / 2``
    (``'cosine'``). The decay reaches `min_lr` at ``i = total_steps``, the first iteration after the run (as
    optax's ``join_schedules`` of the same phases), and holds it after.

    Args:
        max_lr: the stable lr, a finite float > 0.
        total_steps: the optimizer steps of the whole run, an int in [1, 2**53].
        warmup_steps: steps of the linear warmup from 0, an int >= 0 (0: none).
        decay_steps: steps of the decay at the end of the run, an int >= 1;
            ``warmup_steps + decay_steps <= total_steps``.
        shape: the form of the decay: ``'1-sqrt'``, ``'linear'`` or ``'cosine'`` (as `Anneal`).
        min_lr: the lr the decay ends at, a finite float in [0, max_lr].

    Examples:
        >>> schedule = WSD(1.0, total_steps=10, warmup_steps=2, decay_steps=4)
        >>> [round(schedule.lr_at(i), 3) for i in range(11)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.293, 0.134, 0.0]
    """

    max_lr: float
    total_steps: int
    warmup_steps: int
    decay_steps: int
    shape: str = "1-sqrt"
    min_lr: float = 0.0
    kind: ClassVar[str] = "wsd"
    phases: Schedule = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        max_lr = _checks.positive("max_lr", self.max_lr)
        min_lr = _checks.non_negative("min_lr", self.min_lr)
        _checks.ordered("min_lr", min_lr, "max_lr", max_lr)
        total = _checks.count("total_steps", self.total_steps, low=1, high=_checks.STEP_LIMIT)
        warmup = _checks.count("warmup_steps", self.warmup_steps)
        decay = _checks.count("decay_steps", self.decay_steps, low=1)
        if warmup + decay > total:
            raise ValueError(f"warmup_steps + decay_steps must be <= total_steps ({total}), got {warmup} + {decay}")
        _checks.choice("shape", self.shape, SHAPES)
        object.__setattr__(self, "max_lr", max_lr)
        object.__setattr__(self, "min_lr", min_lr)
        decay_start = total - decay
        pieces: list[tuple[int, Schedule]] = []
        if warmup:
            pieces.append((0, Anneal(0.0, max_lr, warmup)))
        if decay_start > warmup:
            pieces.append((warmup, Anneal(max_lr, max_lr, decay_start - warmup)))
        pieces.append((decay_start, Anneal(max_lr, min_lr, decay, self.shape)))
        phases = pieces[0][1] if len(pieces) == 1 else Join([piece for _, piece in pieces],
                                                            [start for start, _ in pieces[1:]])
        object.__setattr__(self, "phases", phases)

    @property
    def decay_start(self) -> int:
        """The iteration the decay starts at, ``total_steps - decay_steps``."""
        return self.total_steps - self.decay_steps

    def cooldown_from(self, step: int, decay_steps: int | None = None) -> WSD:
        """The same run decaying from `step` on: a cooldown branched from a checkpoint of the stable phase.

        It equals this schedule up to `step` (so the lr is continuous at the seam, `max_lr`) and then decays
        over `decay_steps` (default this schedule's) with the same shape to the same `min_lr`. Load the
        checkpoint's state into a scheduler built with it with ``plan="current"``.

        Args:
            step: the checkpoint's step count, an int in ``[warmup_steps, decay_start]``.
            decay_steps: steps of the cooldown, an int >= 1; None: ``self.decay_steps``.

        Examples:
            >>> stable = WSD(1.0, total_steps=1000, warmup_steps=10, decay_steps=100)
            >>> cooldown = stable.cooldown_from(400, decay_steps=50)
            >>> cooldown.total_steps, cooldown.lr_at(399), cooldown.lr_at(450)
            (450, 1.0, 0.0)
        """
        step = _checks.count("step", step)
        if not self.warmup_steps <= step <= self.decay_start:
            raise ValueError(f"step must be in the stable phase, [{self.warmup_steps}, {self.decay_start}] (between "
                             f"the warmup and the decay), for a cooldown that starts at max_lr; got {step}")
        decay = self.decay_steps if decay_steps is None else _checks.count("decay_steps", decay_steps, low=1)
        return WSD(self.max_lr, step + decay, self.warmup_steps, decay, self.shape, self.min_lr)

    def lr_range(self) -> tuple[float, float]:
        """``(lowest, max_lr)``: 0 with a warmup (its first lr), else `min_lr`."""
        return (0.0 if self.warmup_steps else self.min_lr), self.max_lr

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        return self.phases.evaluate(iteration, ops)

    def to_config(self) -> dict[str, Any]:
        return {"max_lr": self.max_lr, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps,
                "decay_steps": self.decay_steps, "shape": self.shape, "min_lr": self.min_lr}
