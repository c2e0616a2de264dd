"""`Anneal`: one value moving to another over a number of steps: linearly, along half a cosine, or as 1 - sqrt."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import _checks
from .._ops import ArrayOps
from .base import ScheduleBase, register_schedule_kind

SHAPES = ("linear", "cosine", "1-sqrt")


@register_schedule_kind
@dataclass(frozen=True)
class Anneal(ScheduleBase):
    """`start` at iteration 0 to `end` at iteration `steps`, then `end` for ever.

    With ``p = min(i / steps, 1)``: ``'linear'`` gives ``start + (end - start) * p``, ``'cosine'`` gives
    ``end + (start - end) * (1 + cos(pi * p)) / 2`` (PyTorch's one-cycle annealing functions), ``'1-sqrt'``
    gives ``end + (start - end) * (1 - sqrt(p))`` (the cooldown of Hägele et al. 2024, arXiv:2405.18392: a
    fast first fall, a slow approach to `end`). The values may be learning rates or momenta.

    The cosine is computed as ``start * sin(pi * q / 2)**2 + end * sin(pi * p / 2)**2`` with ``q = 1 - p``
    taken from the steps left (``(steps - i) / steps``): two terms >= 0, so nothing cancels (the textbook
    form loses the small term near either end, in float32 most of all), and ``start`` and ``end`` are exact
    at ``p = 0`` and ``p = 1`` whatever their ratio.

    Examples:
        >>> [Anneal(1.0, 0.0, 4).lr_at(i) for i in range(6)]
        [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
        >>> round(Anneal(1.0, 0.0, 4, shape="cosine").lr_at(1), 4)
        0.8536
        >>> Anneal(1.0, 0.0, 4, shape="1-sqrt").lr_at(1)
        0.5
    """

    start: float
    end: float
    steps: float
    shape: str = "linear"
    kind: ClassVar[str] = "anneal"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _checks.non_negative("start", self.start))
        object.__setattr__(self, "end", _checks.non_negative("end", self.end))
        object.__setattr__(self, "steps", _checks.positive("steps", self.steps))
        _checks.choice("shape", self.shape, SHAPES)

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        progress = ops.minimum(iteration / self.steps, 1.0)
        if self.shape == "linear":
            return (self.end - self.start) * progress + self.start
        if self.shape == "cosine":
            start_weight = ops.sin(math.pi / 2.0 * (ops.maximum(self.steps - iteration, 0.0) / self.steps))
            end_weight = ops.sin(math.pi / 2.0 * progress)
            value = self.start * (start_weight * start_weight) + self.end * (end_weight * end_weight)
        else:  # "1-sqrt": two weighted terms, as the cosine: exact ends whatever the ratio of start to end
            root = ops.power(progress, 0.5)
            # 1 - root as (1 - p) / (1 + root): no cancellation near the end, where a power that rounds the
            # other way (numpy's against Python's) made 1 - root 2**-53 instead of 0 on the last step of 2**53
            value = self.start * ((1.0 - progress) / (1.0 + root)) + self.end * root
        # The two weights sum to 1 only up to rounding: a value one ulp past `start` or `end` is put back.
        low, high = self.lr_range()
        return ops.minimum(ops.maximum(value, low), high)

    def lr_range(self) -> tuple[float, float]:
        """The lowest and highest value: `start` and `end`, in order."""
        return min(self.start, self.end), max(self.start, self.end)

    def to_config(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "steps": self.steps, "shape": self.shape}
