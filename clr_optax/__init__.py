"""clr_optax: every `clr_core` schedule as an optax schedule, for JAX and Flax training loops.

`schedule(s)` turns a cyclical, one-cycle, warmup, joined, restarting or momentum schedule into a pure
function of optax's int32 step count, computed by the core's own formula in `jax.numpy`, jit- and
vmap-able, and exact to float32 rounding at every step up to 2**31 - 1 without ``jax_enable_x64``.
`range_test(step, state, batches, ...)` runs the LR range test on the user's own jitted training step.
"""

from .optax_schedule import OptaxSchedule, schedule
from .range_test import range_test

__all__ = ["OptaxSchedule", "range_test", "schedule"]
