"""`WSD` through clr_optax: exact to float32 at every int32 count, equal to optax's own phases where they meet,
and a range test's plan (`RangeTestResult.schedule`) as an optax schedule."""

import math

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import clr_optax  # noqa: E402
from clr_core import WSD, RangeSweep, RangeTest  # noqa: E402
from tests.core.test_range_test import run  # noqa: E402
from tests.optax.test_optax_schedule import COUNTS, assert_float32_close, values  # noqa: E402


@pytest.mark.parametrize("shape", ["1-sqrt", "linear", "cosine"])
def test_every_int32_count_equals_lr_at_to_float32(shape):
    schedule = WSD(0.05, total_steps=3000, warmup_steps=100, decay_steps=900, shape=shape, min_lr=0.001)
    assert_float32_close(values(schedule, COUNTS), schedule.lr_at(COUNTS.astype(np.float64)), peak=0.05)


def test_linear_and_cosine_decays_equal_optax_s_warmup_constant_then_decay():
    counts = np.arange(0, 1100)
    warm = optax.warmup_constant_schedule(0.0, 0.1, warmup_steps=50)
    for shape, decay in (("linear", optax.linear_schedule(0.1, 0.002, 300)),
                         ("cosine", optax.cosine_decay_schedule(0.1, 300, alpha=0.02))):
        theirs = optax.join_schedules([warm, decay], [1000 - 300])
        expected = np.asarray(jax.jit(jax.vmap(theirs))(jnp.asarray(counts)))
        got = values(WSD(0.1, 1000, 50, 300, shape=shape, min_lr=0.002), counts)
        assert_float32_close(got, expected, peak=0.1, ulps=4)


def test_1_sqrt_in_a_jitted_sgd_loop_applies_the_formula():
    schedule = WSD(0.01, total_steps=60, warmup_steps=10, decay_steps=25)
    optimizer = optax.sgd(clr_optax.schedule(schedule))
    update = jax.jit(optimizer.update)
    weight, state, weights = jnp.zeros(()), optimizer.init(jnp.zeros(())), []
    for _ in range(70):  # a constant gradient of 1: each step moves the weight by minus its lr
        updates, state = update(jnp.ones(()), state, weight)
        weight = optax.apply_updates(weight, updates)
        weights.append(float(weight))
    formula = [0.01 * i / 10 if i < 10 else 0.01 if i < 35 else 0.01 * (1 - math.sqrt(min((i - 35) / 25, 1)))
               for i in range(70)]
    np.testing.assert_allclose(-np.asarray(weights), np.cumsum(formula), rtol=1e-6, atol=1e-9)


def test_a_range_test_plan_is_an_optax_schedule():
    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=400), beta=0.0)
    run(test)
    result = test.result()
    plan = result.schedule(epochs=10, steps_per_epoch=30)
    lr = clr_optax.schedule(plan)
    counts = np.arange(0, 301)
    assert_float32_close(values(plan, counts), plan.lr_at(counts.astype(np.float64)), peak=plan.max_lr)
    assert float(lr(150)) == pytest.approx(result.suggest_bounds()[1], rel=2**-23)
    assert float(lr(300)) == pytest.approx(result.suggest_bounds()[0], rel=2**-23)  # the run ends a cycle
