"""clr_optax.range_test on a user's jitted optax step: the lrs of the sweep applied by the step (proved by
their effect), one trace for the whole sweep, the caller's state untouched, accumulation, evaluation, and
outputs it cannot read refused by name."""

import warnings

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import clr_optax  # noqa: E402
from clr_core import RangeSweep, RangeTestResult, RangeTestWarning  # noqa: E402
from tests.errors import raised  # noqa: E402


def sweep_lrs(start, end, num_iter):
    sweep = RangeSweep(start, end, num_iter)
    return [sweep.lr_at(k) for k in range(num_iter)]


def linear_step(traces):
    """A jitted optax SGD step on the loss ``w * c + 10``: its gradient is the batch's constant ``c``."""
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)

    @jax.jit
    def step(state, c, lr):
        traces.append(1)  # runs only while jax traces the function
        params, opt_state = state
        opt_state.hyperparams["learning_rate"] = lr
        loss, grads = jax.value_and_grad(lambda w: w * c + 10.0)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    params = jnp.float32(1.0)
    return step, (params, optimizer.init(params))


def test_the_jitted_step_runs_each_sweep_lr_once_traced_and_leaves_the_callers_state_as_it_was():
    traces = []
    step, state = linear_step(traces)
    before = jax.tree_util.tree_map(np.asarray, state)
    num_iter = 12
    result = clr_optax.range_test(step, state, [jnp.float32(2.0)], start_lr=1e-3, end_lr=1e-1, num_iter=num_iter)
    expected = sweep_lrs(1e-3, 1e-1, num_iter)
    assert isinstance(result, RangeTestResult) and result.lrs == expected
    # the loss before step k is w_k * 2 + 10, with w_k = 1 - 2 * (the lrs applied so far): each lr by its effect
    weight = 1.0
    for lr, loss in zip(expected, result.losses):
        assert loss == pytest.approx(weight * 2.0 + 10.0, rel=1e-6)
        weight -= 2.0 * lr
    assert len(traces) == 1  # the lr is an argument of the jitted step, not a constant baked into it
    jax.tree_util.tree_map(np.testing.assert_array_equal, jax.tree_util.tree_map(np.asarray, state), before)


def test_the_optax_state_tells_whether_the_optimizer_is_adaptive_and_a_state_without_one_asks():
    params = {"w": jnp.zeros(3)}
    told = [(optax.adam(0.1), True), (optax.inject_hyperparams(optax.adamw)(learning_rate=0.1), True),
            (optax.rmsprop(0.1), True), (optax.adagrad(0.1), True), (optax.adafactor(0.1), True),
            (optax.MultiSteps(optax.lion(0.1), 2), True), (optax.rmsprop(0.1, bias_correction=True), True),
            (optax.contrib.schedule_free_adamw(0.1), True), (optax.sgd(0.1, momentum=0.9), False),
            (optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1)), False)]
    for optimizer, adaptive in told:
        state = (params, optimizer.init(params))
        result = clr_optax.range_test(lambda state, batch, lr: (state, 1.0), state, [0], num_iter=5)
        assert result.adaptive is adaptive, optimizer
    with pytest.warns(RangeTestWarning, match="cannot tell from state whether the optimizer is adaptive"):
        assert not clr_optax.range_test(lambda state, batch, lr: (state, 1.0), params, [0], num_iter=5).adaptive
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clr_optax.range_test(lambda state, batch, lr: (state, 1.0), params, [0], num_iter=5,
                                    adaptive=True).adaptive


def test_accumulation_runs_k_batches_at_each_lr_and_records_their_mean_loss():
    traces = []
    step, state = linear_step(traces)
    seen = []

    def counting_step(state, c, lr):
        seen.append((float(c), lr))
        return step(state, c, lr)

    result = clr_optax.range_test(counting_step, state, [jnp.float32(1.0), jnp.float32(3.0)], start_lr=1e-3,
                                  end_lr=1e-2, num_iter=4, accumulation_steps=2)
    lrs = sweep_lrs(1e-3, 1e-2, 4)
    assert seen == [(c, lr) for lr in lrs for c in (1.0, 3.0)]
    weight = 1.0  # each call is an SGD update here, so the second batch sees the first one's move
    for lr, loss in zip(lrs, result.losses):
        after_first = weight - lr * 1.0
        assert loss == pytest.approx(((weight * 1.0 + 10.0) + (after_first * 3.0 + 10.0)) / 2, rel=1e-6)
        weight = after_first - lr * 3.0


def test_a_real_regression_falls_then_diverges_and_evaluate_lands_in_the_metrics():
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (256, 4))
    y = x @ jnp.array([1.0, -2.0, 0.5, 3.0]) + 0.1
    batches = [(x[k:k + 32], y[k:k + 32]) for k in range(0, 256, 32)]
    optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=0.0)

    def loss_of(params, batch):
        inputs, targets = batch
        return jnp.mean((inputs @ params["w"] + params["b"] - targets) ** 2)

    @jax.jit
    def step(state, batch, lr):
        params, opt_state = state
        opt_state.hyperparams["learning_rate"] = lr
        loss, grads = jax.value_and_grad(loss_of)(params, batch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    params = {"w": jnp.zeros(4), "b": jnp.zeros(())}
    evaluated = []

    def evaluate(state):
        evaluated.append(1)
        return {"val_loss": loss_of(state[0], (x[:64], y[:64]))}

    result = clr_optax.range_test(step, (params, optimizer.init(params)), batches, start_lr=1e-4, end_lr=1e3,
                                  num_iter=200, evaluate=evaluate, eval_every=10)
    assert min(result.losses) < 0.05 * result.losses[0]  # it learned
    assert result.stopped_early and len(result.lrs) < 200  # and diverged at the large lrs
    assert result.metric_steps[:3] == [9, 19, 29] and len(evaluated) == len(result.metric_steps)
    assert min(result.metrics["val_loss"]) < 0.05 * result.losses[0]


@pytest.mark.filterwarnings("ignore:range_test cannot tell")
def test_outputs_the_runner_cannot_read_are_refused_by_name():
    state = jnp.float32(0.0)
    assert raised(clr_optax.range_test, "step", state, [1]) == (TypeError, "step must be callable, got str")
    assert raised(clr_optax.range_test, lambda s, b, lr: [s, 1.0], state, [1], num_iter=3) == (
        TypeError, "step must return (state, loss), got list")
    assert raised(clr_optax.range_test, lambda s, b, lr: (s, 1.0, 2.0), state, [1], num_iter=3) == (
        TypeError, "step must return (state, loss), got a tuple of 3 items")
    assert raised(clr_optax.range_test, lambda s, b, lr: (s, jnp.ones(3)), state, [1], num_iter=3) == (
        TypeError, "step must return (state, loss) with a scalar loss, got a loss of shape (3,) and dtype float32")
    assert raised(clr_optax.range_test, lambda s, b, lr: (s, 1.0), state, [1], num_iter=3,
                  evaluate=lambda s: 0.5) == (
        TypeError, "evaluate must return a mapping of metric names to values, e.g. {'val_loss': ...}, got float")
    assert raised(clr_optax.range_test, lambda s, b, lr: (s, 1.0), state, [1], accumulation_steps=0) == (
        ValueError, "accumulation_steps must be an int >= 1, got 0")
