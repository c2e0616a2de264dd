"""One contract, every face: each schedule kind gives the same lr per step through the core state, the torch
scheduler, the Keras callback and the Keras in-graph schedule (on the TensorFlow backend, and on JAX in a fresh
Python), measured as the lr each step really applied. And with ``base_lr == max_lr`` training equals training
at that fixed lr, exactly, although the optimizer was built with another lr (so a scheduler that never writes
its lr fails).
"""

import importlib.util

import numpy as np
import pytest

from clr_core import WSD, Anneal, CosineRestarts, CyclicSchedule, Join, OneCycle, ScheduleState, warmup

STEPS = 30
SCHEDULES = {
    "triangular": CyclicSchedule(0.01, 0.05, step_size=4),
    "triangular2": CyclicSchedule(0.01, 0.05, step_size=3, mode="triangular2"),
    "exp_range": CyclicSchedule(0.01, 0.05, step_size=5, mode="exp_range", gamma=0.97),
    "cosine waveform, asymmetric": CyclicSchedule(0.01, 0.05, step_size=3, step_size_down=5, waveform="cosine"),
    "one-cycle": OneCycle(0.05, total_steps=STEPS, pct_start=0.25, three_phase=True),
    "cosine restarts": CosineRestarts(0.05, period=4, period_mult=2, min_lr=0.01),
    "warmup then triangular2": warmup(CyclicSchedule(0.01, 0.05, step_size=3, mode="triangular2"), steps=5),
    "join": Join([CyclicSchedule(0.01, 0.05, step_size=2), Anneal(0.03, 0.001, 10, "cosine")], [9], length=25),
    "warmup-stable-decay": WSD(0.05, total_steps=STEPS, warmup_steps=4, decay_steps=12, min_lr=0.001),
}


def core_lrs(schedule) -> list[float]:
    state = ScheduleState(schedule)
    lrs = []
    for _ in range(STEPS):
        lrs.append(state.lr)
        state.step()
    assert state.history["lr"] == lrs
    return lrs


def torch_lrs(schedule) -> list[float]:
    torch = pytest.importorskip("torch")
    from clr_torch import CyclicLR

    parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([parameter], lr=123.0)
    scheduler = CyclicLR(optimizer, schedule=schedule)
    before, applied = 0.0, []
    for _ in range(STEPS):
        parameter.grad = torch.ones(1, dtype=parameter.dtype)  # constant gradient: the step moves by its lr
        optimizer.step()
        scheduler.step()
        after = float(parameter.detach()[0])
        applied.append(before - after)
        before = after
    return applied


def keras_lrs(schedule, face: str) -> list[float]:
    keras = pytest.importorskip("keras")
    from clr_keras import CyclicLR, CyclicLRSchedule

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    learning_rate = CyclicLRSchedule(schedule=schedule) if face == "schedule" else 123.0
    model.compile(keras.optimizers.SGD(learning_rate), loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    weights = []

    class Probe(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):  # self.model: on JAX, the weights of this very step
            weights.append(float(self.model.layers[0].kernel[0, 0]))

    probe = Probe()
    callbacks = [CyclicLR(schedule=schedule), probe] if face == "callback" else [probe]
    model.fit(np.ones((STEPS, 1), "float32"), np.zeros((STEPS, 1), "float32"), batch_size=1, epochs=1,
              shuffle=False, verbose=0, callbacks=callbacks)
    return list(-np.diff(np.concatenate([[0.0], np.asarray(weights, dtype=np.float64)])))


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_face_applies_the_same_lr_at_every_step(name):
    schedule = SCHEDULES[name]
    expected = core_lrs(schedule)
    assert expected == [schedule.lr_at(i) for i in range(STEPS)]
    assert torch_lrs(schedule) == pytest.approx(expected, rel=1e-12, abs=1e-15)  # a float64 parameter
    for face in ("callback", "schedule"):
        # float32: the lr is rounded (6e-8 relative) and the weight, near 0.5, moves in steps of 6e-8
        assert keras_lrs(schedule, face) == pytest.approx(expected, rel=1e-6, abs=1.5e-7), face


@pytest.mark.skipif(importlib.util.find_spec("jax") is None or importlib.util.find_spec("keras") is None,
                    reason="jax or keras is not installed")
def test_keras_on_jax_applies_the_same_lr_at_every_step():
    from tests.keras.jax_session import jax_session

    applied = jax_session()["every_face"]
    for name, schedule in SCHEDULES.items():
        for face, lrs in zip(("callback", "schedule"), applied[name]):
            assert lrs == pytest.approx(core_lrs(schedule), rel=1e-6, abs=1.5e-7), (name, face)


def test_equal_bounds_train_torch_exactly_like_a_fixed_lr():
    torch = pytest.importorskip("torch")
    from clr_torch import CyclicLR

    def train(cyclic: bool) -> list:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        for optimizer_class in (torch.optim.SGD, torch.optim.Adam):
            optimizer = optimizer_class(model.parameters(), lr=0.5 if cyclic else 0.03)
            scheduler = CyclicLR(optimizer, base_lr=0.03, max_lr=0.03, step_size=3, mode="triangular2") \
                if cyclic else None
            data = torch.Generator().manual_seed(1)
            for _ in range(20):
                x = torch.randn(16, 4, generator=data)
                optimizer.zero_grad()
                torch.nn.functional.mse_loss(model(x), x.sum(1, keepdim=True)).backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
        return [parameter.detach().clone() for parameter in model.parameters()]

    assert all(torch.equal(a, b) for a, b in zip(train(True), train(False)))


@pytest.mark.parametrize("face", ["callback", "schedule"])
def test_equal_bounds_train_keras_exactly_like_a_fixed_lr(face):
    keras = pytest.importorskip("keras")
    from clr_keras import CyclicLR, CyclicLRSchedule

    def train(cyclic: bool) -> list:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
        arguments = dict(base_lr=0.03, max_lr=0.03, step_size=3, mode="triangular2")
        if not cyclic:
            learning_rate = 0.03
        elif face == "schedule":
            learning_rate = CyclicLRSchedule(**arguments)
        else:
            learning_rate = 0.5  # another lr: the callback must write its own from the first step on
        model.compile(keras.optimizers.Adam(learning_rate), loss="mse")
        x = np.random.default_rng(1).normal(size=(64, 4)).astype("float32")
        callbacks = [CyclicLR(**arguments)] if cyclic and face == "callback" else []
        model.fit(x, x.sum(1, keepdims=True), batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=callbacks)
        return model.get_weights()

    assert all(np.array_equal(a, b) for a, b in zip(train(True), train(False)))
