"""Bounds given to `clr_optax.schedule` as JAX values, so that ``jax.vmap`` can sweep `max_lr`.

The shape comes from the core with concrete bounds; the bounds are applied in the graph, affinely::

    lr = min(base_lr + (max_lr - base_lr) * unit(count), max_lr)

where ``unit`` is the schedule between 0 and 1. For a `CyclicSchedule`, ``unit`` is the same schedule with
``base_lr=0, max_lr=1`` and the line above is the core's own last line (`clr_core.schedules._formula`): the
values are those of ``CyclicSchedule(base_lr=b, max_lr=m)`` to float32 rounding (not bit for bit: XLA may
fuse the multiply-add, as it may in the schedule built with those bounds). Any other kind is stretched from
its ``lr_range()`` ``(low, high)``: ``unit = (value - low) / (high - low)``.

A concrete bound is checked when the schedule is built, as the core checks it. A traced bound cannot be
checked then, so the graph checks it: a traced `base_lr` or `max_lr` that the core would refuse (NaN,
infinite, negative, `max_lr` below `base_lr`, or above the largest value of the dtype) gives the lr 0 at every
count: that point of the sweep does not train, and no NaN, negative or out-of-bounds lr reaches its optimizer.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from clr_core import CyclicSchedule, Schedule
from clr_core.extend import CountOps, checks

from .optax_schedule import OptaxSchedule


def bound(name: str, value: Any, largest: float, dtype: str) -> Any:
    """`value` as a checked float, or as itself when it is a traced 0-d JAX value (checked in the graph)."""
    if isinstance(value, jax.core.Tracer):
        if value.shape != () or not jnp.issubdtype(value.dtype, jnp.floating):
            raise TypeError(f"{name} must be a float or a 0-d float JAX array (one value per vmap lane), got a "
                            f"traced array of shape {value.shape} and dtype {value.dtype}")
        return value
    if hasattr(value, "shape") and hasattr(value, "item"):  # a concrete numpy or JAX array
        if value.shape != ():
            raise TypeError(f"{name} must be a float or a 0-d float JAX array (one value per vmap lane), got an "
                            f"array of shape {value.shape}")
        value = value.item()
    number = checks.non_negative(name, value)
    if number > largest:
        raise ValueError(f"clr_optax.schedule computes in {dtype}, which holds values up to {largest!r}, but "
                         f"{name} is {number!r}; scale the bounds into {dtype}'s range")
    return number


class BoundedSchedule(OptaxSchedule):
    """An optax schedule whose bounds are applied in the graph (built by `schedule` with ``max_lr=``)."""

    def __init__(self, source: Schedule, dtype: Any, base_lr: Any, max_lr: Any, largest: float,
                 low_high: tuple[float, float]) -> None:
        super().__init__(source, dtype)
        self.base_lr = base_lr
        self.max_lr = max_lr
        self.largest = largest
        self.unit: Schedule = source
        self.low_high: tuple[float, float] | None = low_high
        if isinstance(source, CyclicSchedule):  # the core's own formula with the bounds 0 and 1
            self.unit, self.low_high = source.replace(base_lr=0.0, max_lr=1.0), None

    def evaluate(self, count: Any, ops: CountOps) -> jax.Array:
        """The value at `count` through `ops`: the unit schedule scaled onto the (checked) bounds."""
        unit = OptaxSchedule(self.unit, ops.dtype).evaluate(count, ops)
        if self.low_high is not None:
            low, high = self.low_high
            unit = jnp.clip((unit - low) / (high - low), 0.0, 1.0)
        base, top = self.base_lr, self.max_lr
        valid = (jnp.isfinite(base) & jnp.isfinite(top) & (base >= 0) & (top >= base) & (top <= self.largest))
        base, top = jnp.where(valid, base, 0.0), jnp.where(valid, top, 0.0)
        return jnp.minimum(base + (top - base) * unit, top).astype(self.dtype)

    def __repr__(self) -> str:
        shown = [repr(b) if isinstance(b, float) else "<traced>" for b in (self.base_lr, self.max_lr)]
        dtype = "" if self.dtype == jnp.float32 else f", dtype={self.dtype.name!r}"
        return f"clr_optax.schedule({self.source!r}{dtype}, base_lr={shown[0]}, max_lr={shown[1]})"


def bounded(source: Schedule, dtype: Any, base_lr: Any, max_lr: Any, narrowest: Any) -> BoundedSchedule:
    """`source` with the bounds `base_lr` / `max_lr` (None: the source's own), each a float or a traced value."""
    largest = float(jnp.finfo(narrowest).max)
    lr_range = getattr(source, "lr_range", None)
    if not callable(lr_range):
        raise TypeError(f"base_lr= and max_lr= need a schedule with lr_range(), got {type(source).__name__}")
    low, high = lr_range()
    if not high > low and not isinstance(source, CyclicSchedule):
        raise ValueError(f"base_lr= and max_lr= stretch a schedule's lr_range() onto new bounds; this "
                         f"{type(source).__name__} has none to stretch (lowest {low!r}, highest {high!r})")
    base = bound("base_lr", low if base_lr is None else base_lr, largest, narrowest.name)
    top = bound("max_lr", high if max_lr is None else max_lr, largest, narrowest.name)
    if isinstance(base, float) and isinstance(top, float):
        checks.ordered("base_lr", base, "max_lr", top)
    return BoundedSchedule(source, dtype, base, top, largest, (low, high))
