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
4. **Read up to the first valley**: the curve ends where, after a real fall (5% of its level and three times
   its noise), it is back at the level where that fall started, or, once it has made half its whole
   improvement, where it turns worse again by more than 10% of it (and three times its noise), so a second
   dip after a blow-up (a linear model at huge lrs) is not taken for the best. The *start level* is
   the worst point of the trend before that valley: where its fall started. A metric's curve does not end
   before the training loss has made half its fall: until then nothing is learned, and a metric's rise and
   fall there is noise (on Keras' bars CNN one seed's validation accuracy went from 0.26 to 0.30 and back
   while the loss was flat, and read a `max_lr` 240 times below the loss's).
5. **Something must have been learned**: the improvement from the start level to the valley must beat three
   times the trend's noise (the robust spread of the raw values around it in the curve's upper half, over
   the square root of the window) and be at least 5% of the start level (`NO_LEARNING`). Otherwise the
   `ValueError` says the test saw no learning, and what to try. A model fed random labels, or stuck on a
   plateau, learns only the class prior: its loss fell 0% to 3% in 10 sweeps on two of the evaluation's
   problems, every real problem's 9% or more. A metric (validation accuracy) is read only when the
   training loss itself shows learning: a metric's rise on a model that learned nothing is noise.
   "Diverged at once" is said only when the sweep stopped early and the curve was never flat (already
   above its start level within the first window read). A fall of 5% to 10% of the start level
   (`LITTLE_LEARNING`) still gives bounds, with a `RangeTestWarning`.
6. **The cliff**: the first lr past the valley at which the trend has climbed back 90% of its fall towards the
   start level (`CLIFF_RECOVERY`; on a straight line in log(lr) between the two points around it), or, when the
   sweep stopped early (diverged) before that, the last lr of the sweep. Not all of the way back: a model that
   dies past the valley settles at the loss of a constant guess, which lies below the start level when a fresh
   model's first outputs are worse than a uniform guess (Keras' Glorot initialisation of the panel's bars CNN
   starts at 1.44 to 1.53, chance is ln 4 = 1.39), and read all the way back the cliff waited for the loss to
   blow up, up to 13x later. The cliff is a sharp feature, so where it lies moves little with the batches'
   noise, the seed or `start_lr`; the position of the valley's lowest point, on a shallow noisy curve, is
   itself noise (the rule before this one read `max_lr` there and moved 13x to 20x across seeds on unseen
   problems). A metric's cliff is never past the training loss's: past that the training itself is unstable,
   however long a validation accuracy holds (with noisy labels it held 9x longer, and CLR between bounds read
   there lost 17 points of accuracy).
7. **Step back from the cliff**: ``max_lr = cliff / 8`` and ``base_lr = max_lr / 4`` (Smith's ratio of 3 to 4).
   The factors were first measured on six problems of another panel (the issue that asked for these rules) and
   are judged on this project's own panel (`make eval-range-test`: six problems the rules were not written on
   and the four they were, five seeds in torch, three or five in Keras; docs/range_test.md has the tables): CLR
   triangular between these bounds against the best of 8 fixed lrs. An *adaptive* optimizer (`adaptive`: Adam,
   AdamW, RMSprop, Adagrad, ..., which scale each update by running statistics of the gradients) steps back 32
   instead of 8: a weight moves by about the lr whatever its gradient, and the loss comes back up further past
   the lrs that train best (a median 45 times the best fixed lr on eleven such problems, against 21 on seven
   with SGD, though both vary from problem to problem; measured with the cliff read all the way back). 32 is
   where CLR between the bounds did best on a grid of `max_lr` over ten problems trained with Adam or AdamW in
   torch, and it is judged on the panel, in Keras too, and on two problems with RMSprop and Adagrad; with a
   step back of 8, CLR had lost 0.04 of accuracy on the panel's GRU (Adam).
8. **Say how sure**: `bounds_uncertainty()` gives the range of each bound over the lrs where the trend is
   within two of its noise levels of its level at the cliff (one sweep's noise; other seeds move
   the bounds more, see the panel's spread).
9. **Say when the answer is partial**: a `RangeTestWarning` when the curve never climbed back 90% of its fall
   towards its start level and the sweep did not stop (`max_lr` is a lower bound: raise `end_lr`), or was
   already improving where it was first read (the tangent at the steepest point meets the start level within a
   window of the first point: the start level, so the cliff, may be too low; lower `start_lr`).
10. **Two valleys far apart**: past the cliff the curve may fall again to a deeper valley, a decade or more
    further on (`FAR_APART`), as with unnormalised inputs, whose first batches give huge, noisy losses. The
    bounds still come from the first valley, the safer (lower) one: lrs past a cliff have been seen to
    train to a one-class predictor. A `RangeTestWarning` names both, and how to read the second if the
    first is only early noise.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from .. import _checks
from ..schedules.cyclic import CyclicSchedule
from ..schedules.one_cycle import OneCycle
from .curve import noise_of, robust_trend, window_for
from .plan import plan_schedule
from .saving import result_from_json, result_to_json

SKIP_START = 10
MIN_POINTS = 5
WINDOW_FRACTION = 0.1
RISE_FRACTION = 0.1
NO_LEARNING = 0.05
LITTLE_LEARNING = 0.10
CLIFF_STEP_BACK = 8.0
ADAPTIVE_STEP_BACK = 32.0
BOUNDS_RATIO = 4.0
CLIFF_RECOVERY = 0.9
BAND_NOISES = 2.0
FAR_APART = 10.0


class RangeTestWarning(UserWarning):
    """A range test suggestion comes with a caveat (little learned, or the curve cut off at one end)."""


class _NoLearning(ValueError):
    """The training loss shows that nothing was learned: no curve of this sweep can give bounds."""


@dataclass(frozen=True)
class _Reading:
    """One curve read by the rules: kept lrs, smoothed values (lower is better), key indices, the cliff."""

    name: str
    lrs: list[float]
    trend: list[float]
    top: int
    best: int
    skip: int
    window: int
    noise: float
    cliff: float
    cliff_found: bool
    loss: _Reading | None = None  # the training loss's reading, when its cliff came first


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
        adaptive: True when the sweep's optimizer scales each update by running statistics of the gradients
            (Adam, AdamW, RMSprop, Adagrad, ...): `max_lr` then steps back 32 from the cliff instead of 8
            (rule 7). The runners set it from the optimizer.
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    stopped_early: bool = False
    metric_steps: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    adaptive: bool = False

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The result as JSON text (plain data), also written to `path` when given; `from_json` reads it back."""
        return result_to_json(self, path)

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> RangeTestResult:
        """The result `to_json` saved: `source` is its text (a `str`) or its file (a path object, not a `str`).

        Loading is as safe as loading a state: bounded JSON, every field checked, nothing imported or called.
        """
        return result_from_json(source)

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
        """The lr with the lowest smoothed loss before it first turns up again (rule 4)."""
        reading = self._read(None, skip_start)
        return reading.lrs[reading.best]

    def suggest_bounds(self, *, metric: str | None = None, skip_start: int | None = None,
                       higher_is_better: bool | None = None) -> tuple[float, float]:
        """``(base_lr, max_lr)``: ``max_lr`` a step back from the cliff, ``base_lr`` a quarter of it (rules 4-7).

        The step back is a factor 8, or 32 for an `adaptive` optimizer. How sure the pair is comes from
        `bounds_uncertainty`.

        Args:
            metric: read this curve of `metrics` (Smith's accuracy method, e.g. ``'val_accuracy'``)
                instead of the training loss.
            skip_start: steps to leave out at the start; None: 10, at most a fifth of the steps.
            higher_is_better: the metric's direction; None: lower is better for names ending in ``'loss'``,
                higher for every other name (accuracy-like).

        Raises:
            ValueError: the curve gives no answer (too short, nothing learned, or diverged at once); the
                message says which and what to try.
        """
        reading = self._read(metric, skip_start, higher_is_better, warn=True)
        return self._bounds_from(reading.cliff)

    def bounds_uncertainty(self, *, metric: str | None = None, skip_start: int | None = None,
                           higher_is_better: bool | None = None) -> tuple[tuple[float, float], tuple[float, float]]:
        """``((base_low, base_high), (max_low, max_high))``: where each bound could lie given the curve's noise.

        The cliff is read where the trend has climbed back 90% of its fall; with the trend's own noise it could
        have been read anywhere the trend is within two noise levels of that level (rule 8), and each bound
        follows the cliff. This is the uncertainty of one sweep: another seed moves the bounds more (the
        evaluation panel's spread is in docs/range_test.md). Arguments as in `suggest_bounds`, which raises
        the same errors; no warnings here.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RangeTestWarning)
            reading = self._read(metric, skip_start, higher_is_better)
        reading = reading.loss or reading
        level, margin = self._cliff_level(reading), BAND_NOISES * reading.noise
        low = self._crossing(reading, level - margin) or reading.cliff
        high = self._crossing(reading, level + margin) or reading.cliff
        low, high = min(low, reading.cliff), max(high, reading.cliff)
        (base_low, max_low), (base_high, max_high) = self._bounds_from(low), self._bounds_from(high)
        return (base_low, base_high), (max_low, max_high)

    def schedule(self, *, epochs: int, steps_per_epoch: int, mode: str = "triangular", metric: str | None = None,
                 skip_start: int | None = None, higher_is_better: bool | None = None,
                 **options: Any) -> CyclicSchedule | OneCycle:
        """A plan between the suggested bounds: a core schedule for `epochs` epochs that ends on a cycle boundary.

        The bounds are `suggest_bounds` (`metric`, `skip_start` and `higher_is_better` are passed to it); the
        step size is 2 to 8 epochs with a whole number of cycles in `epochs` (see
        `clr_core.range_test.plan.plan_schedule`). The default mode, ``'triangular'``, is the evaluation's
        choice (`make eval-range-test`, docs/choosing.md): on the panel, 8 epochs, 10 seeds, ``'one_cycle'``
        between the same bounds was ahead by 0.013 to 0.019 accuracy on the GRU, behind by 0.009 to 0.012 on
        BatchNorm+dropout, trained one seed of the bars CNN to chance with SGD, and was within 0.01 everywhere
        else, so the plan keeps the cyclical policy the bounds are read for.

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
        """One lr for a fixed-lr run, read from the smoothed loss (the module's rules 1-5 apply).

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
    def _crossing(reading: _Reading, level: float) -> float | None:
        """The first lr past the valley where the trend reaches `level`; None if it never does (rule 6).

        Read on a straight line in log(lr) between the two points that straddle the level, so it does not jump
        from one recorded lr to the next (a metric evaluated every few steps has few points).
        """
        lrs, trend = reading.lrs, reading.trend
        k = next((k for k in range(reading.best + 1, len(trend)) if trend[k] >= level), None)
        if k is None:
            return None
        part = (level - trend[k - 1]) / (trend[k] - trend[k - 1])
        return float(lrs[k - 1] * (lrs[k] / lrs[k - 1]) ** part)

    @staticmethod
    def _second_valley(reading: _Reading) -> int | None:
        """Rule 10: the index of a valley past the cliff, deeper than the first and `FAR_APART` from it, or None."""
        if reading.loss is not None or not reading.cliff_found:
            return None  # the cliff is another curve's, or the sweep stopped there
        lrs, trend = reading.lrs, reading.trend
        past = [k for k in range(reading.best + 1, len(trend)) if lrs[k] > reading.cliff]
        if not past:
            return None
        second = min(past, key=trend.__getitem__)
        deeper = trend[reading.best] - trend[second] > max(3 * reading.noise, NO_LEARNING * abs(trend[reading.top]))
        return second if deeper and lrs[second] >= FAR_APART * lrs[reading.best] else None

    @staticmethod
    def _cliff_level(reading: _Reading) -> float:
        """The trend's value at the cliff: `CLIFF_RECOVERY` of the way back from the valley to the start level."""
        return reading.trend[reading.best] + CLIFF_RECOVERY * (reading.trend[reading.top] - reading.trend[reading.best])

    def _bounds_from(self, cliff: float) -> tuple[float, float]:
        max_lr = cliff / (ADAPTIVE_STEP_BACK if self.adaptive else CLIFF_STEP_BACK)
        return max_lr / BOUNDS_RATIO, max_lr

    @staticmethod
    def _extremes(values: list[float], trend: list[float], window: int, end: int) -> tuple[int, int, float]:
        """The best point of ``trend[:end]``, the worst before it, and the trend's noise (rule 5).

        Both are looked for where the trend is a full window's average: the worst past the first half window,
        the best before the last (near either end the window shrinks, down to one raw value: a linear model
        at a huge lr can end a sweep on one batch of loss 0, which read as the best would hide the whole curve).
        """
        best = min(range(max(1, min(end, len(trend) - window // 2))), key=trend.__getitem__)
        top = max(range(min(window // 2, best), best + 1), key=trend.__getitem__)
        # The noise that matters is the noise where the curve starts to improve: in its upper half (a loss's
        # noise shrinks with the loss, and the many quiet points near the best would hide it).
        upper = [k for k in range(best + 1) if trend[k] >= (trend[best] + trend[top]) / 2]
        return best, top, noise_of([values[k] for k in upper], [trend[k] for k in upper]) / math.sqrt(window)

    @staticmethod
    def _first_valley(trend: list[float], noise: float, improvement: float, earliest: int = 0) -> int:
        """The best point before the curve turns worse again (rule 4), never before index `earliest`.

        Worse again: back at the level where a real fall started, or, having made half its whole
        `improvement`, worse by a tenth of its fall. Plateau noise before the real improvement never ends the curve.
        """
        best, peak, worst = 0, trend[0], trend[0]
        for k, value in enumerate(trend):
            peak = max(peak, value)
            if k == earliest:  # a metric: no dip before the training loss's fall is a valley
                best, worst = k, peak
            fall = worst - trend[best]
            if value < trend[best]:
                best, worst = k, peak
            elif k < earliest:
                continue
            elif value >= worst and fall > max(3 * noise, NO_LEARNING * abs(worst)):
                break  # back where a real fall started: the cliff
            elif fall > max(3 * noise, improvement / 2) and value - trend[best] > max(3 * noise, RISE_FRACTION * fall):
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
        """The log lr where the tangent at the steepest point meets the start level (rule 9)."""
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

    def _read(self, metric: str | None, skip_start: int | None, higher_is_better: bool | None = None, *,
              warn: bool = False) -> _Reading:
        """Rules 1-6: the kept points, smoothed, the valley, the start level, the cliff; raise if no answer."""
        loss: _Reading | None = None
        if metric is not None:  # a metric's rise on a model that learned nothing is noise
            try:
                loss = self._read(None, skip_start)
            except _NoLearning:
                raise
            except ValueError:
                pass  # a loss curve too short, or diverged at once: the metric may still say more
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
        best = self._first_valley(trend, noise, trend[top] - trend[best], self._learning_from(loss, lrs))
        best, top, noise = self._extremes(values, trend, window, best + 1)
        level = trend[top]
        improvement = level - trend[best]
        share = improvement / abs(level) if level else math.inf
        fell, rose = ("rose", "fell") if higher_is_better else ("fell", "rose")
        if improvement <= 3 * noise or share < NO_LEARNING:
            self._no_learning(name, lrs, trend, noise, improvement, share, (fell, rose), window)
        reading = _Reading(name, lrs, trend, top, best, skip, window, noise, math.nan, False)
        crossing = self._crossing(reading, self._cliff_level(reading))
        cliff = crossing or (self.lrs[-1] if self.stopped_early else lrs[-1])
        reading = replace(reading, cliff=cliff, cliff_found=crossing is not None or self.stopped_early)
        if loss is not None and loss.cliff_found and loss.cliff < cliff:  # training is unstable past it (rule 6)
            reading = replace(reading, cliff=loss.cliff, cliff_found=True, loss=loss)
        if warn:
            self._warn(reading, share, fell)
        return reading

    @staticmethod
    def _learning_from(loss: _Reading | None, lrs: list[float]) -> int:
        """The first index of a metric's `lrs` where the training loss has made half its fall (rule 4); 0 without it."""
        if loss is None:
            return 0
        half = (loss.trend[loss.top] + loss.trend[loss.best]) / 2
        learning = next(k for k in range(loss.top, loss.best + 1) if loss.trend[k] <= half)
        return next((k for k, lr in enumerate(lrs) if lr >= loss.lrs[learning]), len(lrs))

    def _no_learning(self, name: str, lrs: list[float], trend: list[float], noise: float, improvement: float,
                     share: float, verbs: tuple[str, str], window: int) -> None:
        """Rule 5's errors: diverged at once (only when the sweep stopped and was never flat), else no learning."""
        fell, rose = verbs
        start = trend[min(window // 2, len(trend) - 1)]
        if self.stopped_early and trend[min(window, len(trend) - 1)] > start + max(3 * noise, NO_LEARNING * abs(start)):
            raise ValueError(f"the smoothed {name} only {rose} from the first lr read ({lrs[0]:.3g}) until the sweep "
                             f"stopped at lr {self.lrs[-1]:.3g}: the sweep diverged at once; lower start_lr")
        amount = f"{max(share, 0.0):.1%} of its starting level" if math.isfinite(share) else f"by {improvement:.3g}"
        why = f"less than {NO_LEARNING:.0%}" if share < NO_LEARNING else f"within its noise, {noise:.3g}"
        diverged = f", and it diverged at lr {self.lrs[-1]:.3g}" if self.stopped_early else ""
        raise _NoLearning(f"the smoothed {name} {fell} only {amount} ({why}) between lr {lrs[0]:.3g} and "
                          f"{lrs[-1]:.3g}: the test saw no learning{diverged}. Check that the targets belong to the "
                          f"inputs (labels not shuffled apart from their examples) and that the model can fit a few "
                          f"batches at a fixed lr; a model stuck on a plateau may need another initialisation, "
                          f"normalised inputs or a longer sweep (num_iter); if the curve stayed flat to the end, "
                          f"raise end_lr")

    def _warn(self, reading: _Reading, share: float, fell: str) -> None:
        """Rule 5's and 9's warnings: little learned, no cliff within the sweep, or already improving."""
        name, lrs = reading.name, reading.lrs
        if share < LITTLE_LEARNING:
            warnings.warn(f"the smoothed {name} {fell} only {share:.1%} of its starting level: the test saw little "
                          f"learning, and the bounds read from it are uncertain (see bounds_uncertainty()); a longer "
                          f"sweep (num_iter) or a larger batch makes the curve clearer", RangeTestWarning, stacklevel=3)
        if not reading.cliff_found:
            warnings.warn(f"the smoothed {name} never climbed back near its starting level before the end of the "
                          f"sweep (lr {lrs[-1]:.3g}): max_lr is a lower bound; raise end_lr", RangeTestWarning,
                          stacklevel=3)
        second = self._second_valley(reading)
        if second is not None:
            warnings.warn(f"the smoothed {name} has two valleys far apart: the bounds come from the first, at lr "
                          f"{lrs[reading.best]:.3g}, the safer one; a deeper valley lies at lr {lrs[second]:.3g}, past "
                          f"the cliff at {reading.cliff:.3g}. If the first is only the noise of the first batches "
                          f"(unnormalised inputs, a huge starting loss), normalise the inputs or raise start_lr past "
                          f"{reading.cliff:.3g} and read the curve again", RangeTestWarning, stacklevel=3)
        # The smoothing cannot tell an onset within a window of the first point from one before it.
        if self._fall_start(reading) <= math.log(lrs[min(reading.window, len(lrs) - 1)]):
            warnings.warn(f"the {name} was already improving where it was first read (lr {lrs[0]:.3g}, after the "
                          f"first {reading.skip} steps): its starting level, so the bounds, may be too low; lower "
                          f"start_lr to see where the improvement starts", RangeTestWarning, stacklevel=3)

    # Param groups (the torch runner keeps their ratios): a field of its own, after the rules' methods.
    group_ratios: list[float] = field(default_factory=lambda: [1.0])
    """Each param group's lr over the first group's, as the sweep kept them: group ``g`` ran at
    ``lrs[k] * group_ratios[g]``; ``[1.0]`` for one lr."""

    def suggest_group_bounds(self, **options: Any) -> list[tuple[float, float]]:
        """``(base_lr, max_lr)`` of each param group: `suggest_bounds` (with the same `options`) times its ratio.

        The bounds of group 0 are `suggest_bounds`' own; ``zip(*result.suggest_group_bounds())`` gives the
        per-group lists that `clr_torch.CyclicLR` takes as `base_lr` and `max_lr`.
        """
        base_lr, max_lr = self.suggest_bounds(**options)
        return [(base_lr * ratio, max_lr * ratio) for ratio in self.group_ratios]
