"""The LR range test (Smith, arXiv:1506.01186, section 3.3): sweep the lr upward, watch the loss.

Train for a few hundred steps while the lr grows from `start_lr` to `end_lr`; the loss first stays flat, then
falls, then turns up. The lr where it starts to fall is a good `base_lr`; the lr where it stops falling a good
`max_lr`. This module holds the framework-free half: the sweep (`RangeSweep`, a schedule), the bookkeeping
with smoothing and early stop (`RangeTest`), and the result with its suggestions (`RangeTestResult`). Each
adapter adds a thin runner that trains its model through it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from . import _checks
from .base import ScheduleBase
from .ops import ArrayOps
from .progress import ProgressBar
from .protocol import register_schedule_kind

SWEEPS = ("exponential", "linear")


@register_schedule_kind
@dataclass(frozen=True)
class RangeSweep(ScheduleBase):
    """The lr of step ``k`` of a range test: from `start_lr` at ``k = 0`` to `end_lr` at ``k = num_iter - 1``.

    ``'exponential'``: ``start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))`` (even steps on a log axis,
    the usual choice); ``'linear'``: ``start_lr + (end_lr - start_lr) * k / (num_iter - 1)`` (Smith's
    original). Past the end the lr stays at `end_lr`.

    Examples:
        >>> sweep = RangeSweep(1e-4, 1.0, num_iter=5)
        >>> [round(sweep.lr_at(k), 6) for k in range(5)]
        [0.0001, 0.001, 0.01, 0.1, 1.0]
    """

    start_lr: float = 1e-7
    end_lr: float = 10.0
    num_iter: int = 100
    sweep: str = "exponential"
    kind: ClassVar[str] = "range_sweep"

    def __post_init__(self) -> None:
        start = _checks.positive("start_lr", self.start_lr)
        end = _checks.positive("end_lr", self.end_lr)
        if end <= start:
            raise ValueError(f"end_lr must be > start_lr ({start!r}), got {self.end_lr!r}")
        num_iter = _checks.count("num_iter", self.num_iter)
        if num_iter < 2:
            raise ValueError(f"num_iter must be an int >= 2, got {self.num_iter!r}")
        _checks.choice("sweep", self.sweep, SWEEPS)
        object.__setattr__(self, "start_lr", start)
        object.__setattr__(self, "end_lr", end)

    def evaluate(self, iteration: Any, ops: ArrayOps) -> Any:
        fraction = ops.minimum(iteration / (self.num_iter - 1), 1.0)
        if self.sweep == "linear":
            return self.start_lr + (self.end_lr - self.start_lr) * fraction
        return self.start_lr * ops.power(self.end_lr / self.start_lr, fraction)

    def to_config(self) -> dict[str, Any]:
        return {"start_lr": self.start_lr, "end_lr": self.end_lr, "num_iter": self.num_iter, "sweep": self.sweep}


class RangeTest:
    """Bookkeeping for one range test: record each step's loss, smooth it, and decide when to stop.

    The loss is smoothed with an exponential moving average ``avg = beta * avg + (1 - beta) * loss``,
    bias-corrected by ``1 - beta**k`` so early values are not pulled toward 0. The test stops early when the
    smoothed loss exceeds ``diverge_factor`` times its best, or when a loss is NaN or infinite.

    Args:
        sweep: the `RangeSweep` to follow.
        beta: smoothing factor in [0, 1); 0 means no smoothing.
        diverge_factor: stop when smoothed loss > factor * best smoothed loss; a float > 1.

    Examples:
        >>> test = RangeTest(RangeSweep(0.01, 1.0, num_iter=3))
        >>> [test.record(loss) for loss in (3.0, 2.0, 30.0)]
        [True, True, False]
        >>> test.result().stopped_early
        True
    """

    def __init__(self, sweep: RangeSweep, *, beta: float = 0.98, diverge_factor: float = 4.0) -> None:
        if not isinstance(sweep, RangeSweep):
            raise TypeError(f"sweep must be a clr_core.RangeSweep, got {type(sweep).__name__}")
        self.sweep = sweep
        self.beta = _checks.finite("beta", beta, low=0.0, low_inclusive=True, high=1.0, range_text="in [0, 1)")
        self.diverge_factor = _checks.finite("diverge_factor", diverge_factor, low=1.0, low_inclusive=False,
                                             range_text="> 1")
        self._lrs: list[float] = []
        self._losses: list[float] = []
        self._smoothed: list[float] = []
        self._average = 0.0
        self._best = math.inf
        self._stopped_early = False
        self._lr = sweep.lr_at(0)

    @property
    def lr(self) -> float:
        """The lr the next step should run at."""
        return self._lr

    @property
    def done(self) -> bool:
        """True once `num_iter` steps are recorded or the loss diverged."""
        return self._stopped_early or len(self._lrs) >= self.sweep.num_iter

    def record(self, loss: float) -> bool:
        """Record the loss of the step just run at `lr`; return True while the test should go on."""
        if self.done:
            raise RuntimeError("the range test is over; read result() instead of recording more steps")
        loss = float(loss)
        self._lrs.append(self._lr)
        self._losses.append(loss)
        self._lr = self.sweep.lr_at(len(self._lrs))
        if not math.isfinite(loss):
            self._smoothed.append(math.nan)
            self._stopped_early = True
            return False
        self._average = self.beta * self._average + (1 - self.beta) * loss
        smoothed = self._average / (1 - self.beta ** len(self._losses))
        self._smoothed.append(smoothed)
        if smoothed > self.diverge_factor * self._best:
            self._stopped_early = True
        self._best = min(self._best, smoothed)
        return not self.done

    def run(self, train_step: Callable[[float], float], *, progress: bool = True) -> RangeTestResult:
        """Call ``train_step(lr)`` (one training step at `lr`, returning the loss to record) until done.

        The adapters' runners are this loop around their framework's step; a progress bar goes to stderr.

        Examples:
            >>> test = RangeTest(RangeSweep(0.01, 1.0, num_iter=4), beta=0.0)
            >>> [round(loss, 3) for loss in test.run(lambda lr: 1.0 - lr, progress=False).losses]
            [0.99, 0.954, 0.785, 0.0]
        """
        bar = ProgressBar(self.sweep.num_iter, "LR range test", enabled=progress)
        try:
            while not self.done:
                lr = self._lr
                loss = float(train_step(lr))
                self.record(loss)
                if progress:
                    bar.advance(note=f"lr {lr:.2e} loss {loss:.4g}")
        finally:
            bar.close()
        return self.result()

    def result(self) -> RangeTestResult:
        """The lrs, raw and smoothed losses recorded so far."""
        return RangeTestResult(list(self._lrs), list(self._losses), list(self._smoothed), self._stopped_early)


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
        max_lr = falling[-1][0]
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
            return falling[-1][0] / 10
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
