"""Robust smoothing of a range-test curve: a running median, then a running mean (standard library only).

A range test's loss is one mini-batch per step, so it is noisy and now and then wild (an odd batch, the first
steps of a fresh model). A moving average alone follows every outlier for a while; a median of the
neighbours ignores isolated ones, and a mean over the medians then takes out the remaining jitter. Both
windows are centred, so the trend does not lag behind the lr the way an exponential average does.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence


def window_for(count: int, *, fraction: float = 0.05, smallest: int = 5) -> int:
    """An odd window of about `fraction` of `count` points, at least `smallest` and at most `count` (odd).

    Examples:
        >>> window_for(100), window_for(300), window_for(4)
        (5, 15, 3)
    """
    window = max(smallest, round(fraction * count))
    window = min(window, count)
    return max(1, window if window % 2 else window - 1)


def _running(values: Sequence[float], window: int, reduce: Callable[[Sequence[float]], float]) -> list[float]:
    half = window // 2
    # Near the ends the window shrinks symmetrically, so an end value is never pulled toward one side only.
    return [reduce(values[k - min(half, k, len(values) - 1 - k): k + min(half, k, len(values) - 1 - k) + 1])
            for k in range(len(values))]


def robust_trend(values: Sequence[float], window: int) -> list[float]:
    """The running median of `values` over `window` points, then the running mean of that over `window`.

    Examples:
        >>> robust_trend([1.0, 1.0, 9.0, 1.0, 1.0], 3)  # one wild value leaves no trace
        [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    return _running(_running(list(values), window, statistics.median), window, statistics.fmean)


def noise_of(values: Sequence[float], trend: Sequence[float]) -> float:
    """The spread of `values` around `trend`: 1.4826 x the median absolute residual (a robust std).

    Examples:
        >>> noise_of([1.0, 2.0, 1.0, 2.0], [1.5, 1.5, 1.5, 1.5])
        0.7413
    """
    return 1.4826 * statistics.median(abs(value - level) for value, level in zip(values, trend))
