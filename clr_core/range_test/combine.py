"""`combine_range_tests`: one pair of bounds from several range tests, robust to an odd sweep out.

One sweep reads one batch order; on a shallow or noisy curve a single order can land the suggestion far from
where the others do. Sweeping again over other orders and taking the median of the suggestions (in log lr,
one per sweep) keeps any minority of odd sweeps from moving the answer, and their spread tells how sure it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..schedules.base import Schedule
from .plan import plan_schedule
from .result import RangeTestResult


@dataclass(frozen=True)
class CombinedBounds:
    """The median bounds of several range tests, with each test's own suggestion and their spread.

    Attributes:
        base_lr: the median of the suggested `base_lr` values (in log lr); never above `max_lr`, as no test's
            `base_lr` is above its own `max_lr`.
        max_lr: the median of the suggested `max_lr` values (in log lr).
        each: every answering test's ``(base_lr, max_lr)``, in the order given.
        refused: how many tests gave no answer (their `suggest_bounds` raised ValueError).
    """

    base_lr: float
    max_lr: float
    each: tuple[tuple[float, float], ...]
    refused: int

    @property
    def spread(self) -> float:
        """The largest suggested `max_lr` over the smallest: 1.0 when every sweep agreed."""
        tops = [pair[1] for pair in self.each]
        return max(tops) / min(tops)

    def bounds(self) -> tuple[float, float]:
        """``(base_lr, max_lr)``, as `RangeTestResult.suggest_bounds` gives them."""
        return self.base_lr, self.max_lr

    def schedule(self, *, epochs: int, steps_per_epoch: int, mode: str = "triangular", **options: Any) -> Schedule:
        """A plan between the combined bounds, as `RangeTestResult.schedule` builds one from a single test."""
        return plan_schedule(self.bounds(), epochs=epochs, steps_per_epoch=steps_per_epoch, mode=mode, **options)


def combine_range_tests(results: Sequence[RangeTestResult], *, metric: str | None = None,
                        skip_start: int | None = None, higher_is_better: bool | None = None) -> CombinedBounds:
    """The median of the bounds several range tests suggest, each read by `RangeTestResult.suggest_bounds`.

    Tests that give no answer are counted in ``refused`` and left out, so one sweep that saw nothing does not
    sink the others; a `RangeTestWarning` of any test reaches the caller as it would from that test alone.

    Args:
        results: one or more `RangeTestResult`, e.g. sweeps of the same model over other batch orders.
        metric: the curve to read (see `RangeTestResult.suggest_bounds`).
        skip_start: steps to leave out at the start of each curve.
        higher_is_better: the metric's direction.

    Raises:
        ValueError: no results, or no test gave an answer (the message is the first test's reason).
        TypeError: an entry of `results` is not a `RangeTestResult`.

    Examples:
        >>> import math
        >>> from clr_core import RangeSweep, RangeTest
        >>> def sweep(shift):  # a valley in log lr, at 0.1 / shift: flat, falling, then blowing up
        ...     def loss(lr):
        ...         x = math.log10(lr * shift)
        ...         return 2.0 if x < -4 else 2.0 - 0.5 * (x + 4) if x < -1 else 0.5 + 10 * (x + 1) ** 2
        ...     test = RangeTest(RangeSweep(1e-7, 10.0, num_iter=400), beta=0.0)
        ...     test.run(loss)
        ...     return test.result()
        >>> combined = combine_range_tests([sweep(1.0), sweep(2.0), sweep(100.0)])  # one odd sweep out
        >>> combined.bounds() == sweep(2.0).suggest_bounds(), round(combined.spread), combined.refused
        (True, 100, 0)
    """
    if not isinstance(results, Sequence):
        raise TypeError(f"results must be a sequence of RangeTestResult, got {type(results).__name__}")
    if not results:
        raise ValueError("results must hold at least one RangeTestResult, got an empty sequence")
    for index, result in enumerate(results):
        if not isinstance(result, RangeTestResult):
            raise TypeError(f"results[{index}] must be a RangeTestResult, got {type(result).__name__}")
    each: list[tuple[float, float]] = []
    reasons: list[str] = []
    for result in results:
        try:
            each.append(result.suggest_bounds(metric=metric, skip_start=skip_start, higher_is_better=higher_is_better))
        except ValueError as reason:
            reasons.append(str(reason))
    if not each:
        raise ValueError(f"none of the {len(results)} range tests gave bounds; the first said: {reasons[0]}")
    max_lr = _log_median([pair[1] for pair in each])
    return CombinedBounds(_log_median([pair[0] for pair in each]), max_lr, tuple(each), len(reasons))


def _log_median(values: list[float]) -> float:
    """The median in log space: the middle value, or the geometric mean of the two middle values."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    low, high = ordered[middle - 1], ordered[middle]
    return min(low * math.sqrt(high / low), high)  # between the two, whatever the rounding
