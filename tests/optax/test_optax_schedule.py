"""clr_optax: every schedule kind as an optax schedule, exact to float32 rounding at every int32 count, against
the core, against optax's own schedules where the conventions meet, and in real jitted optax training loops.
"""

import math
import warnings

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import clr_optax  # noqa: E402
from clr_core import (  # noqa: E402
    Anneal,
    CosineRestarts,
    CyclicSchedule,
    Join,
    OneCycle,
    RangeSweep,
    momentum_for,
    warmup,
)

ULP = 2.0**-24  # float32's relative rounding (half an ulp of 1.0)
INT32_MAX = 2**31 - 1
SCHEDULES = {
    "triangular": CyclicSchedule(0.001, 0.006, step_size=2000),
    "triangular2": CyclicSchedule(0.001, 0.006, step_size=7, mode="triangular2"),
    "exp_range": CyclicSchedule(0.001, 0.006, step_size=1000, mode="exp_range", gamma=0.99994),
    "exp_range, gamma near 1, base 0": CyclicSchedule(0.0, 0.006, step_size=1000, mode="exp_range",
                                                       gamma=0.9999999),
    "cosine waveform, asymmetric": CyclicSchedule(0.01, 0.05, step_size=3, step_size_down=5, waveform="cosine"),
    "custom scale_fn of the cycle": CyclicSchedule(0.01, 0.05, step_size=4, scale_fn=lambda s: 1 / (1 + s / 8)),
    "one-cycle, three-phase": OneCycle(0.05, total_steps=30, pct_start=0.25, three_phase=True),
    "cosine restarts with decay": CosineRestarts(0.05, period=400, min_lr=0.01, decay=0.9),
    "warmup then triangular2": warmup(CyclicSchedule(0.01, 0.05, step_size=3, mode="triangular2"), steps=5),
    "join, repeating": Join([CyclicSchedule(0.01, 0.05, step_size=2), Anneal(0.03, 0.001, 10, "cosine")], [9],
                            length=25, after="repeat"),
    "momentum of a cycle": momentum_for(CyclicSchedule(0.001, 0.006, step_size=2000), 0.85, 0.95),
    "momentum of a one-cycle": momentum_for(OneCycle(0.05, total_steps=1000), 0.85, 0.95),
    "range sweep": RangeSweep(1e-5, 1.0, num_iter=100),
}
RNG = np.random.default_rng(0)
COUNTS = np.unique(np.concatenate([np.arange(0, 64), RNG.integers(0, INT32_MAX, 4000),
                                   [2**24 - 1, 2**24, 2**24 + 1, 2**24 + 3, 10**9 + 7, INT32_MAX - 1, INT32_MAX]]))


def assert_float32_close(got, exact, peak, ulps=8):
    """`got` equals `exact` within a few float32 ulps of the schedule's `peak` (its largest value)."""
    error = np.abs(np.asarray(got, dtype=np.float64) - exact)
    worst = int(np.argmax(error))
    assert error[worst] <= ulps * ULP * peak, (worst, float(np.asarray(got).reshape(-1)[worst]), exact[worst])


def values(schedule, counts):
    """The optax schedule of `schedule` on int32 `counts`, jitted and vmapped (no warning may be raised)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optax_schedule = clr_optax.schedule(schedule)
    return np.asarray(jax.jit(jax.vmap(optax_schedule))(jnp.asarray(counts, dtype=jnp.int32)))


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_kind_equals_lr_at_to_float32_rounding_at_every_int32_count(name):
    schedule = SCHEDULES[name]
    got = values(schedule, COUNTS)
    assert got.dtype == np.float32 and got.shape == COUNTS.shape
    exact = schedule.lr_at(COUNTS.astype(np.float64))
    assert_float32_close(got, exact, peak=max(float(schedule.lr_at(np.arange(3000)).max()), float(exact.max())))


def test_the_issue_examples_and_what_a_float32_count_gives_instead():
    schedule = CyclicSchedule(0.001, 0.006, step_size=2000)
    lr = clr_optax.schedule(schedule)
    for count, exact in ((2**24 + 1, 0.0040425), (10**9 + 7, 0.0010175)):
        assert schedule.lr_at(count) == pytest.approx(exact, rel=1e-12)
        assert float(lr(count)) == pytest.approx(exact, rel=2**-23)  # the int32 count: the exact lr in float32
        assert float(lr(jnp.float32(count))) != pytest.approx(exact, rel=1e-4)  # a float32 count drifts
    assert float(lr(-5)) == float(lr(0)) == np.float32(0.001)  # negative counts read as 0


def test_it_matches_optax_one_cycle_warmup_cosine_and_sgdr():
    counts = np.arange(0, 260)
    # optax's one-cycle rises until pct_start * T and falls until T; PyTorch's (ours) until pct * t - 1 and
    # t - 1: the same curve for t = T + 1 and pct = (0.3 * T + 1) / (T + 1).
    total = 200
    theirs = optax.cosine_onecycle_schedule(total, 0.1, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    ours = OneCycle(0.1, total_steps=total + 1, pct_start=(0.3 * total + 1) / (total + 1), div_factor=25.0,
                    final_div_factor=1e4)
    pairs = [(theirs, ours)]
    theirs = optax.warmup_cosine_decay_schedule(0.0, 0.1, warmup_steps=20, decay_steps=200, end_value=0.001)
    pairs.append((theirs, warmup(Anneal(0.1, 0.001, 180, shape="cosine"), steps=20)))
    theirs = optax.sgdr_schedule([{"init_value": 0.1, "peak_value": 0.1 * 0.5**k, "warmup_steps": 0,
                                   "decay_steps": 50 * 2**k, "end_value": 0.0} for k in range(3)])
    pairs.append((theirs, CosineRestarts(0.1, period=50, period_mult=2, decay=0.5, cycles=3)))
    # Each is within float32 rounding of the same exact (float64) curve; compared with each other their
    # roundings add up (optax's cosine is the cancelling textbook form, ours is not).
    for theirs, ours in pairs:
        exact = ours.lr_at(counts.astype(np.float64))
        assert_float32_close(np.asarray(jax.jit(jax.vmap(theirs))(jnp.asarray(counts))), exact, peak=0.1, ulps=4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # restarts with growing cycles warn about counts past 2**24
            got = np.asarray(jax.jit(jax.vmap(clr_optax.schedule(ours)))(jnp.asarray(counts)))
        assert_float32_close(got, exact, peak=0.1, ulps=4)


def test_the_one_cycle_tail_is_within_float32_rounding_of_the_core():
    """The issue's count 4998 of 5000: the textbook cosine lost the small term in float32 (relative 1.7e-3)."""
    schedule = OneCycle(0.01, total_steps=5000)
    lr = clr_optax.schedule(schedule)
    counts = np.arange(4900, 5000)
    got = np.asarray(jax.vmap(lr)(jnp.asarray(counts)), dtype=np.float64)
    exact = schedule.lr_at(counts.astype(np.float64))
    assert np.max(np.abs(got - exact) / exact) <= 2 * 2.0**-23  # two float32 roundings of the value itself
    assert float(lr(4998)) == pytest.approx(4.2014196787e-08, rel=2**-23)


@pytest.fixture(scope="module")
def sgd_run():
    """``run(schedule_fn, first_count, steps)``: optax SGD on one float32 weight with a constant gradient of 1,
    jitted with lax.scan; returns the weight after each step."""

    def run(learning_rate, first_count, steps):
        optimizer = optax.sgd(learning_rate)
        state = optimizer.init(jnp.zeros(()))
        state = optax.tree_utils.tree_set(state, count=jnp.asarray(first_count, dtype=jnp.int32))

        @jax.jit
        def train(state):
            def step(carry, _):
                weight, state = carry
                updates, state = optimizer.update(jnp.ones(()), state, weight)
                weight = optax.apply_updates(weight, updates)
                return (weight, state), weight
            return jax.lax.scan(step, (jnp.zeros(()), state), length=steps)[1]

        return np.asarray(train(state))

    return run


@pytest.mark.parametrize("first_count", [0, 2**24 - 3, INT32_MAX - 40])
def test_a_jitted_optax_sgd_loop_applies_the_exact_rates(sgd_run, first_count):
    schedule = CyclicSchedule(0.001, 0.006, step_size=4, mode="triangular2", step_size_down=6)
    lr = clr_optax.schedule(schedule)
    weights = sgd_run(lr, first_count, 40)
    counts = np.minimum(np.arange(first_count, first_count + 40), INT32_MAX)  # optax's count saturates
    applied = np.float32([float(lr(count)) for count in counts])
    running = np.cumsum(applied, dtype=np.float32)  # w = 0 - lr_0 - lr_1 - ..., each in float32
    np.testing.assert_array_equal(weights, -running)
    assert_float32_close(applied, schedule.lr_at(counts.astype(np.float64)), peak=0.006, ulps=4)


def test_momentum_through_inject_hyperparams_sgd_and_adam_b1():
    lr_schedule = CyclicSchedule(0.01, 0.05, step_size=5)
    lr, momentum = clr_optax.schedule(lr_schedule), clr_optax.schedule(momentum_for(lr_schedule, 0.85, 0.95))
    steps = 20

    def train(optimizer, name):
        """`steps` jitted updates with a constant gradient of 1: the weight, lr and momentum of each."""
        def step(carry, _):
            weight, state = carry
            updates, state = optimizer.update(jnp.ones(()), state, weight)
            hyperparams = state.hyperparams  # those this update applied
            weight = optax.apply_updates(weight, updates)
            return (weight, state), (weight, hyperparams["learning_rate"], hyperparams[name])
        run = jax.jit(lambda state: jax.lax.scan(step, (jnp.zeros(()), state), length=steps)[1])
        return (np.asarray(item) for item in run(optimizer.init(jnp.zeros(()))))

    for make, name in ((optax.inject_hyperparams(optax.sgd), "momentum"),
                       (optax.inject_hyperparams(optax.adam), "b1")):
        weights, lrs, momenta = train(make(learning_rate=lr, **{name: momentum}), name)
        assert_float32_close(lrs, lr_schedule.lr_at(np.arange(steps)), peak=0.05, ulps=2)
        assert_float32_close(momenta, momentum_for(lr_schedule, 0.85, 0.95).lr_at(np.arange(steps)), peak=1, ulps=2)
        if name == "momentum":  # optax's trace: v = g + m * v, w -= lr * v
            velocity, weight, expected = np.float32(0), np.float32(0), []
            for step_lr, step_momentum in zip(lrs, momenta):
                velocity = np.float32(1 + step_momentum * velocity)
                weight = np.float32(weight - step_lr * velocity)
                expected.append(weight)
            np.testing.assert_allclose(weights, expected, rtol=1e-6)
        assert momenta[0] == np.float32(0.95) and momenta[5] == np.float32(0.85)


def test_a_custom_function_that_needs_a_python_number_is_refused_when_built():
    with pytest.raises(TypeError, match=r"cannot be computed on JAX arrays .* jax\.numpy"):
        clr_optax.schedule(CyclicSchedule(scale_fn=lambda s: math.exp(-s)))
    with pytest.raises(TypeError, match="takes a clr_core schedule"):
        clr_optax.schedule(optax.constant_schedule(0.1))


@pytest.mark.parametrize("schedule, reason", [
    (CyclicSchedule(step_size=2000.25), "period that is not a whole number"),
    (CyclicSchedule(scale_fn=lambda s: 1 / (1 + s), scale_mode="iterations"), "custom scale_fn of the iteration"),
    (CosineRestarts(0.05, period=10, period_mult=2), "comparison with a float array"),
])
def test_where_whole_steps_cannot_hold_past_2_24_it_warns_when_built(schedule, reason):
    with pytest.warns(UserWarning, match=rf"exact only below 2\*\*24 steps: .*{reason}"):
        clr_optax.schedule(schedule)


def test_under_x64_it_computes_in_float64():
    schedule = CyclicSchedule(0.001, 0.006, step_size=1000.37, mode="exp_range", gamma=0.99994)
    with jax.enable_x64(True):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # float64 holds every int32 count: nothing to warn about
            lr = clr_optax.schedule(schedule, dtype="float64")
        got = lr(jnp.asarray([5, 2**24 + 1, 10**9 + 7], dtype=jnp.int32))
        assert got.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(got), schedule.lr_at(np.array([5, 2**24 + 1, 10**9 + 7])),
                                   rtol=1e-12)
