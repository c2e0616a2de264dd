"""CyclicLR in real training: every data setup, interrupted fits, other lr writers, mid-epoch checkpoints.

Each case is proven by what the rates did: the one-weight model under plain SGD with a constant gradient of 1
ends at minus the running sum (in float32) of the rates its steps applied. test_keras_backends.py runs this
file again on the torch backend.
"""

import importlib.util

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_core import OneCycle  # noqa: E402
from clr_keras import CyclicLR  # noqa: E402

from .keras_helpers import core_lrs, one_weight_model, ones, sgd_weights, steps_taken, weight  # noqa: E402

ARGS = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0}
HAS_TF = importlib.util.find_spec("tensorflow") is not None
MANY_STEPS_PER_CALL = keras.backend.backend() == "tensorflow"  # torch runs steps_per_execution=1 only
f32 = np.float32


def rate(model):
    """``optimizer.learning_rate`` as a float (on Keras 3.0 with torch, float() refuses a variable)."""
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def model_running(steps_per_execution):
    return one_weight_model(0.5, steps_per_execution=steps_per_execution if MANY_STEPS_PER_CALL else 1)


def tf_data(batches, repeat=False, unknown=False):
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(ones(batches))
    if unknown:
        data = data.filter(lambda x, y: True)
    data = data.batch(2)
    return data.repeat() if repeat else data


def endless_generator():
    x, y = ones(1)
    while True:
        yield x, y


class Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        return ones(1)


# name: (steps_per_execution, fit arguments (built lazily), needs TensorFlow)
SETUPS = {
    "arrays": (1, lambda: dict(x=ones(7)[0][:13], y=ones(7)[1][:13], batch_size=2, epochs=2), False),
    "arrays-short-last-call-validation": (
        3, lambda: dict(x=ones(7)[0], y=ones(7)[1], batch_size=2, epochs=2, validation_data=ones(2)), False),
    "tf.data": (2, lambda: dict(x=tf_data(5), epochs=2), True),
    "tf.data-repeat-steps_per_epoch": (8, lambda: dict(x=tf_data(3, repeat=True), steps_per_epoch=10, epochs=3),
                                       True),
    "tf.data-repeat-steps_per_epoch-spe1": (1, lambda: dict(x=tf_data(3, repeat=True), steps_per_epoch=4,
                                                            epochs=2), True),
    "tf.data-unknown-length": (4, lambda: dict(x=tf_data(10, unknown=True), epochs=2), True),
    "generator": (2, lambda: dict(x=endless_generator(), steps_per_epoch=5, epochs=2), False),
    "PyDataset": (3, lambda: dict(x=Batches(5), epochs=2), False),
}


@pytest.mark.parametrize("setup", list(SETUPS))
@pytest.mark.filterwarnings("ignore:Your input ran out of data")
@pytest.mark.filterwarnings("ignore:Your `PyDataset` class should call")
def test_history_has_one_entry_per_step_that_ran_equal_to_the_rate_it_applied(setup):
    spe, arguments, needs_tf = SETUPS[setup]
    if needs_tf and not HAS_TF:
        pytest.skip("tf.data needs TensorFlow")
    model = model_running(spe)
    clr = CyclicLR(**ARGS)
    model.fit(**arguments(), verbose=0, shuffle=False, callbacks=[clr])
    steps = steps_taken(model)
    assert steps > 0 and clr.history["iterations"] == list(range(1, steps + 1))
    np.testing.assert_array_equal(clr.history["lr"], core_lrs(0, steps, **ARGS))
    assert weight(model) == sgd_weights(core_lrs(0, steps, **ARGS))[-1]


class RaiseAt(keras.callbacks.Callback):
    """Raises `error` after the call that ends at or past batch `batch`, as Ctrl-C or a failing callback would."""

    def __init__(self, error, batch):
        super().__init__()
        self.error, self.batch = error, batch

    def on_train_batch_end(self, batch, logs=None):
        if batch >= self.batch:
            raise self.error


INTERRUPTIONS = {
    "KeyboardInterrupt": (KeyboardInterrupt, lambda: CyclicLR(**ARGS), [RaiseAt(KeyboardInterrupt(), 2)]),
    "another callback's error": (ZeroDivisionError, lambda: CyclicLR(**ARGS), [RaiseAt(ZeroDivisionError(), 2)]),
    "our own error": (ValueError, lambda: CyclicLR(schedule=OneCycle(0.05, 6, after="raise")), []),
}


@pytest.mark.parametrize("how", list(INTERRUPTIONS))
@pytest.mark.parametrize("spe", [1, 2])
def test_after_an_interrupted_fit_the_optimizer_obeys_its_own_rate(how, spe):
    if spe > 1 and not MANY_STEPS_PER_CALL:
        pytest.skip("steps_per_execution > 1 runs on TensorFlow only")
    error, make_callback, others = INTERRUPTIONS[how]
    model = model_running(spe)
    clr = make_callback()
    with pytest.raises(error):
        model.fit(*ones(8), batch_size=2, verbose=0, shuffle=False, callbacks=[clr, *others])
    ran = steps_taken(model)
    assert len(clr.history["lr"]) == ran  # the steps that ran are recorded, also those of the last call
    assert weight(model) == sgd_weights(clr.history["lr"])[-1]
    next_rate = rate(model)  # the rate the next step would have had
    assert next_rate == f32(clr.state.lr)
    before = weight(model)
    model.fit(*ones(1), batch_size=2, verbose=0)  # no callback: the optimizer's own rate
    assert weight(model) == f32(before - f32(next_rate))
    model.optimizer.learning_rate = 0.25  # a user's assignment takes effect
    assert rate(model) == 0.25
    before = weight(model)
    model.train_on_batch(*ones(1))
    model.fit(*ones(1), batch_size=2, verbose=0)
    assert weight(model) == f32(f32(before - f32(0.25)) - f32(0.25))


def test_an_assignment_right_after_an_interrupted_fit_reads_back_and_trains():
    model = model_running(2)
    with pytest.raises(KeyboardInterrupt):
        model.fit(*ones(8), batch_size=2, verbose=0, callbacks=[CyclicLR(**ARGS), RaiseAt(KeyboardInterrupt(), 1)])
    model.optimizer.learning_rate = 0.125  # before any other fit
    assert rate(model) == 0.125
    before = weight(model)
    model.fit(*ones(2), batch_size=2, verbose=0)  # the train function traced in the interrupted fit
    assert weight(model) == f32(f32(before - f32(0.125)) - f32(0.125))


def test_the_same_callback_continues_after_an_interrupted_fit():
    model = one_weight_model(0.5)
    clr = CyclicLR(**ARGS)
    with pytest.raises(KeyboardInterrupt):
        model.fit(*ones(8), batch_size=2, verbose=0, callbacks=[clr, RaiseAt(KeyboardInterrupt(), 2)])
    model.fit(*ones(4), batch_size=2, verbose=0, callbacks=[clr])
    np.testing.assert_array_equal(clr.history["lr"], core_lrs(0, 7, **ARGS))
    assert weight(model) == sgd_weights(core_lrs(0, 7, **ARGS))[-1]


class HalveAt(keras.callbacks.Callback):
    """Halves ``optimizer.learning_rate`` after batch `batch` of the first epoch, as a user's code would."""

    def __init__(self, batch):
        super().__init__()
        self.batch, self.done = batch, False

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.batch and not self.done:
            self.done = True
            optimizer = self.model.optimizer
            optimizer.learning_rate = rate(self.model) * 0.5


def plateau():
    # min_delta so large that no epoch improves: the rate halves at the end of every epoch but the first
    return keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9, verbose=0)


def halving_scheduler():
    return keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr * 0.5)


# name: (other callback, listed before CyclicLR, scale of each step's rate for 3 epochs of 4 steps, scale of
# the bounds at the end)
WRITERS = {
    "ReduceLROnPlateau": (plateau, False, [1] * 8 + [0.5] * 4, 0.25),  # it halves again after the last epoch
    "LearningRateScheduler": (halving_scheduler, False, [1] * 4 + [0.5] * 4 + [0.25] * 4, 0.25),
    "LearningRateScheduler-listed-first": (halving_scheduler, True, [1] * 4 + [0.5] * 4 + [0.25] * 4, 0.25),
    "manual assignment": (lambda: HalveAt(1), False, [1] * 2 + [0.5] * 10, 0.5),
    "manual assignment-listed-first": (lambda: HalveAt(1), True, [1] * 2 + [0.5] * 10, 0.5),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_another_lr_writer_scales_both_bounds(writer):
    make, first, scales, final = WRITERS[writer]
    model = one_weight_model(0.5)
    clr = CyclicLR(**ARGS)
    callbacks = [make(), clr] if first else [clr, make()]
    model.fit(*ones(4), batch_size=2, epochs=3, verbose=0, shuffle=False, callbacks=callbacks)
    expected = core_lrs(0, 12, **ARGS) * np.array(scales)
    np.testing.assert_array_equal(clr.history["lr"], expected)
    assert weight(model) == sgd_weights(expected)[-1]
    assert (clr.base_lr, clr.max_lr) == (ARGS["base_lr"] * final, ARGS["max_lr"] * final)


@pytest.mark.parametrize("writer", ["ReduceLROnPlateau", "LearningRateScheduler", "manual assignment"])
def test_another_lr_writer_is_refused_on_request(writer):
    make, _, scales, _ = WRITERS[writer]
    model = one_weight_model(0.5)
    clr = CyclicLR(**ARGS, other_writers="raise")
    with pytest.raises(RuntimeError, match="something set optimizer.learning_rate"):
        model.fit(*ones(4), batch_size=2, epochs=3, verbose=0, shuffle=False, callbacks=[clr, make()])
    ran = next(step for step, scale in enumerate(scales) if scale != 1)
    np.testing.assert_array_equal(clr.history["lr"], core_lrs(0, ran, **ARGS))  # nothing scaled
    before = weight(model)
    model.fit(*ones(1), batch_size=2, verbose=0)  # and the optimizer is an ordinary one again
    assert weight(model) == f32(before - f32(core_lrs(ran, 1, **ARGS)[0]))


def test_a_mid_epoch_checkpoint_holds_the_next_steps_rate(tmp_path):
    path = tmp_path / "checkpoint.keras"
    model = one_weight_model(0.5)
    clr = CyclicLR(**ARGS)
    saver = keras.callbacks.ModelCheckpoint(str(path), save_freq=3)
    model.fit(*ones(8), batch_size=2, verbose=0, shuffle=False, callbacks=[clr, saver])  # saves after 3 and 6
    loaded = keras.saving.load_model(path)
    assert steps_taken(loaded) == 6
    assert float(keras.ops.convert_to_numpy(loaded.optimizer.learning_rate)) == f32(core_lrs(6, 1, **ARGS)[0])


def test_a_keras_that_reads_the_rate_elsewhere_is_refused_at_the_start():
    class Elsewhere(keras.optimizers.SGD):
        @property
        def learning_rate(self):  # not through _get_current_learning_rate()
            return self._learning_rate

        @learning_rate.setter
        def learning_rate(self, value):
            self._learning_rate.assign(value)

    model = one_weight_model(0.5)
    model.compile(Elsewhere(0.5), loss=model.loss)
    with pytest.raises(RuntimeError, match=f"Keras {keras.__version__}.*_get_current_learning_rate"):
        model.fit(*ones(2), batch_size=2, verbose=0, callbacks=[CyclicLR(**ARGS)])
    assert weight(model) == 0.0 and rate(model) == 0.5  # no step ran, and the rate is as it was
