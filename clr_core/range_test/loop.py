"""The LR range test (Smith, arXiv:1506.01186, section 3.3): sweep the lr upward, watch the loss.

Train for a few hundred steps while the lr grows from `start_lr` to `end_lr`; the loss first stays flat, then
falls, then turns up. The lr where it starts to fall is a good `base_lr`; the lr where it stops falling a good
`max_lr`. This module holds the framework-free bookkeeping (`RangeTest`: smoothing, early stop, the loop);
the sweep is `RangeSweep` and the result `RangeTestResult`. Each
adapter adds a thin runner that gives `RangeTest.run` one training step of its framework.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from .. import _checks
from .result import RangeTestResult
from .sweep import RangeSweep


class RangeTest:
    """Bookkeeping for one range test: record each step's loss, smooth it, and decide when to stop.

    The stop decision smooths the loss with an exponential moving average ``avg = beta * avg + (1 - beta) *
    loss``, bias-corrected by ``1 - beta**k`` so early values are not pulled toward 0: it needs nothing but the
    past. The test stops early when the smoothed loss exceeds ``diverge_factor`` times its best, or when a loss
    is NaN or infinite. (The suggestions read the whole curve afterwards, more robustly: see
    `RangeTestResult`.) Several processes that record the same losses (reduced across ranks, as the
    runners do) take the same decisions.

    Args:
        sweep: the `RangeSweep` to follow.
        beta: smoothing factor in [0, 1); 0 means no smoothing.
        diverge_factor: stop when smoothed loss > factor * best smoothed loss; a float > 1.
        adaptive: whether the optimizer scales each update by running statistics of the gradients (Adam,
            RMSprop, ...): the result's `adaptive`, which sets how far `max_lr` steps back from the cliff.

    Examples:
        >>> test = RangeTest(RangeSweep(0.01, 1.0, num_iter=3))
        >>> [test.record(loss) for loss in (3.0, 2.0, 30.0)]
        [True, True, False]
        >>> test.result().stopped_early
        True
    """

    def __init__(self, sweep: RangeSweep, *, beta: float = 0.98, diverge_factor: float = 4.0,
                 adaptive: bool = False) -> None:
        if not isinstance(sweep, RangeSweep):
            raise TypeError(f"sweep must be a clr_core.RangeSweep, got {type(sweep).__name__}")
        self.sweep = sweep
        self.beta = _checks.finite("beta", beta, low=0.0, low_inclusive=True, high=1.0, range_text="in [0, 1)")
        self.diverge_factor = _checks.finite("diverge_factor", diverge_factor, low=1.0, low_inclusive=False,
                                             range_text="> 1")
        self.adaptive = _checks.flag("adaptive", adaptive)
        self._lrs: list[float] = []
        self._losses: list[float] = []
        self._smoothed: list[float] = []
        self._average = 0.0
        self._best = math.inf
        self._stopped_early = False
        self._metric_steps: list[int] = []
        self._metrics: dict[str, list[float]] = {}
        self._lr: float = sweep.lr_at(0)

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

    def record_metrics(self, values: Mapping[str, float]) -> None:
        """Attach metric values (e.g. ``{'val_accuracy': 0.9}``) to the step recorded last.

        Every evaluation must give the same names, so each metric has one value per entry of `metric_steps`.
        """
        if not self._lrs:
            raise RuntimeError("record a step before its metrics")
        names = sorted(values)
        if self._metrics and names != sorted(self._metrics):
            raise ValueError(f"every evaluation must give the same metrics {sorted(self._metrics)}, got {names}")
        if self._metric_steps and self._metric_steps[-1] == len(self._lrs) - 1:
            raise RuntimeError(f"step {len(self._lrs) - 1} already has its metrics")
        self._metric_steps.append(len(self._lrs) - 1)
        for name in names:
            self._metrics.setdefault(name, []).append(float(values[name]))

    def run(self, train_step: Callable[[float], float], *,
            on_step: Callable[[int, float, float], None] | None = None,
            evaluate: Callable[[], Mapping[str, float]] | None = None, eval_every: int = 1) -> RangeTestResult:
        """Call ``train_step(lr)`` (one training step at `lr`, returning the loss to record) until done.

        The adapters' runners are this loop around their framework's step.

        Args:
            train_step: runs one step at the given lr and returns its loss.
            on_step: called as ``on_step(steps_done, lr, loss)`` after each step (a progress bar, a log).
            evaluate: when given, called after every `eval_every`-th step and after the last one; the values
                it returns become `metrics` (Smith's accuracy method).
            eval_every: steps between evaluations, an int >= 1.

        Examples:
            >>> test = RangeTest(RangeSweep(0.01, 1.0, num_iter=4), beta=0.0)
            >>> [round(loss, 3) for loss in test.run(lambda lr: 1.0 - lr).losses]
            [0.99, 0.954, 0.785, 0.0]
        """
        every = _checks.count("eval_every", eval_every, low=1)
        while not self.done:
            lr = self._lr
            loss = float(train_step(lr))
            self.record(loss)
            steps = len(self._lrs)
            if evaluate is not None and (steps % every == 0 or self.done):
                self.record_metrics(evaluate())
            if on_step is not None:
                on_step(steps, lr, loss)
        return self.result()

    def result(self) -> RangeTestResult:
        """The lrs, raw and smoothed losses and the metrics recorded so far."""
        return RangeTestResult(list(self._lrs), list(self._losses), list(self._smoothed), self._stopped_early,
                               list(self._metric_steps), {name: list(v) for name, v in self._metrics.items()},
                               self.adaptive)
