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
    torch.set_num_threads(1)  # a tiny model: more threads only wait on each other (as in the demo)
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
    result = range_test(model, optimizer, loss_fn, batches, start_lr=1e-5, end_lr=10.0, num_iter=150, beta=0.9)
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
        range_test(model, optimizer, failing_loss, batches, num_iter=20)
    assert_torch_restored(torch, model, optimizer, before)


def accuracy(output, target):
    return (output.argmax(dim=1) == target).float().mean()


def test_torch_runner_evaluates_validation_loss_and_metrics_every_k_steps(digits):
    from clr_torch import range_test

    torch, model, optimizer, batches, loss_fn = torch_setup(digits)
    x_val, y_val = torch.from_numpy(digits.x_val), torch.from_numpy(digits.y_val)
    val = [(x_val[:100], y_val[:100]), (x_val[100:], y_val[100:])]  # two batches of unequal size
    with torch.no_grad():
        initial_loss, initial_accuracy = float(loss_fn(model(x_val), y_val)), float(accuracy(model(x_val), y_val))
    result = range_test(model, optimizer, loss_fn, batches, end_lr=1e-6, num_iter=7, validation_data=val,
                        metrics={"accuracy": accuracy}, eval_every=3)
    assert result.metric_steps == [2, 5, 6]
    # after three steps at lr < 1e-6 the model has barely moved: the mean over both batches, weighted by size
    assert result.metrics["val_loss"][0] == pytest.approx(initial_loss, rel=1e-4)
    assert result.metrics["val_accuracy"][0] == pytest.approx(initial_accuracy, abs=1e-6)
    with pytest.warns(DeprecationWarning, match=r"range_test\(val_data=...\) is deprecated: use validation_data="):
        old = range_test(model, optimizer, loss_fn, batches, num_iter=3, val_data=val)
    assert sorted(old.metrics) == ["val_loss"]
    with pytest.raises(TypeError, match="pass validation_data only"):
        range_test(model, optimizer, loss_fn, batches, validation_data=val, val_data=val)
    with pytest.raises(ValueError, match="metrics are evaluated on validation_data"):
        range_test(model, optimizer, loss_fn, batches, metrics={"accuracy": accuracy})


def test_torch_runner_reads_bounds_from_validation_accuracy(digits):
    from clr_torch import range_test

    torch, model, optimizer, batches, loss_fn = torch_setup(digits)
    val = [(torch.from_numpy(digits.x_val), torch.from_numpy(digits.y_val))]
    result = range_test(model, optimizer, loss_fn, batches, start_lr=1e-5, end_lr=10.0, num_iter=150,
                        validation_data=val, metrics={"accuracy": accuracy}, eval_every=3)
    base_lr, max_lr = result.suggest_bounds(metric="val_accuracy")
    assert 1e-5 < base_lr < max_lr <= 10.0
    between = [value for step, value in zip(result.metric_steps, result.metrics["val_accuracy"])
               if base_lr <= result.lrs[step] <= max_lr]
    accuracies = result.metrics["val_accuracy"]
    first, rise = accuracies[0], max(accuracies) - accuracies[0]
    # between the bounds the model learns: by max_lr the sweep's accuracy has made three quarters of its rise,
    # and it never fell back on the way (Adam's bounds are read for training, 32 below the cliff: at base_lr
    # the sweep, a few steps at each lr, has made only a third of the rise)
    assert result.adaptive and between and between[-1] - first > 0.75 * rise
    assert all(later >= earlier - 0.05 * rise for earlier, later in zip(between, between[1:]))


def test_torch_runner_starts_from_a_clean_optimizer_and_puts_a_tensor_lr_back_in_place(digits):
    from clr_torch import range_test

    torch, _, _, batches, loss_fn = torch_setup(digits)
    runs = {}
    for state in ("fresh", "stale", "kept"):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.05), momentum=0.9)
        if state != "fresh":  # leave momentum behind, as earlier training would, then the same weights again
            weights = snapshot_torch(model, optimizer)[0]
            for x, y in batches[:5]:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            model.load_state_dict(weights)
        held = optimizer.param_groups[0]["lr"]
        before = snapshot_torch(model, optimizer)
        runs[state] = range_test(model, optimizer, loss_fn, batches, start_lr=1e-4, end_lr=1.0, num_iter=20,
                                 fresh_optimizer=state != "kept").losses
        assert optimizer.param_groups[0]["lr"] is held and float(held) == pytest.approx(0.05)
        assert_torch_restored(torch, model, optimizer, before)
    assert runs["fresh"] == pytest.approx(runs["stale"], rel=1e-5)
    assert runs["kept"] != pytest.approx(runs["fresh"], rel=1e-3)


def test_torch_runner_reiterates_a_shuffled_loader_holds_no_batch_and_refuses_empty_data(digits):
    import weakref

    from clr_torch import range_test

    torch, model, optimizer, _, loss_fn = torch_setup(digits)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(digits.x_train[:96]),
                                             torch.from_numpy(digits.y_train[:96]))
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    seen, alive = [], []

    def watched_loss(output, target):
        seen.append(target.clone())
        alive.append(weakref.ref(target))
        return loss_fn(output, target)

    def count_alive(steps, lr, loss):
        assert sum(ref() is not None for ref in alive) == 0  # no used batch is kept (itertools.cycle kept all)

    result = range_test(model, optimizer, watched_loss, loader, num_iter=9, on_step=count_alive)
    assert len(result.lrs) == 9  # three passes over three batches
    passes = [torch.cat(seen[k:k + 3]).sort().values for k in (0, 3, 6)]
    assert all(torch.equal(p, passes[0]) for p in passes)  # each pass is the whole data set ...
    assert not torch.equal(torch.cat(seen[0:3]), torch.cat(seen[3:6]))  # ... in a new order
    with pytest.raises(ValueError, match="data must hold at least one batch, got an empty iterable"):
        range_test(model, optimizer, loss_fn, [])
    with pytest.raises(ValueError, match="data ran out after 2 batches and gave none when iterated again"):
        range_test(model, optimizer, loss_fn, iter(loader_batches for loader_batches in list(loader)[:2]),
                   num_iter=5)


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
    result = range_test(model, digits.x_train, digits.y_train, start_lr=1e-5, end_lr=10.0, num_iter=120, beta=0.9)
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
        range_test(model, batches(), num_iter=20)
    assert_keras_restored(model, before)


def test_keras_runner_starts_from_a_clean_optimizer_and_evaluates_compiled_metrics(digits):
    keras = pytest.importorskip("keras")
    from clr_keras import range_test

    def build(train_first):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
        model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), metrics=["accuracy"],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        weights = model.get_weights()
        if train_first:  # momentum and a step count left over, then the same weights as the fresh model
            for k in range(3):
                model.train_on_batch(digits.x_train[32 * k:32 * (k + 1)], digits.y_train[32 * k:32 * (k + 1)])
            model.set_weights(weights)
        return model

    options = dict(x=digits.x_train[:80], y=digits.y_train[:80], start_lr=1e-4, end_lr=1.0, num_iter=12)
    fresh_model = build(False)
    fresh = range_test(fresh_model, **options, validation_data=(digits.x_val, digits.y_val), eval_every=4)
    stale_model = build(True)
    before = snapshot_keras(stale_model)
    stale = range_test(stale_model, **options)  # 12 steps over 3 batches of 32, 32, 16
    assert stale.losses == pytest.approx(fresh.losses, rel=1e-5)
    assert_keras_restored(stale_model, before)
    kept = range_test(stale_model, fresh_optimizer=False, **options)  # the momentum is still there
    assert kept.losses != pytest.approx(fresh.losses, rel=1e-3)
    assert fresh.metric_steps == [3, 7, 11] and sorted(fresh.metrics) == ["val_accuracy", "val_loss"]
    with pytest.warns(DeprecationWarning, match="use validation_data="):
        range_test(fresh_model, **options, val_data=(digits.x_val, digits.y_val))
    with pytest.raises(ValueError, match="x must hold at least one example, got an empty array"):
        range_test(fresh_model, digits.x_train[:0], digits.y_train[:0])


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

