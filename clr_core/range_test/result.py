"""`RangeTestResult`: what an LR range test saw, and the bounds and lrs it suggests."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import _checks


@dataclass
class RangeTestResult:
    """What a range test saw, and the bounds it suggests.

    Attributes:
        lrs: the lr of each recorded step.
        losses: the raw training (or validation) loss of each step.
        smoothed: the bias-corrected moving average of the losses (NaN where a loss was not finite).
        stopped_early: True when the loss diverged before the sweep ended.
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    stopped_early: bool = False

    def _finite_points(self) -> list[tuple[float, float]]:
        return [(lr, loss) for lr, loss in zip(self.lrs, self.smoothed) if math.isfinite(loss)]

    def _falling_part(self) -> list[tuple[float, float]]:
        """The points up to the minimum smoothed loss; raise if the loss never fell."""
        points = self._finite_points()
        if len(points) < 3:
            raise ValueError(f"the range test recorded {len(points)} finite losses; at least 3 are needed to "
                             f"suggest an lr (run more steps or lower start_lr)")
        lowest = min(range(len(points)), key=lambda k: points[k][1])
        first = points[0][1]
        if lowest == 0 or points[lowest][1] >= first * (1 - 1e-3):
            raise ValueError("the smoothed loss never fell during the sweep: raise end_lr, check that the "
                             "model can learn, or smooth less (lower beta)")
        return points[: lowest + 1]

    def lr_at_minimum(self) -> float:
        """The lr with the lowest smoothed loss: past it the loss stops falling."""
        return self._falling_part()[-1][0]

    def suggest_bounds(self, start_fraction: float = 0.05) -> tuple[float, float]:
        """``(base_lr, max_lr)`` as the paper reads the curve.

        `max_lr` is where the smoothed loss stops falling (its minimum). `base_lr` is where it starts
        falling: the first lr at which the smoothed loss has covered `start_fraction` of its total drop from
        the first value to the minimum, capped at ``max_lr / 3`` (Smith's rule of thumb for the ratio) so the
        cycle keeps a useful range.
        """
        fraction = _checks.finite("start_fraction", start_fraction, low=0.0, low_inclusive=False, high=1.0,
                                  range_text="in (0, 1)")
        falling = self._falling_part()
        first, lowest = falling[0][1], falling[-1][1]
        max_lr = self.lr_at_minimum()
        threshold = first - fraction * (first - lowest)
        base_lr = next(lr for lr, loss in falling if loss <= threshold)
        return min(base_lr, max_lr / 3), max_lr

    def suggest_lr(self, method: str = "steepest") -> float:
        """One lr for a fixed-lr run.

        - ``'steepest'``: where the smoothed loss falls fastest per unit of ``log(lr)`` (before the minimum).
        - ``'valley'``: two thirds of the way along the longest run of steps over which the smoothed loss
          kept falling, a point safely inside the good region.
        - ``'minimum/10'``: a tenth of the lr at the minimum smoothed loss.
        """
        _checks.choice("method", method, ("steepest", "valley", "minimum/10"))
        falling = self._falling_part()
        if method == "minimum/10":
            return self.lr_at_minimum() / 10
        if method == "steepest":
            slopes = [(b_loss - a_loss) / (math.log(b_lr) - math.log(a_lr)) if b_lr != a_lr else 0.0
                      for (a_lr, a_loss), (b_lr, b_loss) in zip(falling, falling[1:])]
            steepest = min(range(len(slopes)), key=lambda k: slopes[k])
            return falling[steepest][0]
        points = self._finite_points()
        best_start, best_length, start = 0, 0, 0
        for k in range(1, len(points)):
            if points[k][1] >= points[k - 1][1]:
                start = k
            elif k - start > best_length:
                best_start, best_length = start, k - start
        return points[best_start + (2 * best_length) // 3][0]
