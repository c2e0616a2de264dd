"""`RangeTestResult`: what an LR range test saw, and the bounds and lrs it suggests.

Every suggestion reads one curve (the loss, or a metric such as validation accuracy) through the same
rules, each there for a reason seen on real runs:

1. **Skip a start window** (`skip_start`, default the first 10 steps, at most a fifth of them): the first
   batches of a fresh model, of a fresh optimizer (Adam's first steps) or of a shuffled loader are often
   far from the rest, and reading them makes the curve "fall" at once.
2. **Stop at the first non-finite value**: past it the run diverged and nothing more is learned.
3. **Smooth robustly**: a centred running median, then a centred running mean, each over about 10% of the
   points (`clr_core.range_test.curve`). Unlike an exponential average seeded with the first loss, it neither
   follows a wild batch for the next 50 steps nor lags behind the lr.
4. **An improvement must beat the noise**: the smoothed curve must improve by more than three times its
   own noise (the robust spread of the raw values around it in the curve's upper half, where the
   improvement starts, over the square root of the window), else there is no answer and the error says
   whether the curve was flat or only got worse (diverged at once).
5. **Bounds from the curve**: the curve is read up to its first valley: once it has made half its whole
   improvement, the first time it turns worse again by more than 10% of its improvement so far (and three
   times its noise) ends it, so
   a second dip after a blow-up (a linear model at huge lrs) is not taken for the best. `max_lr` where
   the improvement stops: where the smoothed curve first comes
   within `plateau_fraction` (5%) of its total improvement from its best. Curves often have a broad bottom
   (an accuracy plateau, a loss that creeps along before it blows up), and where exactly the best point of
   a broad bottom falls is noise; where the curve reaches it is not.
   `base_lr` where the improvement starts, read as an onset: the tangent at the steepest point of the
   smoothed curve, followed back to the worst level before the best. A threshold ("5% of the drop") would
   land wherever the plateau's noise first crosses it; the tangent rests on the whole fall, so it moves
   little with noise, with the seed or with `start_lr`. `base_lr` is at most ``max_lr / 3`` (Smith's ratio
   of 3 to 4) and never below the first lr read.
6. **Say when the answer is partial**: a `RangeTestWarning` when the curve was still improving at the end
   of the sweep (`max_lr` is then a lower bound: raise `end_lr`) or already improving where it was first
   read (the tangent meets the worst level within a window of the first point: `base_lr` may be too high,
   lower `start_lr`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

from .. import _checks
from ..schedules.base import Schedule
from .curve import noise_of, robust_trend, window_for
from .plan import plan_schedule

SKIP_START = 10
MIN_POINTS = 5
BOUNDS_RATIO = 3.0
WINDOW_FRACTION = 0.1
RISE_FRACTION = 0.1


class RangeTestWarning(UserWarning):
    """A range test suggestion comes with a caveat: the curve was still improving at one end of the sweep."""


@dataclass(frozen=True)
class _Reading:
    """One curve read by the rules: kept lrs, raw and smoothed values (lower is better), key indices."""

    name: str
    lrs: list[float]
    trend: list[float]
    top: int
    best: int
    skip: int
    window: int
    noise: float


@dataclass
class RangeTestResult:
    """What a range test saw, and the bounds it suggests.

    Attributes:
        lrs: the lr of each recorded step.
        losses: the raw training loss of each step.
        smoothed: the bias-corrected moving average of the losses that decided the early stop (NaN where a
            loss was not finite). The suggestions read the robust trend instead (see `trend`).
        stopped_early: True when the loss diverged before the sweep ended.
        metric_steps: the step indices after which the metrics were evaluated.
        metrics: name -> one value per entry of `metric_steps` (e.g. ``'val_loss'``, ``'val_accuracy'``).
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    stopped_early: bool = False
    metric_steps: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)

    def trend(self, metric: str | None = None, *, skip_start: int | None = None) -> tuple[list[float], list[float]]:
        """``(lrs, values)``: the robustly smoothed curve the suggestions read (rules 1-3 of the module).

        Args:
            metric: a name in `metrics`; None reads the training loss.
            skip_start: steps to leave out at the start; None: 10, at most a fifth of the steps.
        """
        lrs, values, _ = self._kept(metric, skip_start)
        window = window_for(len(values), fraction=WINDOW_FRACTION, smallest=self._smallest_window(metric))
        return lrs, robust_trend(values, window)

    def lr_at_minimum(self, *, skip_start: int | None = None) -> float:
        """The lr with the lowest smoothed loss: past it the loss stops falling."""
        reading = self._read(None, skip_start)
        return reading.lrs[reading.best]

    def suggest_bounds(self, *, metric: str | None = None, skip_start: int | None = None,
                       higher_is_better: bool | None = None, plateau_fraction: float = 0.05) -> tuple[float, float]:
        """``(base_lr, max_lr)`` as the paper reads the curve (rule 5 of the module).

        Args:
            metric: read this curve of `metrics` (Smith's accuracy method, e.g. ``'val_accuracy'``)
                instead of the training loss.
            skip_start: steps to leave out at the start; None: 10, at most a fifth of the steps.
            higher_is_better: the metric's direction; None: lower is better for names ending in ``'loss'``,
                higher for every other name (accuracy-like).
            plateau_fraction: `max_lr` is where the smoothed curve first comes within this share of its
                total improvement from its best, in (0, 1).

        Raises:
            ValueError: the curve gives no answer (too short, flat, or only getting worse); the message
                says which and what to change.
        """
        fraction = _checks.finite("plateau_fraction", plateau_fraction, low=0.0, low_inclusive=False, high=1.0,
                                  range_text="in (0, 1)")
        reading = self._read(metric, skip_start, higher_is_better)
        trend, top, best = reading.trend, reading.top, reading.best
        improvement = trend[top] - trend[best]
        max_index = next(k for k in range(top, best + 1) if trend[k] <= trend[best] + fraction * improvement)
        start = self._fall_start(reading)
        # The smoothing cannot tell an onset within a window of the first point from one before it.
        if start <= math.log(reading.lrs[min(reading.window, len(reading.lrs) - 1)]):
            warnings.warn(f"the {reading.name} was already improving where it was first read (lr "
                          f"{reading.lrs[0]:.3g}, after the first {reading.skip} steps): base_lr may be too high; "
                          f"lower start_lr to see where the improvement starts", RangeTestWarning, stacklevel=2)
        max_lr = reading.lrs[max_index]
        base_lr = max(min(math.exp(start), max_lr / BOUNDS_RATIO), reading.lrs[0])
        return base_lr, max_lr

    def schedule(self, *, epochs: int, steps_per_epoch: int, mode: str = "triangular", metric: str | None = None,
                 skip_start: int | None = None, higher_is_better: bool | None = None, **options: Any) -> Schedule:
        """A plan between the suggested bounds: a core schedule for `epochs` epochs that ends on a cycle boundary.

        The bounds are `suggest_bounds` (`metric`, `skip_start` and `higher_is_better` are passed to it); the
        step size is 2 to 8 epochs with a whole number of cycles in `epochs` (see
        `clr_core.range_test.plan.plan_schedule`). The default mode is ``'triangular'`` for now; the
        evaluation of the modes on the range test's panel will choose it.

        Args:
            epochs: the length of the run in epochs, an int >= 1 (>= 4 for a cyclic mode).
            steps_per_epoch: optimizer steps per epoch, an int >= 1.
            mode: ``'triangular'``, ``'triangular2'``, ``'exp_range'`` (a `CyclicSchedule` whose ``lr_range()``
                is the suggested pair) or ``'one_cycle'`` (a `OneCycle` from the suggested ``base_lr`` up to
                the suggested ``max_lr``, over the whole run).
            metric: read this curve instead of the training loss (see `suggest_bounds`).
            skip_start: steps to leave out at the start (see `suggest_bounds`).
            higher_is_better: the metric's direction (see `suggest_bounds`).
            **options: further arguments of the schedule: ``gamma`` (required with ``'exp_range'``),
                ``waveform``; ``pct_start``, ``anneal_strategy``, ... with ``'one_cycle'``.

        Raises:
            ValueError: no bounds (see `suggest_bounds`), or `epochs` too short for a cycle of 2 epochs a half
                (the message suggests ``mode='one_cycle'``).
        """
        bounds = self.suggest_bounds(metric=metric, skip_start=skip_start, higher_is_better=higher_is_better)
        return plan_schedule(bounds, epochs=epochs, steps_per_epoch=steps_per_epoch, mode=mode, **options)

    def suggest_lr(self, method: str = "steepest", *, skip_start: int | None = None) -> float:
        """One lr for a fixed-lr run, read from the smoothed loss (the module's rules 1-4 apply).

        - ``'steepest'``: where the smoothed loss falls fastest per unit of ``log(lr)`` (before the minimum).
        - ``'valley'``: two thirds of the way along the longest run of steps over which the smoothed loss
          kept falling, a point safely inside the good region.
        - ``'minimum/10'``: a tenth of the lr at the minimum smoothed loss.
        """
        _checks.choice("method", method, ("steepest", "valley", "minimum/10"))
        reading = self._read(None, skip_start)
        lrs, trend = reading.lrs, reading.trend
        if method == "minimum/10":
            return lrs[reading.best] / 10
        if method == "steepest":
            return math.exp(self._steepest(reading)[0])
        best_start, best_length, start = 0, 0, 0
        for k in range(1, len(trend)):
            if trend[k] >= trend[k - 1]:
                start = k
            elif k - start > best_length:
                best_start, best_length = start, k - start
        return lrs[best_start + (2 * best_length) // 3]

    @staticmethod
    def _extremes(values: list[float], trend: list[float], window: int, end: int) -> tuple[int, int, float]:
        """The best point of ``trend[:end]``, the worst before it, and the trend's noise (rule 4).

        The worst point is looked for past the first half window, where the trend is a full window's average
        (nearer the start its window shrinks, down to the one raw first value).
        """
        best = min(range(end), key=trend.__getitem__)
        top = max(range(min(window // 2, best), best + 1), key=trend.__getitem__)
        # The noise that matters is the noise where the curve starts to improve: in its upper half (a loss's
        # noise shrinks with the loss, and the many quiet points near the best would hide it).
        upper = [k for k in range(best + 1) if trend[k] >= (trend[best] + trend[top]) / 2]
        return best, top, noise_of([values[k] for k in upper], [trend[k] for k in upper]) / math.sqrt(window)

    @staticmethod
    def _first_valley(trend: list[float], noise: float, improvement: float) -> int:
        """The best point before the curve, having made half its whole `improvement`, turns worse again.

        Rule 5: plateau noise before the real improvement never ends the curve.
        """
        best, peak, worst = 0, trend[0], trend[0]
        for k, value in enumerate(trend):
            peak = max(peak, value)
            if value < trend[best]:
                best, worst = k, peak
            elif worst - trend[best] > max(3 * noise, improvement / 2) and \
                    value - trend[best] > max(3 * noise, RISE_FRACTION * (worst - trend[best])):
                break
        return best

    @staticmethod
    def _steepest(reading: _Reading) -> tuple[float, float, float]:
        """``(log_lr, value, slope)`` at the middle of the steepest stretch of half a window before the best."""
        lrs, trend, span = reading.lrs, reading.trend, max(1, reading.window // 2)
        if reading.best - reading.top < span:
            span = reading.best - reading.top
        segment = range(reading.top, reading.best - span + 1)

        def slope(k: int) -> float:
            return (trend[k + span] - trend[k]) / math.log(lrs[k + span] / lrs[k])

        k = min(segment, key=slope)
        middle = (math.log(lrs[k]) + math.log(lrs[k + span])) / 2
        return middle, (trend[k] + trend[k + span]) / 2, slope(k)

    def _fall_start(self, reading: _Reading) -> float:
        """The log lr where the tangent at the steepest point meets the worst level before the best point."""
        log_lr, value, slope = self._steepest(reading)
        return log_lr - (reading.trend[reading.top] - value) / -slope

    def _smallest_window(self, metric: str | None) -> int:
        return 5 if metric is None else 3

    def _kept(self, metric: str | None, skip_start: int | None) -> tuple[list[float], list[float], int]:
        """Rules 1-2: the ``(lr, value)`` points after the start window, up to the first non-finite value."""
        if metric is None:
            steps, values, name = list(range(len(self.losses))), self.losses, "loss"
        elif metric in self.metrics:
            steps, values, name = self.metric_steps, self.metrics[metric], metric
        else:
            raise ValueError(f"metric must be one of {sorted(self.metrics)} (the metrics this range test "
                             f"evaluated; pass validation data to the runner to get some), got {metric!r}")
        skip = min(SKIP_START, len(self.lrs) // 5) if skip_start is None else _checks.count("skip_start", skip_start)
        lrs: list[float] = []
        kept: list[float] = []
        for step, value in zip(steps, values):
            if step < skip:
                continue
            if not math.isfinite(value):
                break
            lrs.append(self.lrs[step])
            kept.append(float(value))
        if len(kept) < MIN_POINTS:
            raise ValueError(f"the range test recorded {len(kept)} finite {name} values after the first {skip} "
                             f"steps; at least {MIN_POINTS} are needed to suggest an lr (run more steps, evaluate "
                             f"more often, or lower skip_start)")
        return lrs, kept, skip

    def _read(self, metric: str | None, skip_start: int | None, higher_is_better: bool | None = None) -> _Reading:
        """Rules 1-4: the kept points, smoothed, with the worst point before the best; raise if no answer."""
        lrs, values, skip = self._kept(metric, skip_start)
        name = "loss" if metric is None else metric
        if higher_is_better is None:
            higher_is_better = not name.endswith("loss")
        _checks.flag("higher_is_better", higher_is_better)
        sign = -1.0 if higher_is_better else 1.0
        values = [sign * value for value in values]
        window = window_for(len(values), fraction=WINDOW_FRACTION, smallest=self._smallest_window(metric))
        trend = robust_trend(values, window)
        best, top, noise = self._extremes(values, trend, window, len(trend))
        best = self._first_valley(trend, noise, trend[top] - trend[best])
        best, top, noise = self._extremes(values, trend, window, best + 1)
        improvement = trend[top] - trend[best]
        worse, better = ("fell", "rose") if higher_is_better else ("rose", "fell")
        if improvement <= max(3 * noise, 1e-3 * abs(trend[top])):
            if self.stopped_early or trend[-1] - trend[0] > 3 * noise:
                raise ValueError(f"the smoothed {name} only {worse} from the first lr read ({lrs[0]:.3g}, after "
                                 f"the first {skip} steps): the sweep diverged at once; lower start_lr")
            raise ValueError(f"the smoothed {name} never {better} by more than its noise ({improvement:.3g} against "
                             f"{noise:.3g}) between lr {lrs[0]:.3g} and {lrs[-1]:.3g}: raise end_lr, check that "
                             f"the model can learn, or run more steps")
        if best == len(trend) - 1 and not self.stopped_early:
            warnings.warn(f"the smoothed {name} was still improving at the end of the sweep (lr {lrs[-1]:.3g}): "
                          f"max_lr is a lower bound; raise end_lr", RangeTestWarning, stacklevel=3)
        return _Reading(name, lrs, trend, top, best, skip, window, noise)
