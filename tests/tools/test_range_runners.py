"""The range test runners of both adapters on real models: they find a fall and always restore."""

import numpy as np
import pytest

from clr_tools.demo.data import load_digits

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits():
    return load_digits()


class Boom(RuntimeError):
    pass


def torch_setup(digits):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.from_numpy(digits.x_train), torch.from_numpy(digits.y_train)
    batches = [(x[k:k + 32], y[k:k + 32]) for k in range(0, len(y), 32)]
    loss_fn = torch.nn.functional.cross_entropy
    optimizer.zero_grad()  # give Adam some state, so restoring it is tested
    loss_fn(model(x[:32]), y[:32]).backward()
    optimizer.step()
    return torch, model, optimizer, batches, loss_fn


def snapshot_torch(model, optimizer):
    import copy

    return copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())


def assert_torch_restored(torch, model, optimizer, before):
    weights, state = before
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())
    now = optimizer.state_dict()
    assert now["param_groups"] == state["param_groups"]
    for key, slots in state["state"].items():
        assert all(torch.equal(now["state"][key][name], value) for name, value in slots.items())


def test_torch_runner_finds_a_fall_and_restores_model_and_optimizer(digits):
    from clr_torch import range_test

    torch, model, optimizer, batches, loss_fn = torch_setup(digits)
    before = snapshot_torch(model, optimizer)
    result = range_test(model, optimizer, loss_fn, batches, start_lr=1e-5, end_lr=10.0, num_iter=150, beta=0.9,
                        progress=False)
    base_lr, max_lr = result.suggest_bounds()
    assert 1e-5 <= base_lr < max_lr <= 10.0
    assert min(result.smoothed[:len(result.lrs)]) < result.smoothed[0] * 0.7
    assert_torch_restored(torch, model, optimizer, before)


def test_torch_runner_restores_when_training_raises(digits):
    from clr_torch import range_test

    torch, model, optimizer, batches, loss_fn = torch_setup(digits)
    before = snapshot_torch(model, optimizer)
    calls = []

    def failing_loss(output, target):
        calls.append(1)
        if len(calls) == 5:
            raise Boom("data error at step 5")
        return loss_fn(output, target)

    with pytest.raises(Boom):
        range_test(model, optimizer, failing_loss, batches, num_iter=20, progress=False)
    assert_torch_restored(torch, model, optimizer, before)


def test_torch_runner_validation_mode_records_the_validation_loss(digits):
    from clr_torch import range_test

    torch, model, optimizer, batches, loss_fn = torch_setup(digits)
    val = [(torch.from_numpy(digits.x_val), torch.from_numpy(digits.y_val))]
    result = range_test(model, optimizer, loss_fn, batches, num_iter=3, beta=0.0, val_data=val, progress=False)
    # the first recorded loss is the validation loss after one step at start_lr (1e-7): barely moved
    with torch.no_grad():
        initial = float(loss_fn(model(val[0][0]), val[0][1]))
    assert result.losses[0] == pytest.approx(initial, rel=1e-4)


def keras_setup(digits, optimizer="adam"):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.train_on_batch(digits.x_train[:32], digits.y_train[:32])  # give the optimizer some state
    return keras, model


def snapshot_keras(model):
    return [w.copy() for w in model.get_weights()], [np.array(v.numpy()) for v in model.optimizer.variables]


def assert_keras_restored(model, before):
    weights, slots = before
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))
    assert all(np.array_equal(np.asarray(v.numpy()), s) for v, s in zip(model.optimizer.variables, slots))


def test_keras_runner_finds_a_fall_and_restores_weights_and_optimizer(digits):
    _, model = keras_setup(digits)
    from clr_keras import range_test

    before = snapshot_keras(model)
    result = range_test(model, digits.x_train, digits.y_train, start_lr=1e-5, end_lr=10.0, num_iter=120, beta=0.9,
                        progress=False)
    base_lr, max_lr = result.suggest_bounds()
    assert 1e-5 <= base_lr < max_lr <= 10.0
    assert_keras_restored(model, before)


def test_keras_runner_restores_when_training_raises(digits):
    _, model = keras_setup(digits, optimizer="sgd")
    from clr_keras import range_test

    before = snapshot_keras(model)

    def batches():
        for k in range(4):
            yield digits.x_train[k * 32:(k + 1) * 32], digits.y_train[k * 32:(k + 1) * 32]
        raise Boom("the data pipeline failed")

    with pytest.raises(Boom):
        range_test(model, batches(), num_iter=20, progress=False)
    assert_keras_restored(model, before)


def test_keras_runner_refuses_an_uncompiled_model_and_a_schedule_optimizer(digits):
    keras = pytest.importorskip("keras")
    from clr_keras import range_test

    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="model must be compiled"):
        range_test(model, digits.x_train, digits.y_train)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    with pytest.raises(ValueError, match="compile the model with a float learning_rate"):
        range_test(model, digits.x_train, digits.y_train)


def test_an_empty_data_set_is_a_clear_error_in_both_runners():
    torch = pytest.importorskip("torch")
    from clr_torch import range_test as torch_range_test

    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"^data must hold at least one \(x, y\) batch, got none$"):
        torch_range_test(model, torch.optim.SGD(model.parameters()), torch.nn.functional.mse_loss, [],
                         progress=False)
    keras = pytest.importorskip("keras")
    from clr_keras import range_test as keras_range_test

    compiled = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    compiled.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"^x must hold at least one \(x, y\) batch, got none$"):
        keras_range_test(compiled, np.zeros((0, 2)), np.zeros((0, 1)), progress=False)
