"""clr_optax: every `clr_core` schedule as an optax schedule, for JAX and Flax training loops.

`schedule(s)` turns a cyclical, one-cycle, warmup, joined, restarting or momentum schedule into a pure
function of optax's int32 step count, computed by the core's own formula in `jax.numpy`, jit- and
vmap-able, and exact to float32 rounding at every step up to 2**31 - 1 without ``jax_enable_x64``.
"""

from .optax_schedule import OptaxSchedule, schedule

__all__ = ["OptaxSchedule", "schedule"]
