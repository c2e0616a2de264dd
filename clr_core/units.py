"""From epochs to optimizer steps, the unit every schedule counts in, and Smith's end-of-cycle advice.

Schedules count optimizer steps. With gradient accumulation an optimizer step takes several batches, and
with data parallelism each of `world_size` processes sees its share of the data: both change how many steps
an epoch is. Smith recommends `step_size` of 2 to 8 epochs and ending training at the end of a cycle.
"""

from __future__ import annotations

import math
import warnings

from . import _checks


def steps_per_epoch(samples: int, batch_size: int, *, accumulation_steps: int = 1, world_size: int = 1,
                    drop_last: bool = False) -> int:
    """Optimizer steps in one epoch of `samples` examples.

    Each of `world_size` processes gets ``ceil(samples / world_size)`` examples (as PyTorch's
    ``DistributedSampler`` pads), cuts them into batches of `batch_size` (the last one partial unless
    `drop_last`), and steps the optimizer every `accumulation_steps` batches (a partial group at the end
    still steps, as most training loops do).

    Examples:
        >>> steps_per_epoch(50_000, 128)
        391
        >>> steps_per_epoch(50_000, 128, accumulation_steps=4, world_size=2)
        49
    """
    samples = _checks.count("samples", samples, 1)
    batch_size = _checks.count("batch_size", batch_size, 1)
    accumulation_steps = _checks.count("accumulation_steps", accumulation_steps, 1)
    world_size = _checks.count("world_size", world_size, 1)
    per_process = math.ceil(samples / world_size)
    batches = per_process // batch_size if drop_last else math.ceil(per_process / batch_size)
    if batches == 0:
        raise ValueError(f"with drop_last=True, batch_size ({batch_size}) must not exceed the samples per process "
                         f"({per_process})")
    return math.ceil(batches / accumulation_steps)


def epochs_to_steps(epochs: float, steps_in_epoch: int) -> int:
    """`epochs` (may be fractional, e.g. a step size of 2.5 epochs) as a whole number of optimizer steps.

    Examples:
        >>> epochs_to_steps(4, 391), epochs_to_steps(2.5, 100)
        (1564, 250)
    """
    epochs = _checks.positive("epochs", epochs)
    steps_in_epoch = _checks.count("steps_in_epoch", steps_in_epoch, 1)
    return max(1, round(epochs * steps_in_epoch))


def ends_on_cycle_boundary(total_steps: int, step_size: float, step_size_down: float | None = None, *,
                           warn: bool = True) -> bool:
    """True when `total_steps` is a whole number of cycles; otherwise warn (Smith: stop at a cycle's end).

    Examples:
        >>> ends_on_cycle_boundary(8000, 2000)
        True
    """
    total_steps = _checks.count("total_steps", total_steps, 1)
    cycle = _checks.positive("step_size", step_size) + (
        _checks.positive("step_size_down", step_size_down) if step_size_down is not None else step_size)
    cycles = total_steps / cycle
    whole = math.isclose(cycles, round(cycles), abs_tol=1e-9) and round(cycles) >= 1
    if not whole and warn:
        nearest = max(1, round(cycles)) * cycle
        warnings.warn(f"{total_steps} steps is {cycles:.3g} cycles of {cycle:g} steps; Smith recommends ending "
                      f"training at the end of a cycle (e.g. {nearest:g} steps)", UserWarning, stacklevel=2)
    return whole
