"""Other setups, each in a fresh Python: the torch and JAX backends, and tf.distribute with two logical CPUs.

The backend and the logical devices must be chosen before Keras (or TensorFlow) first runs, hence the
subprocesses. Each script prints one ``RESULT`` JSON line that the test checks.
"""

import functools
import importlib.util

import pytest

keras = pytest.importorskip("keras")

from .jax_session import jax_session  # noqa: E402
from .keras_helpers import run_script  # noqa: E402

TORCH_SCRIPT = """
import os, sys
os.environ["KERAS_BACKEND"] = "torch"
sys.modules["tensorflow"] = None  # as for a user who has only torch (and Keras' saving would import it: 5 s)
import json
import numpy as np
import keras
from clr_keras import CyclicLRSchedule
from tests.keras.backend_checks import shared_checks
from tests.keras.keras_helpers import core_lrs

assert keras.backend.backend() == "torch"
out = {}
shared_checks(out)

from clr_keras import KERAS_OPS
schedule = CyclicLRSchedule(base_lr=0.001, max_lr=0.006, step_size=1000.0, mode="exp_range", gamma=0.99994)
steps = [0, 999, 1000, 10**9 + 1, 2**40 + 3]
float64 = [float(schedule.schedule.evaluate(KERAS_OPS.to_float(step), KERAS_OPS)) for step in steps]
exact = [schedule.lr_at(step) for step in steps]
out["float64_error"] = max(abs(a - b) / b for a, b in zip(float64, exact))
out["huge"] = [[float(schedule(step)) for step in steps],
               [float(np.float32(core_lrs(step, 1, base_lr=0.001, max_lr=0.006, step_size=1000.0,
                                         mode="exp_range", gamma=0.99994)[0])) for step in steps]]
print("RESULT" + json.dumps(out))
"""

MIRRORED_SCRIPT = """
import json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
import keras
from clr_keras import CyclicLR, CyclicLRSchedule
from tests.keras.keras_helpers import (core_lrs, core_momentums, ones, one_weight_model, sgd_momentum_weights,
                                      sgd_weights, steps_taken, weight)

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 2.0, "mode": "exp_range", "gamma": 0.9}
out = {"replicas": strategy.num_replicas_in_sync}
data = dict(x=ones(12)[0], y=ones(12)[1], batch_size=4, epochs=2, verbose=0, shuffle=False)
# Keras 3.15 itself fails under MirroredStrategy with steps_per_execution > 1 (even at a constant rate).
with strategy.scope():
    control = one_weight_model(0.125)
control.fit(**data)
steps = steps_taken(control)  # global steps, as Keras counts them under this strategy
gradient = -weight(control) / (0.125 * steps)  # the gradient the replicas apply together
out["steps"], out["gradient"] = steps, gradient
expected = float(sgd_weights(core_lrs(0, steps, **arguments), gradient)[-1])
with strategy.scope():
    model = one_weight_model(CyclicLRSchedule(**arguments))
model.fit(**data)
out["schedule"] = [steps_taken(model), weight(model), expected]
with strategy.scope():
    model = one_weight_model(0.5)
clr = CyclicLR(**arguments)
model.fit(**data, callbacks=[clr])
out["callback"] = [steps_taken(model), weight(model), expected, list(clr.history["iterations"])]
with strategy.scope():
    model = one_weight_model(0.5)
    model.compile(keras.optimizers.SGD(0.5, momentum=0.5), loss=model.loss)
clr = CyclicLR(**arguments, cycle_momentum=True)
model.fit(**data, callbacks=[clr])
momentums = core_momentums(0, steps, **arguments)
expected = float(sgd_momentum_weights(core_lrs(0, steps, **arguments), momentums, gradient=gradient)[-1])
out["momentum"] = [weight(model), expected, bool(np.array_equal(clr.history["momentum"], momentums))]

# The range test: train_on_batch returns the loss reduced over both replicas, so there is one stop decision;
# it must equal the loss of the same model on one device, and restore the mirrored variables.
from clr_keras import range_test
rng = np.random.default_rng(0)
x = rng.normal(size=(96, 8)).astype("float32")
y = (x.sum(axis=1) > 0).astype("int32")
def classifier():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model
options = dict(batch_size=32, start_lr=1e-3, end_lr=100.0, num_iter=60, validation_data=(x, y), eval_every=10)
single = range_test(classifier(), x, y, **options)
with strategy.scope():
    model = classifier()
weights = [w.copy() for w in model.get_weights()]
model.fit(x, y, batch_size=32, verbose=0)  # leave momentum behind in the mirrored slots, then the same weights
model.set_weights(weights)
slots = [np.array(v.numpy()) for v in model.optimizer.variables]
mirrored = range_test(model, x, y, **options)
out["range_test"] = {
    "losses": [single.losses, mirrored.losses], "stopped_early": [single.stopped_early, mirrored.stopped_early],
    "metrics": [single.metrics, mirrored.metrics],
    "restored": all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))
    and all(np.array_equal(np.array(v.numpy()), s) for v, s in zip(model.optimizer.variables, slots)),
}
print("RESULT" + json.dumps(out))
"""


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_torch_backend():
    out = run_script(TORCH_SCRIPT)
    assert out["callback_weight"][0] == out["callback_weight"][1]
    assert out["callback_lr"] and out["callback_iterations"] == list(range(1, 13))
    assert out["momentum_weight"][0] == out["momentum_weight"][1]
    assert out["momentum_history"] and out["momentum_after"] == "0.5"
    assert out["reset_weight"][0] == out["reset_weight"][1]
    assert out["schedule_weight"][0] == out["schedule_weight"][1]
    assert out["huge"][0] == out["huge"][1]
    assert out["float64_error"] <= 1e-12
    assert out["huge_callback"][0] == out["huge_callback"][1]


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_jax_backend_without_x64():
    out = jax_session()
    assert out["callback_weight"][0] == out["callback_weight"][1]
    assert out["callback_lr"] and out["callback_iterations"] == list(range(1, 13))
    weights, expected, steps = out["steps_per_execution"]
    assert weights == expected and steps == 10  # each of the 4 steps of a call at its own rate
    got, expected, history = out["refill"]
    assert got == expected and history
    assert out["momentum_weight"][0] == out["momentum_weight"][1]
    assert out["momentum_history"] and out["momentum_after"] == "0.5"
    assert out["reset_weight"][0] == out["reset_weight"][1]
    variables, iterations, got, expected = out["resume"]
    assert variables == [4, 2] and iterations == [4, 5, 6] and got == expected  # the 2 tables are not saved
    assert out["huge_callback"][0] == out["huge_callback"][1]
    got, exact = out["huge"]
    assert got == pytest.approx(exact, rel=2**-22)  # float32 rounding of the exact rates, also past 2**24
    assert out["schedule_weight"][0] == out["schedule_weight"][1]
    assert len(out["warning"]) == 1 and "exact only below 2**24 steps" in out["warning"][0]


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed")
@functools.cache
def mirrored_run() -> dict:
    return run_script(MIRRORED_SCRIPT, env={"KERAS_BACKEND": "tensorflow"})


def test_mirrored_strategy_applies_the_schedule_once_per_global_step():
    out = mirrored_run()
    assert out["replicas"] == 2 and out["steps"] >= 6 and out["gradient"] in (1.0, 2.0)
    steps, got, expected = out["schedule"]
    assert steps == out["steps"] and got == expected
    steps, got, expected, iterations = out["callback"]
    assert steps == out["steps"] and got == expected and iterations == list(range(1, steps + 1))
    got, expected, history = out["momentum"]
    assert got == expected and history


def test_mirrored_strategy_range_test_takes_one_decision_on_the_reduced_loss_and_restores():
    out = mirrored_run()["range_test"]
    single, mirrored = out["losses"]
    assert out["stopped_early"] == [True, True] and len(single) == len(mirrored) < 60
    assert mirrored == pytest.approx(single, rel=1e-4)  # the loss of the global batch, as on one device
    assert out["metrics"][1]["val_accuracy"] == pytest.approx(out["metrics"][0]["val_accuracy"], abs=1e-6)
    assert out["restored"]


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_real_training_cases_on_the_torch_backend():
    """test_keras_fit.py (data setups, interrupted fits, other lr writers, checkpoints) again on torch."""
    import os
    import subprocess
    import sys

    from .keras_helpers import REPO

    env = {**os.environ, "KERAS_BACKEND": "torch", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         str(REPO / "tests" / "keras" / "test_keras_fit.py")],
        capture_output=True, text=True, env=env, cwd=str(REPO), timeout=600)
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-3000:]
    assert " passed" in completed.stdout and "failed" not in completed.stdout
