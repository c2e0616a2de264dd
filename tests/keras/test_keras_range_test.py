"""clr_keras.range_test reads the data `fit` reads (a tf.data dataset of dicts with sample weights, a
PyDataset, a generator, dicts of arrays) and takes one point per real update under the optimizer's
``gradient_accumulation_steps`` (proved by its effect: one weight, a loss with a known gradient, plain SGD)."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from clr_core import RangeSweep, RangeTestResult  # noqa: E402
from clr_keras import range_test  # noqa: E402
from tests.errors import raised  # noqa: E402

N, BATCH = 96, 16


def two_input_model():
    keras.utils.set_random_seed(0)
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    hidden = keras.layers.Dense(8, activation="tanh")(keras.layers.Concatenate()([a, b]))
    model = keras.Model({"a": a, "b": b}, keras.layers.Dense(1)(hidden))
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    return model


def data():
    rng = np.random.default_rng(0)
    x = {"a": rng.normal(size=(N, 3)).astype("float32"), "b": rng.normal(size=(N, 2)).astype("float32")}
    y = (x["a"].sum(axis=1, keepdims=True) - x["b"][:, :1]).astype("float32")
    weights = rng.uniform(0.1, 2.0, size=(N,)).astype("float32")
    return x, y, weights


def batch(x, y, weights, k):
    part = slice(k * BATCH, (k + 1) * BATCH)
    return {name: value[part] for name, value in x.items()}, y[part], weights[part]


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, weights):
        super().__init__()
        self.parts = (x, y, weights)

    def __len__(self):
        return N // BATCH

    def __getitem__(self, index):
        return batch(*self.parts, index)


def test_a_dataset_of_dicts_with_sample_weights_a_py_dataset_a_generator_and_dict_arrays_give_one_curve():
    tf = pytest.importorskip("tensorflow")
    x, y, weights = data()
    model = two_input_model()
    before = [w.copy() for w in model.get_weights()]
    options = {"start_lr": 1e-3, "end_lr": 1.0, "num_iter": N // BATCH}
    arrays = range_test(model, x, y, sample_weight=weights, batch_size=BATCH, **options)
    dataset = tf.data.Dataset.from_tensor_slices((x, y, weights)).batch(BATCH)
    assert dataset.element_spec[0]["a"].shape.as_list() == [None, 3]  # a dataset of dicts, with weights
    from_dataset = range_test(model, dataset, **options)
    from_py_dataset = range_test(model, Batches(x, y, weights), **options)
    from_generator = range_test(model, (batch(x, y, weights, k) for k in range(N // BATCH)), **options)
    assert isinstance(from_dataset, RangeTestResult)
    for other in (from_dataset, from_py_dataset, from_generator):
        assert other.lrs == arrays.lrs and other.losses == pytest.approx(arrays.losses, rel=1e-5)
    # the weights are read: twice the weights, twice the first (weighted mean) loss
    doubled = range_test(model, x, y, sample_weight=2 * weights, batch_size=BATCH, **options)
    unweighted = range_test(model, x, y, batch_size=BATCH, **options)
    assert doubled.losses[0] == pytest.approx(2 * arrays.losses[0], rel=1e-5)
    assert unweighted.losses[0] != pytest.approx(arrays.losses[0], rel=1e-2)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def scalar_model(**optimizer_options):
    """``w * c``, mean over the batch, + 10: the loss's gradient in ``w`` is the batch's mean ``c``."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=keras.optimizers.SGD(0.5, **optimizer_options),
                  loss=lambda y_true, y_pred: keras.ops.mean(y_pred) + 10.0)
    return model


def test_gradient_accumulation_steps_makes_each_point_k_batches_and_one_update_at_the_sweep_lr():
    k, num_iter = 3, 6
    model = scalar_model(gradient_accumulation_steps=k)
    constants = [1.0, 2.0, 6.0]  # the k batches of each update: its gradient is their mean, 3.0
    given = []

    def batches():
        while True:
            for c in constants:
                given.append(c)
                yield np.full((4, 1), c, "float32"), np.zeros((4, 1), "float32")

    weights = []
    result = range_test(model, batches(), start_lr=1e-3, end_lr=1e-1, num_iter=num_iter,
                        on_step=lambda done, lr, loss: weights.append(float(model.get_weights()[0][0, 0])))
    sweep = RangeSweep(1e-3, 1e-1, num_iter)
    expected = [sweep.lr_at(step) for step in range(num_iter)]
    assert result.lrs == expected and len(given) == k * num_iter
    moves = np.diff([1.0, *weights])
    assert list(-moves / 3.0) == pytest.approx(expected, rel=1e-4)  # one update of lr * 3.0 per point
    weight = 1.0
    for lr, loss in zip(expected, result.losses):  # no update within a point: its k losses see the same w
        assert loss == pytest.approx(weight * 3.0 + 10.0, rel=1e-6)
        weight -= lr * 3.0
    assert float(model.get_weights()[0][0, 0]) == 1.0 and int(model.optimizer._iterations) == 0  # restored

    # an optimizer part way through its k batches, kept (fresh_optimizer=False): the first point completes
    # that update (k - 1 batches), every later one takes k
    model.train_on_batch(np.ones((4, 1), "float32"), np.zeros((4, 1), "float32"))
    given.clear()
    range_test(model, batches(), start_lr=1e-3, end_lr=1e-1, num_iter=num_iter, fresh_optimizer=False)
    assert len(given) == k * num_iter - 1


def test_arrays_that_disagree_and_weights_without_arrays_are_refused_by_name():
    x, y, weights = data()
    model = two_input_model()
    assert raised(range_test, model, x, y[:10], num_iter=3) == (
        ValueError, "x, y and sample_weight must hold the same number of examples, got x [96, 96], y 10")
    assert raised(range_test, model, [batch(x, y, weights, 0)], sample_weight=weights, num_iter=3) == (
        ValueError, "sample_weight goes with arrays: batches from a dataset carry their own, as "
                    "(x, y, sample_weight)")
    assert raised(range_test, model, x, y, batch_size=0, num_iter=3) == (
        ValueError, "batch_size must be an int >= 1, got 0")


@pytest.mark.parametrize("name", ["sgd", "nesterov", "rmsprop"])
def test_under_momentum_the_lrs_are_those_torch_needs_to_move_the_weight_as_far(name):
    # Keras' SGD and RMSprop fold each lr into their velocity; torch's multiply the whole buffer by the current
    # lr. One weight, a constant gradient of 2: torch's optimizer driven by result.lrs takes every step Keras
    # took (read against the lrs written, the weight moved about a third as far as those lrs move it in torch)
    torch = pytest.importorskip("torch")
    model = scalar_model(momentum=0.9, nesterov=name == "nesterov")
    if name == "rmsprop":
        # rho 0: the squared-gradient average is settled from the first step (the felt lr assumes a settled one)
        model.compile(optimizer=keras.optimizers.RMSprop(0.5, rho=0.0, momentum=0.9, epsilon=1e-7), loss=model.loss)
    weights = []
    result = range_test(model, np.full((8, 1), 2.0, "float32"), np.zeros((8, 1), "float32"), batch_size=8,
                        start_lr=1e-4, end_lr=1.0, num_iter=40, diverge_factor=1e9,
                        on_step=lambda done, lr, loss: weights.append(float(model.get_weights()[0][0, 0])))
    written = [RangeSweep(1e-4, 1.0, 40).lr_at(step) for step in range(40)]
    assert len(result.lrs) == 40 and result.lrs[0] == pytest.approx(written[0])
    weight = torch.ones(1, requires_grad=True, dtype=torch.float64)
    reference = torch.optim.RMSprop([weight], alpha=0.0, eps=1e-7, momentum=0.9) if name == "rmsprop" else \
        torch.optim.SGD([weight], lr=1.0, momentum=0.9, nesterov=name == "nesterov")
    moved = []
    for lr in result.lrs:
        reference.param_groups[0]["lr"] = lr
        weight.grad = torch.full((1,), 2.0, dtype=torch.float64)
        reference.step()
        moved.append(float(weight.detach()))
    np.testing.assert_allclose(weights, moved, rtol=1e-4)
    # the sweep grows 27% a step: (1 - 0.9) / (1 - 0.9 / 1.27) = 0.35 of the lr written (0.41 under Nesterov)
    assert 0.3 < result.lrs[-1] / written[-1] < 0.45


def test_without_momentum_or_with_adam_the_lrs_are_the_lrs_written_and_adam_is_told_adaptive():
    sweep = [RangeSweep(1e-4, 1e-1, 10).lr_at(step) for step in range(10)]
    optimizers = {keras.optimizers.SGD(0.5): False, keras.optimizers.Adam(0.5): True,
                  keras.optimizers.LossScaleOptimizer(keras.optimizers.RMSprop(0.5)): True}
    for optimizer, adaptive in optimizers.items():
        model = scalar_model()
        model.compile(optimizer=optimizer, loss=model.loss)
        result = range_test(model, np.ones((8, 1), "float32"), np.zeros((8, 1), "float32"), batch_size=8,
                            start_lr=1e-4, end_lr=1e-1, num_iter=10, diverge_factor=1e9)
        assert result.lrs == sweep and result.adaptive is adaptive
    result = range_test(model, np.ones((8, 1), "float32"), np.zeros((8, 1), "float32"), batch_size=8, num_iter=10,
                        adaptive=False)
    assert not result.adaptive
