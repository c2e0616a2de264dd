"""Under ``jax_enable_x64`` a schedule gives float32 unless asked, so float32 params keep float32 state."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import clr_optax  # noqa: E402
from clr_core import OneCycle, momentum_for  # noqa: E402
from tests.errors import raised  # noqa: E402


def scan_adam(b1, params_dtype):
    """A lax.scan training loop with Adam and a scheduled b1; the carry must keep its types."""
    optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=0.01, b1=b1)
    params = jnp.ones((3,), dtype=params_dtype)
    state = optimizer.init(params)

    def step(carry, _):
        params, state = carry
        updates, state = optimizer.update(jnp.ones_like(params), state, params)
        return (optax.apply_updates(params, updates), state), None

    (params, state), _ = jax.lax.scan(step, (params, state), None, length=5)
    return params, state


def test_under_x64_momentum_and_b1_schedules_keep_float32_params_float32():
    lr = OneCycle(0.1, total_steps=100)
    with jax.enable_x64(True):
        b1 = clr_optax.schedule(momentum_for(lr, 0.85, 0.95))
        assert b1(3).dtype == jnp.float32
        params, state = scan_adam(b1, jnp.float32)  # a float64 b1 made the carry float64: a TypeError
        assert params.dtype == jnp.float32 and state.inner_state[0].mu.dtype == jnp.float32
        params, state = scan_adam(b1, jnp.float64)  # float64 params stay float64
        assert params.dtype == jnp.float64 and state.inner_state[0].mu.dtype == jnp.float64
        exact = clr_optax.schedule(momentum_for(lr, 0.85, 0.95), dtype="float64")
        assert exact(3).dtype == jnp.float64
        np.testing.assert_allclose(float(exact(3)), momentum_for(lr, 0.85, 0.95).lr_at(3), rtol=1e-15)


def test_dtype_must_be_a_float_jax_has():
    assert raised(clr_optax.schedule, OneCycle(0.1, 100), dtype="int32") == (ValueError, (
        "dtype must be a JAX float dtype such as 'float32' ('float64' needs jax_enable_x64), got 'int32'"))
    assert raised(clr_optax.schedule, OneCycle(0.1, 100), dtype="float64")[0] is ValueError  # x64 off
    assert raised(clr_optax.schedule, OneCycle(0.1, 100), dtype="nonsense") == (
        TypeError, "dtype must be a JAX float dtype such as 'float32', got 'nonsense'")
