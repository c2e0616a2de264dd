"""``clr_optax.schedule(s, base_lr=..., max_lr=...)``: bounds as JAX values, so that ``jax.vmap`` sweeps max_lr."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import clr_optax  # noqa: E402
from clr_core import Anneal, CyclicSchedule, OneCycle  # noqa: E402
from tests.errors import raised  # noqa: E402

MAX_LRS = jnp.array([0.002, 0.006, 0.01, 0.3], dtype=jnp.float32)
COUNTS = jnp.concatenate([jnp.arange(0, 3000), jnp.array([99_999, 123_457, 2**24 + 1, 2**31 - 3])]).astype(jnp.int32)


def close_to_float64(values, expected):
    """Within float32 rounding (relative 1e-6) of float64 values; below float32's smallest normal, 0 passes."""
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=float(np.finfo(np.float32).tiny))


@pytest.mark.parametrize("cyclic", [
    CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=200),
    CyclicSchedule(base_lr=0.0, max_lr=0.006, step_size=150, mode="triangular2", waveform="cosine"),
    CyclicSchedule(base_lr=0.0015, max_lr=0.006, step_size=100, step_size_down=300, mode="exp_range", gamma=0.999),
])
def test_a_jitted_vmap_over_max_lr_gives_the_cyclic_schedule_of_each_value_to_float32_rounding(cyclic):
    sweep = jax.jit(jax.vmap(lambda top: clr_optax.schedule(cyclic, max_lr=top)(COUNTS)))(MAX_LRS)
    for top, values in zip(np.asarray(MAX_LRS), np.asarray(sweep)):
        alone = cyclic.replace(max_lr=float(top))
        core = np.array([alone.lr_at(int(c)) for c in COUNTS])
        close_to_float64(values, core)  # measured: 3.8e-7 at most, the schedule itself 3.2e-7
        close_to_float64(jax.jit(clr_optax.schedule(alone))(COUNTS), core)
        assert values.min() >= np.float32(cyclic.base_lr) and values.max() <= top


def test_a_vmap_over_base_lr_and_max_lr_together():
    cyclic = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=200)
    bases = jnp.array([0.0, 0.0005, 0.001, 0.25], dtype=jnp.float32)
    sweep = jax.jit(jax.vmap(lambda low, top: clr_optax.schedule(cyclic, base_lr=low, max_lr=top)(COUNTS)))(
        bases, MAX_LRS)
    for low, top, values in zip(np.asarray(bases), np.asarray(MAX_LRS), np.asarray(sweep)):
        alone = cyclic.replace(base_lr=float(low), max_lr=float(top))
        close_to_float64(values, [alone.lr_at(int(c)) for c in COUNTS])
        assert values.min() >= low and values.max() <= top


def test_other_kinds_are_stretched_from_their_lr_range_to_float32_rounding():
    one_cycle = OneCycle(max_lr=0.01, total_steps=3000)
    low, high = one_cycle.lr_range()
    sweep = jax.jit(jax.vmap(lambda top: clr_optax.schedule(one_cycle, max_lr=top)(jnp.arange(3000))))(MAX_LRS)
    core = np.array([one_cycle.lr_at(i) for i in range(3000)])
    for top, values in zip(np.asarray(MAX_LRS).astype(float), np.asarray(sweep)):
        expected = low + (top - low) * (core - low) / (high - low)  # the stretch, in float64
        close_to_float64(values, expected)  # measured: 4.1e-7 at most


def test_sgd_under_vmap_moves_each_weight_by_minus_the_sum_of_its_lrs():
    cyclic = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=7)
    steps = 40

    def train(top):
        optimizer = optax.sgd(learning_rate=clr_optax.schedule(cyclic, max_lr=top))
        weight = jnp.zeros(())
        state = optimizer.init(weight)

        def step(carry, _):
            weight, state = carry
            updates, state = optimizer.update(jnp.ones(()), state, weight)  # the gradient of w * 1
            return (optax.apply_updates(weight, updates), state), None

        (weight, _), _ = jax.lax.scan(step, (weight, state), None, length=steps)
        return weight

    weights = np.asarray(jax.jit(jax.vmap(train))(MAX_LRS))
    for top, weight in zip(np.asarray(MAX_LRS), weights):
        lrs = [cyclic.replace(max_lr=float(top)).lr_at(i) for i in range(steps)]
        np.testing.assert_allclose(weight, -sum(lrs), rtol=1e-6)
    assert len(set(weights.tolist())) == 4


def test_a_traced_bound_the_core_would_refuse_gives_lr_0_at_every_count():
    cyclic = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=10)
    tops = jnp.array([jnp.nan, -1.0, jnp.inf, 0.0005, 0.004], dtype=jnp.float32)
    sweep = np.asarray(jax.jit(jax.vmap(lambda top: clr_optax.schedule(cyclic, max_lr=top)(jnp.arange(50))))(tops))
    np.testing.assert_array_equal(sweep[:4], np.zeros((4, 50), dtype=np.float32))  # NaN, < 0, inf, < base_lr
    close_to_float64(sweep[4], [cyclic.replace(max_lr=float(tops[4])).lr_at(i) for i in range(50)])
    bases = jnp.array([jnp.nan, -0.001, 0.001], dtype=jnp.float32)
    sweep = np.asarray(jax.vmap(lambda low: clr_optax.schedule(cyclic, base_lr=low)(jnp.arange(50)))(bases))
    np.testing.assert_array_equal(sweep[:2], np.zeros((2, 50), dtype=np.float32))
    assert sweep[2].min() > 0


def test_a_traced_bound_above_float32_under_x64_gives_lr_0_not_inf():
    cyclic = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=10)
    with jax.enable_x64(True):
        tops = jnp.array([1e39, 0.006], dtype=jnp.float64)
        sweep = np.asarray(jax.vmap(lambda top: clr_optax.schedule(cyclic, max_lr=top)(jnp.arange(20)))(tops))
    assert sweep.dtype == np.float32
    np.testing.assert_array_equal(sweep[0], np.zeros(20, dtype=np.float32))
    assert np.isfinite(sweep).all() and sweep[1].max() == np.float32(0.006)


def test_concrete_bounds_are_checked_when_built():
    cyclic = CyclicSchedule(base_lr=0.001, max_lr=0.006)
    assert raised(clr_optax.schedule, cyclic, max_lr=-1.0) == (
        ValueError, "max_lr must be a finite number >= 0, got -1.0")
    assert raised(clr_optax.schedule, cyclic, max_lr=float("nan")) == (
        ValueError, "max_lr must be a finite number >= 0, got nan")
    assert raised(clr_optax.schedule, cyclic, max_lr=jnp.float32(0.0005)) == (
        ValueError, "max_lr must be >= base_lr (0.001), got 0.0005000000237487257")
    assert raised(clr_optax.schedule, cyclic, base_lr=0.01) == (
        ValueError, "max_lr must be >= base_lr (0.01), got 0.006")
    assert raised(clr_optax.schedule, cyclic, max_lr=1e39) == (
        ValueError, "clr_optax.schedule computes in float32, which holds values up to 3.4028234663852886e+38, "
                    "but max_lr is 1e+39; scale the bounds into float32's range")
    assert raised(clr_optax.schedule, cyclic, max_lr="0.01") == (
        TypeError, "max_lr must be a real number (int or float), got str '0.01'")
    assert raised(clr_optax.schedule, cyclic, max_lr=jnp.array([0.01, 0.02])) == (
        TypeError, "max_lr must be a float or a 0-d float JAX array (one value per vmap lane), got an array of "
                   "shape (2,)")


def test_a_traced_bound_must_be_one_float_per_lane():
    cyclic = CyclicSchedule(base_lr=0.001, max_lr=0.006)
    with pytest.raises(TypeError) as caught:
        jax.vmap(lambda top: clr_optax.schedule(cyclic, max_lr=top)(0))(jnp.ones((3, 2)))
    assert str(caught.value) == ("max_lr must be a float or a 0-d float JAX array (one value per vmap lane), got "
                                 "a traced array of shape (2,) and dtype float32")


def test_concrete_bounds_give_the_schedule_with_those_bounds():
    cyclic = CyclicSchedule(base_lr=0.001, max_lr=0.006, step_size=50)
    moved = clr_optax.schedule(cyclic, base_lr=0.002, max_lr=jnp.float32(0.5))
    alone = cyclic.replace(base_lr=0.002, max_lr=float(jnp.float32(0.5)))
    close_to_float64(moved(COUNTS), [alone.lr_at(int(c)) for c in COUNTS])
    assert repr(moved) == (f"clr_optax.schedule({cyclic!r}, base_lr=0.002, max_lr=0.5)")


def test_a_schedule_without_a_range_to_stretch_is_refused_but_a_flat_cyclic_one_is_stretched():
    assert raised(clr_optax.schedule, Anneal(0.01, 0.01, 100), max_lr=0.02) == (
        ValueError, "base_lr= and max_lr= stretch a schedule's lr_range() onto new bounds; this Anneal has none "
                    "to stretch (lowest 0.01, highest 0.01)")
    flat = CyclicSchedule(base_lr=0.01, max_lr=0.01, step_size=10)  # its shape is the triangle's
    assert float(clr_optax.schedule(flat, max_lr=0.02)(10)) == pytest.approx(0.02, rel=1e-7)
