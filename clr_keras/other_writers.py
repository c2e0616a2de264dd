"""When something else writes the learning rate during training: scale the cycle by it, or refuse it.

`ReduceLROnPlateau`, `LearningRateScheduler` and user code set ``optimizer.learning_rate = new``, having
read ``current`` (the rate the next step was going to run at). `CyclicLR` never overrides such a write in
silence. With ``other_writers='scale'`` it takes the write as a rescaling of the cycle: both bounds are
multiplied by ``new / current`` from the next step on, the cycle going on where it is, so a plateau's
``factor`` scales ``base_lr`` and ``max_lr`` alike. With ``other_writers='raise'`` the write is refused.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from clr_core import ScheduleState

OTHER_WRITERS = ("scale", "raise")


def ratio_of_write(value: Any, current: float, policy: str) -> float | None:
    """``new / current`` for a write of `value` while the next step's rate is `current`.

    None when the write changes nothing.

    Raises:
        RuntimeError: `policy` is ``'raise'`` (the message says who may have written and what to do).
        ValueError: the write cannot be a scale: not a finite rate >= 0, or `current` is 0.

    Examples:
        >>> ratio_of_write(0.0025, 0.005, "scale")
        0.5
        >>> ratio_of_write(0.005, 0.005, "raise") is None
        True
    """
    new = float(keras.ops.convert_to_numpy(value))
    if new == current:
        return None
    if policy == "raise":
        raise RuntimeError(
            f"CyclicLR drives the learning rate, but something set optimizer.learning_rate = {new!r} during "
            f"training (the next step's rate was {current!r}): another lr callback (ReduceLROnPlateau, "
            f"LearningRateScheduler) or your code. Remove one of the two, change the cycle with "
            f"clr.reset(base_lr=..., max_lr=...), or build CyclicLR(other_writers='scale') to scale both bounds "
            f"by new / current instead")
    if not (math.isfinite(new) and new >= 0 and current > 0):
        raise ValueError(
            f"CyclicLR scales both bounds by new / current when another writer sets the learning rate, but it "
            f"was set to {new!r} while the next step's rate was {current!r}: the ratio must be a finite number "
            f">= 0; set a finite rate >= 0, and not at a step whose rate is 0")
    return new / current


def scale_bounds(state: ScheduleState, ratio: float) -> None:
    """Multiply both bounds of the state's schedule by `ratio`; the counters and the history carry on.

    Raises:
        TypeError: the schedule has no ``base_lr`` and ``max_lr`` to scale (e.g. a `clr_core.OneCycle`).
    """
    schedule = state.schedule
    base_lr, max_lr = getattr(schedule, "base_lr", None), getattr(schedule, "max_lr", None)
    if base_lr is None or max_lr is None:
        raise TypeError(
            f"CyclicLR cannot scale the bounds of a {type(schedule).__name__} when another writer sets the "
            f"learning rate (it has no base_lr and max_lr); remove the other lr callback, or build "
            f"CyclicLR(other_writers='raise') to be told when one writes")
    cycle, total = state.cycle_iterations, state.total_iterations
    state.reset(base_lr=base_lr * ratio, max_lr=max_lr * ratio)
    state.start_at(total, cycle)
