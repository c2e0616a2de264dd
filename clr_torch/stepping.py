"""How often the optimizer really stepped between two ``scheduler.step()`` calls, and what a wrong rate means.

`AppliedSteps` counts the steps the optimizer applied, through its step post-hook
(``optimizer.register_step_post_hook``). GradScaler's skipped steps never call ``optimizer.step()``, so they
are not counted, and the scheduler records no history row for them (the rate still moves on, as PyTorch's
schedulers do).

`SteppingRate` looks at the scheduler steps that did not follow exactly one optimizer step and warns once for
each of the two common mistakes: a plan stepped once per many optimizer steps (Lightning's
``"interval": "epoch"``), or several times per optimizer step (per micro-batch under gradient accumulation;
Accelerate with several processes steps the scheduler once per process).
"""

from __future__ import annotations

import warnings
from typing import Any

#: The warning for a scheduler stepped several times per optimizer step; formatted with the two counts.
TOO_OFTEN_WARNING = (
    "CyclicLR: {idle} of the scheduler.step() calls since the optimizer's first step followed no "
    "optimizer.step() ({applied} optimizer steps so far), so the schedule runs faster than planned (and "
    "those calls are not recorded). Call scheduler.step() once per optimizer step: under gradient "
    "accumulation once per accumulated update, not per micro-batch; with Accelerate and several processes, "
    "build Accelerator(step_scheduler_with_optimizer=False) and step it yourself after optimizer.step()")
#: The warning for a scheduler stepped once per many optimizer steps; formatted with the count.
TOO_RARELY_WARNING = (
    "CyclicLR: scheduler.step() was called once for {applied} optimizer steps, so the schedule runs {applied}x "
    "slower than planned (its plan counts optimizer steps). Call scheduler.step() after every "
    "optimizer.step(); in Lightning return {{'scheduler': scheduler, 'interval': 'step'}} from "
    "configure_optimizers (its default interval is 'epoch')")


#: Optimizer steps seen before "several scheduler steps per optimizer step" is judged: a GradScaler may skip a
#: few early steps while its scale settles, never as many as it applies.
SETTLED = 10


class AppliedSteps:
    """The steps an optimizer applied (`count`), counted by `hook`, its step post-hook."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        """``optimizer.register_step_post_hook(steps.hook)`` (a bound method: called faster than ``__call__``)."""
        self.count += 1


class SteppingRate:
    """Warns once when the scheduler is stepped several times per optimizer step, and once for the reverse.

    Only the scheduler steps that did not follow exactly one optimizer step reach `irregular`, so a right
    rate costs nothing here. A step with no optimizer step before the optimizer's first one (GradScaler's
    first skips, torch's own call-order mistake) is not counted; after it, a scheduler stepped as often
    without an optimizer step as with one, once the optimizer has taken `SETTLED` steps, is stepped too
    often: GradScaler skips a step in thousands once its scale has settled.
    """

    def __init__(self) -> None:
        self._idle = 0  # scheduler steps with no optimizer step before them, since the optimizer's first step
        self._too_often = False
        self._too_rarely = False

    def irregular(self, applied_since: int, applied: int) -> None:
        """Judge a scheduler step that followed `applied_since` (not 1) optimizer steps, `applied` in all."""
        if applied_since == 0:
            if not applied:
                return
            self._idle += 1
            if not self._too_often and applied >= SETTLED and self._idle >= applied:
                self._too_often = True
                warnings.warn(TOO_OFTEN_WARNING.format(idle=self._idle, applied=applied), UserWarning, stacklevel=4)
        elif not self._too_rarely:
            self._too_rarely = True
            warnings.warn(TOO_RARELY_WARNING.format(applied=applied_since), UserWarning, stacklevel=4)
