"""CyclicLR in real `fit` runs: the classic notebook's scenarios, every optimizer, exact per-step rates."""

import csv

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_keras import CyclicLR, CyclicLRSchedule  # noqa: E402

from .keras_helpers import (  # noqa: E402
    OPTIMIZERS,
    WeightProbe,
    core_lrs,
    one_weight_model,
    ones,
    sgd_weights,
    unit_gradient_loss,
    weight,
)

TF = keras.backend.backend() == "tensorflow"


def small_model(learning_rate, optimizer: str) -> keras.Model:
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.compile(getattr(keras.optimizers, optimizer)(learning_rate), loss="mse")
    return model


def small_data(batches: int = 4, batch_size: int = 4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batches * batch_size, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_triangular(optimizer):
    """The notebook's first scenario with each optimizer: the callback's rates reach the updates exactly
    as the in-graph schedule's (an independent path to the same numbers)."""
    arguments = {"base_lr": 0.001, "max_lr": 0.006, "step_size": 3.0}
    x, y = small_data()
    model = small_model(0.5, optimizer)
    clr = CyclicLR(**arguments)
    fit = model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False, callbacks=[clr])
    np.testing.assert_array_equal(clr.history["lr"], core_lrs(0, 12, **arguments))
    assert clr.history["iterations"] == list(range(1, 13))
    assert len(clr.history["loss"]) == len(clr.history["batch_loss"]) == 12
    np.testing.assert_array_equal(fit.history["lr"], core_lrs(0, 12, **arguments)[3::4])
    reference = small_model(CyclicLRSchedule(**arguments), optimizer)
    reference.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False)
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("spe", [1, 3])
def test_every_step_applies_its_own_rate_under_steps_per_execution(spe):
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 4.0}
    model = one_weight_model(0.5, steps_per_execution=spe)
    probe = WeightProbe()
    clr = CyclicLR(**arguments)
    model.fit(*ones(10), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr, probe])
    lrs = core_lrs(0, 20, **arguments)
    expected = sgd_weights(lrs)  # the weight after each step: minus the running sum of the applied rates
    ends = [min(start + spe, 10) - 1 for start in range(0, 10, spe)]
    boundaries = ends + [10 + end for end in ends]
    np.testing.assert_array_equal(probe.weights, expected[boundaries])
    np.testing.assert_array_equal(clr.history["lr"], lrs)
    assert clr.history["iterations"] == list(range(1, 21))
    assert len(clr.history["loss"]) == len(boundaries)  # one metric entry per report
    assert clr.history.at("loss") == [b + 1 for b in boundaries]
    if spe > 1:  # what a callback setting the rate between calls would have applied: a staircase
        staircase = np.repeat(lrs[::spe], spe)[:20]
        assert not np.array_equal(sgd_weights(staircase)[boundaries], expected[boundaries])


@pytest.mark.skipif(not TF, reason="tf.data of unknown length")
@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_steps_per_execution_with_data_of_unknown_length():
    import tensorflow as tf

    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 4.0}
    x, y = ones(10)
    data = tf.data.Dataset.from_tensor_slices((x, y)).filter(lambda a, b: True).batch(2)
    model = one_weight_model(0.5, steps_per_execution=4)
    clr = CyclicLR(**arguments)
    model.fit(data, epochs=2, verbose=0, shuffle=False, callbacks=[clr])
    assert clr.history["iterations"] == list(range(1, 21))
    assert weight(model) == sgd_weights(core_lrs(0, 20, **arguments))[-1]


def test_triangular2_and_reset_between_fits():
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 2.0, "mode": "triangular2"}
    model = one_weight_model(0.5)
    clr = CyclicLR(**arguments)
    model.fit(*ones(10), batch_size=2, verbose=0, callbacks=[clr])
    assert clr.clr_iterations == clr.trn_iterations == 10
    clr._reset()
    assert clr.clr_iterations == 0 and clr.trn_iterations == 10
    model.fit(*ones(6), batch_size=2, verbose=0, callbacks=[clr])
    lrs = np.concatenate([core_lrs(0, 10, **arguments), core_lrs(0, 6, **arguments)])
    np.testing.assert_array_equal(clr.history["lr"], lrs)
    assert clr.history["iterations"] == list(range(1, 17))
    assert weight(model) == sgd_weights(lrs)[-1]


class ResetAt(keras.callbacks.Callback):
    """Calls ``clr._reset(**changes)`` after batch `batch` of epoch `epoch`, as a user's callback would."""

    def __init__(self, clr, epoch, batch, **changes):
        super().__init__()
        self.clr, self.epoch, self.batch, self.changes, self.current = clr, epoch, batch, changes, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            self.clr._reset(**self.changes)


def test_exp_range_and_reset_with_new_bounds_during_training():
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0, "mode": "exp_range", "gamma": 0.9}
    model = one_weight_model(0.5)
    clr = CyclicLR(**arguments)
    reset = ResetAt(clr, epoch=1, batch=2, new_base_lr=0.02, new_max_lr=0.08, new_step_size=2.0)
    model.fit(*ones(6), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr, reset])
    changed = {**arguments, "base_lr": 0.02, "max_lr": 0.08, "step_size": 2.0}
    lrs = np.concatenate([core_lrs(0, 9, **arguments), core_lrs(0, 3, **changed)])  # reset after step 9
    np.testing.assert_array_equal(clr.history["lr"], lrs)
    assert weight(model) == sgd_weights(lrs)[-1]
    assert (clr.base_lr, clr.max_lr, clr.step_size) == (0.02, 0.08, 2.0)


@pytest.mark.parametrize(("scale_fn", "scale_mode"), [
    (lambda x: 0.5 * (1 + np.sin(x * np.pi / 2.0)), "cycle"),  # the notebook's custom cycle policy
    (lambda x: 1 / (5 ** (x * 0.0001)), "iterations"),  # the notebook's custom iteration policy
], ids=["per-cycle", "per-iteration"])
def test_custom_scale_functions(scale_fn, scale_mode):
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 2.0, "scale_fn": scale_fn, "scale_mode": scale_mode}
    model = one_weight_model(0.5, steps_per_execution=2)
    clr = CyclicLR(**arguments)
    model.fit(*ones(8), batch_size=2, epochs=2, verbose=0, callbacks=[clr])
    lrs = core_lrs(0, 16, **arguments)
    np.testing.assert_allclose(clr.history["lr"], lrs, rtol=1e-15)
    assert weight(model) == pytest.approx(sgd_weights(lrs)[-1], rel=1e-6)


def test_repeated_fit_continues_history_and_counters():
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 5.0}
    model = one_weight_model(0.5)
    clr = CyclicLR(**arguments)
    for batches in (3, 4, 5):
        model.fit(*ones(batches), batch_size=2, verbose=0, callbacks=[clr])
    assert clr.history["iterations"] == list(range(1, 13))
    np.testing.assert_array_equal(clr.history["lr"], core_lrs(0, 12, **arguments))
    assert weight(model) == sgd_weights(core_lrs(0, 12, **arguments))[-1]
    assert clr.clr() == core_lrs(12, 1, **arguments)[0]


def test_logs_hold_lr_and_the_true_batch_loss(tmp_path):
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0}
    model = one_weight_model(0.5)
    clr = CyclicLR(**arguments)
    probe = WeightProbe()
    path = tmp_path / "log.csv"
    fit = model.fit(*ones(4), batch_size=2, epochs=3, verbose=0, shuffle=False,
                    callbacks=[clr, probe, keras.callbacks.CSVLogger(str(path))])
    lrs = core_lrs(0, 12, **arguments)
    with open(path) as file:
        rows = list(csv.DictReader(file))
    assert [float(row["lr"]) for row in rows] == list(lrs[3::4])
    assert fit.history["lr"] == list(lrs[3::4])
    assert [logs["lr"] for logs in probe.batch_logs] == list(lrs)
    # loss = mean(w * 1) is the weight before each step; Keras' 'loss' is its running mean over the epoch
    before = np.concatenate([[0.0], sgd_weights(lrs)[:-1]])
    np.testing.assert_allclose(clr.history["batch_loss"], before, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose([logs["batch_loss"] for logs in probe.batch_logs], before, rtol=1e-5, atol=1e-7)
    assert clr.history["loss"][1] == pytest.approx((before[0] + before[1]) / 2, rel=1e-6)


def test_batch_loss_under_steps_per_execution_is_the_mean_of_the_call():
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0}
    model = one_weight_model(0.5, steps_per_execution=2)
    clr = CyclicLR(**arguments)
    model.fit(*ones(6), batch_size=2, verbose=0, shuffle=False, callbacks=[clr])
    before = np.concatenate([[0.0], sgd_weights(core_lrs(0, 6, **arguments))[:-1]])
    np.testing.assert_allclose(clr.history["batch_loss"], before.reshape(3, 2).mean(axis=1), rtol=1e-5)


def test_after_training_the_optimizer_is_an_ordinary_one_again():
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0}
    model = one_weight_model(0.5)
    clr = CyclicLR(**arguments)
    model.fit(*ones(4), batch_size=2, verbose=0, callbacks=[clr])
    assert float(model.optimizer.learning_rate) == np.float32(core_lrs(4, 1, **arguments)[0])
    model.optimizer.learning_rate = 0.25
    before = weight(model)
    model.fit(*ones(2), batch_size=2, verbose=0)  # no callback: the set rate, not the table
    assert weight(model) == pytest.approx(before - 0.5, rel=1e-6)
    second = CyclicLR(base_lr=0.03, max_lr=0.03, step_size=1.0)  # a new callback on the same optimizer
    model.fit(*ones(2), batch_size=2, verbose=0, callbacks=[second])
    assert second.history["iterations"] == [7, 8]  # a new callback continues the optimizer's step count
    assert weight(model) == pytest.approx(before - 0.5 - 0.06, rel=1e-6)


@pytest.mark.parametrize("start", [10**9 + 5, 2**40 + 3])
def test_callback_continues_exactly_from_a_huge_step_counter(start):
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0, "mode": "exp_range", "gamma": 0.999999999}
    model = one_weight_model(0.5, steps_per_execution=2)
    model.optimizer.iterations.assign(start)  # a model trained for that long, loaded from a file
    clr = CyclicLR(**arguments)
    model.fit(*ones(6), batch_size=2, verbose=0, callbacks=[clr])
    lrs = core_lrs(start, 6, **arguments)
    assert clr.history["iterations"] == list(range(start + 1, start + 7))
    np.testing.assert_array_equal(clr.history["lr"], lrs)
    assert weight(model) == sgd_weights(lrs)[-1]


def test_loss_scale_optimizer():
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0}
    model = one_weight_model(0.5)
    model.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.5)), loss=model.loss)
    clr = CyclicLR(**arguments)
    model.fit(*ones(6), batch_size=2, verbose=0, callbacks=[clr])
    assert weight(model) == sgd_weights(core_lrs(0, 6, **arguments))[-1]


def test_callback_takes_any_core_schedule():
    import clr_core

    if not hasattr(clr_core, "OneCycle"):
        pytest.skip("this clr_core has no OneCycle")
    core = clr_core.OneCycle(max_lr=0.1, total_steps=12)
    model = one_weight_model(0.5, steps_per_execution=4)
    clr = CyclicLR(schedule=core)
    model.fit(*ones(12), batch_size=2, verbose=0, callbacks=[clr])
    np.testing.assert_array_equal(clr.history["lr"], core.lr_at(np.arange(12)))
    assert weight(model) == sgd_weights(core.lr_at(np.arange(12)))[-1]


def test_a_step_skipped_by_loss_scaling_gets_no_lr_and_the_next_step_its_own():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(1.0), initial_scale=2.0**15)
    model.compile(optimizer, loss=unit_gradient_loss)
    x = np.ones((8, 1), "float32")
    x[2] = 3e38  # the scaled gradient overflows: Keras skips this step
    clr = CyclicLR(base_lr=0.01, max_lr=0.05, step_size=2)
    model.fit(x, np.zeros((8, 1), "float32"), batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[clr])
    assert clr.history["lr"] == pytest.approx([0.01, 0.03, 0.05, 0.03, 0.01, 0.03, 0.05])
    assert weight(model) == pytest.approx(-sum(clr.history["lr"]), rel=1e-6)


def test_a_schedule_that_raises_at_its_end_runs_every_step_then_refuses_more():
    from clr_core import OneCycle

    model = one_weight_model(1.0)
    clr = CyclicLR(schedule=OneCycle(0.1, 8, after="raise"))
    model.fit(*ones(8, batch_size=1), batch_size=1, epochs=1, verbose=0, callbacks=[clr])
    assert len(clr.history["lr"]) == 8
    with pytest.raises(ValueError, match="iteration 8 is past its end"):
        model.fit(*ones(2, batch_size=1), batch_size=1, epochs=1, verbose=0, callbacks=[clr])
