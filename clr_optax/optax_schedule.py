"""`schedule`: a `clr_core` schedule as an optax schedule, a pure function ``count -> value`` in `jax.numpy`.

optax calls a schedule with its int32 step count (0 for the first update) inside the jitted update. The
value comes from the schedule's own `evaluate`, run on `jax.numpy` through `clr_core.extend.CountOps`, which
keeps the count an integer where the formula needs whole steps: the position in a cycle and the local count
of each part of a join are exact at every int32 count, and only the result is rounded to float32. (A float32
count, as optax's own schedules use, cannot tell step 2**24 + 1 from 2**24.)
"""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from clr_core import Schedule
from clr_core.extend import CountOps, checks


def _ops() -> CountOps:
    """A fresh namespace in float64 when ``jax_enable_x64`` is on, else float32."""
    return CountOps(jnp, "float64" if jax.config.jax_enable_x64 else "float32")


class OptaxSchedule:
    """An optax schedule computed by a `clr_core` schedule: ``value = OptaxSchedule(s)(count)``.

    Build it with `schedule`. Calling it with an integer count (a Python int or a JAX integer array of any
    shape, negative counts read as 0) gives the value(s) as an array of `dtype` (computed in float64 under
    ``jax_enable_x64``, else float32); a float count is taken as a float iteration, without the integer
    exactness.

    Attributes:
        source: the `clr_core` schedule it computes.
        dtype: the dtype of the values it gives.
    """

    def __init__(self, source: Schedule, dtype: Any = "float32") -> None:
        self.source = source
        self.dtype = jnp.dtype(dtype)

    def evaluate(self, count: Any, ops: CountOps) -> jax.Array:
        """The value at `count` through `ops` (a `CountOps` on `jax.numpy`)."""
        count = jnp.asarray(count)
        iteration = ops.count(count) if jnp.issubdtype(count.dtype, jnp.integer) else ops.to_float(count)
        value = ops.to_float(self.source.evaluate(iteration, ops)).astype(self.dtype)
        return jnp.broadcast_to(value, count.shape)

    def __call__(self, count: Any) -> jax.Array:
        return self.evaluate(count, _ops())

    def __repr__(self) -> str:
        dtype = "" if self.dtype == jnp.float32 else f", dtype={self.dtype.name!r}"
        return f"clr_optax.schedule({self.source!r}{dtype})"


def schedule(source: Schedule, *, dtype: Any = "float32") -> OptaxSchedule:
    """`source` (any `clr_core` schedule) as an optax schedule, for ``learning_rate=``, ``momentum=`` or ``b1=``.

    Pass it as an optax optimizer's ``learning_rate``, or as ``momentum`` / ``b1`` through
    ``optax.inject_hyperparams``.

    The value at count ``c`` equals ``source.lr_at(c)`` to float32 rounding for every ``c`` up to 2**31 - 1
    (optax's count saturates there) when the schedule's periods, step sizes and boundaries are whole
    numbers; otherwise a `UserWarning` says what loses whole steps past 2**24 (enable ``jax_enable_x64`` to
    compute in float64 instead). A custom `scale_fn` runs on a float JAX array inside the jitted update, so
    it must use arithmetic and `jax.numpy` (``lambda s: 0.5 * (1 + jnp.cos(s))``), not `math` or `if`.

    Args:
        source: the `clr_core` schedule.
        dtype: the dtype of the values, float32 by default, also under ``jax_enable_x64`` (which computes them
            in float64): float32 params then keep float32 optimizer state (a float64 ``momentum`` or ``b1``
            would make it float64, and a ``lax.scan`` carry change type), and float64 params keep float64
            (float32 * float64 is float64). Give ``"float64"`` (under x64) for the values' last bits, or the
            params' own dtype (``"bfloat16"``) so that it follows them.

    Raises:
        TypeError: `source` is not a `clr_core` schedule, or its custom `scale_fn` cannot run on a JAX array.
        ValueError: `source` reaches above the largest value of `dtype` or of float32 without
            ``jax_enable_x64`` (``max_lr=1e39`` would be ``inf`` in the optimizer); a `dtype` that is not a
            float.

    Examples:
        >>> import optax
        >>> from clr_core import CyclicSchedule
        >>> lr = schedule(CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=2000))
        >>> optimizer = optax.sgd(learning_rate=lr, momentum=0.9)
        >>> round(float(lr(2000)), 6), round(float(lr(2**24 + 1)), 7)
        (0.006, 0.0040425)
    """
    if not isinstance(source, Schedule):
        raise TypeError(f"schedule takes a clr_core schedule (e.g. clr_core.CyclicSchedule), got "
                        f"{type(source).__name__} {source!r}")
    try:
        kind = jnp.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"dtype must be a JAX float dtype such as 'float32', got {dtype!r}") from error
    if not jnp.issubdtype(kind, jnp.floating) or (kind == jnp.float64 and not jax.config.jax_enable_x64):
        raise ValueError(f"dtype must be a JAX float dtype such as 'float32' ('float64' needs jax_enable_x64), "
                         f"got {dtype!r}")
    ops = _ops()
    narrowest = min((jnp.dtype(ops.dtype), kind), key=lambda item: float(jnp.finfo(item).max))
    checks.fits_dtype("clr_optax.schedule", source, narrowest.name, float(jnp.finfo(narrowest).max))
    built = OptaxSchedule(source, kind)
    try:
        jax.eval_shape(lambda count: built.evaluate(count, ops), jax.ShapeDtypeStruct((), jnp.int32))
    except TypeError as error:  # JAX's tracer errors are TypeErrors
        first_line = str(error).splitlines()[0] if str(error) else ""
        raise TypeError(f"this {type(source).__name__} cannot be computed on JAX arrays inside a jitted update "
                        f"({type(error).__name__}: {first_line}); write a custom scale_fn with arithmetic and "
                        f"jax.numpy functions, e.g. lambda s: 0.5 * (1 + jax.numpy.cos(s))") from error
    message = ops.exactness_warning(type(source).__name__)
    if message is not None:
        warnings.warn(message, UserWarning, stacklevel=2)
    return built
