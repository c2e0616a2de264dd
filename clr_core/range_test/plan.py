"""From a range test's bounds to a plan: a schedule sized in epochs that ends on a cycle boundary.

Smith's advice (arXiv:1506.01186, section 3.2): a step size (half a cycle) of 2 to 8 epochs, and training
stopped at the end of a cycle, where the lr is back at its lowest. `plan_schedule` chooses the fewest whole
cycles whose step size is at most 8 epochs (longer step sizes did slightly better in the paper's runs), so
``epochs`` ends exactly on a cycle boundary; a run too short for one cycle of 2 epochs a half is refused
with the alternative that fits any length, the one-cycle policy.
"""

from __future__ import annotations

import math
from typing import Any, cast

from .. import _checks, units
from ..schedules.cyclic import MODES, CyclicSchedule, Mode
from ..schedules.one_cycle import OneCycle

#: The step size (half a cycle) of a plan, in epochs: Smith's 2 to 8.
STEP_EPOCHS = (2, 8)
PLAN_MODES = (*MODES, "one_cycle")
#: What the plan sets itself, per mode; an option naming one of these is refused.
_PLANNED = {"cyclic": ("base_lr", "max_lr", "step_size", "step_size_down", "mode", "scale_fn", "scale_mode"),
            "one_cycle": ("max_lr", "total_steps", "div_factor")}


def plan_schedule(bounds: tuple[float, float], *, epochs: int, steps_per_epoch: int, mode: str = "triangular",
                  **options: Any) -> CyclicSchedule | OneCycle:
    """A schedule between ``bounds = (base_lr, max_lr)`` for `epochs` epochs of `steps_per_epoch` steps.

    Args:
        bounds: ``(base_lr, max_lr)``, e.g. `RangeTestResult.suggest_bounds()`.
        epochs: the length of the run in epochs, an int >= 1 (>= 4 for a cyclic mode).
        steps_per_epoch: optimizer steps per epoch, an int >= 1 (`clr_core.steps_per_epoch` counts them
            under gradient accumulation and data parallelism).
        mode: ``'triangular'``, ``'triangular2'``, ``'exp_range'`` (a `CyclicSchedule` with ``lr_range() ==
            bounds``, whose step size is ``epochs * steps_per_epoch / (2 * cycles)`` steps with ``cycles =
            ceil(epochs / 16)``: 2 to 8 epochs, and the run ends where a cycle does), or ``'one_cycle'`` (a
            `OneCycle` over the whole run from ``base_lr`` up to ``max_lr``, then down to ``base_lr / 1e4``).
        **options: further arguments of the schedule built: ``gamma`` (required with ``'exp_range'``),
            ``waveform`` for a cyclic mode; ``pct_start``, ``anneal_strategy``, ``final_div_factor``,
            ``three_phase``, ``after`` for ``'one_cycle'``.

    Raises:
        ValueError: `epochs` cannot hold one cycle of 2 epochs a half (the message suggests
            ``mode='one_cycle'``), ``'exp_range'`` without ``gamma``, or a bad argument.
        TypeError: an option the plan sets itself (the bounds, the step size, the length) or a wrong type.

    Examples:
        >>> schedule = plan_schedule((0.01, 0.1), epochs=20, steps_per_epoch=100)
        >>> schedule.step_size, schedule.lr_range()
        (500.0, (0.01, 0.1))
    """
    base_lr = _checks.non_negative("base_lr", bounds[0])
    max_lr = _checks.positive("max_lr", bounds[1])
    _checks.ordered("base_lr", base_lr, "max_lr", max_lr)
    epochs = _checks.count("epochs", epochs, 1)
    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, 1)
    mode = _checks.choice("mode", mode, PLAN_MODES)
    family = "one_cycle" if mode == "one_cycle" else "cyclic"
    planned = sorted(set(options) & set(_PLANNED[family]))
    if planned:
        raise TypeError(f"{planned[0]} is set by the plan (from the range test's bounds, epochs and "
                        f"steps_per_epoch); build the schedule yourself to choose it")
    total_steps = units.epochs_to_steps(epochs, steps_per_epoch)
    if family == "one_cycle":
        base_lr = _checks.positive("base_lr", base_lr)
        return OneCycle(max_lr=max_lr, total_steps=total_steps, div_factor=max_lr / base_lr, **options)
    shortest, longest = STEP_EPOCHS
    if epochs < 2 * shortest:
        raise ValueError(f"epochs={epochs} cannot hold one cycle with a step size of at least {shortest} epochs "
                         f"(one cycle takes {2 * shortest} epochs); train for {2 * shortest} epochs or more, or "
                         f"use mode='one_cycle' (one rise and one fall over any length)")
    if mode == "exp_range" and "gamma" not in options:
        raise ValueError("mode='exp_range' needs gamma, the per-step decay of the amplitude in (0, 1] (e.g. "
                         "0.99994); without it the plan would be mode='triangular'")
    cycles = math.ceil(epochs / (2 * longest))
    step_size = total_steps / (2 * cycles)
    units.ends_on_cycle_boundary(total_steps, step_size)  # by construction; warns if that ever broke
    return CyclicSchedule(base_lr=base_lr, max_lr=max_lr, step_size=step_size, mode=cast(Mode, mode),
                          **options)
