"""One fresh Python on Keras' JAX backend (without x64), run once per test session for two tests: the backend
checks of `test_keras_backends` and the every-face contract of `tests/contract` (starting JAX, Keras and the
TensorFlow that ``.keras`` saving imports takes most of its time, so it is paid once).
"""

from functools import cache

from .keras_helpers import run_script

SCRIPT = """
import os
os.environ["KERAS_BACKEND"] = "jax"
import json, tempfile, warnings
import numpy as np
import keras
from clr_keras import CyclicLR, CyclicLRSchedule
from tests.keras.keras_helpers import (WeightProbe, core_lrs, core_momentums, ones, one_weight_model,
                                      sgd_momentum_weights, sgd_weights, weight)

assert keras.backend.backend() == "jax"
out = {}
arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0, "mode": "triangular2"}
expected = sgd_weights(core_lrs(0, 12, **arguments))[-1]

model = one_weight_model(0.5)
clr = CyclicLR(**arguments)
model.fit(*ones(6), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr])
out["callback_weight"] = [weight(model), float(expected)]
out["callback_lr"] = bool(np.array_equal(clr.history["lr"], core_lrs(0, 12, **arguments)))
out["callback_iterations"] = list(clr.history["iterations"])

model = one_weight_model(0.5, steps_per_execution=4)
clr, probe = CyclicLR(**arguments), WeightProbe()
model.fit(*ones(10), batch_size=2, verbose=0, shuffle=False, callbacks=[clr, probe])
out["steps_per_execution"] = [probe.weights, sgd_weights(core_lrs(0, 10, **arguments))[[3, 7, 9]].tolist(),
                              len(clr.history["lr"])]

model = one_weight_model(0.5)  # more steps than the ring of rates holds: refilled where the trainer syncs
clr = CyclicLR(base_lr=0.001, max_lr=0.003, step_size=50.0)
model.compile(model.optimizer, loss=model.loss, steps_per_execution=8)
model.fit(*ones(1100, batch_size=1), batch_size=1, verbose=0, callbacks=[clr])
lrs = core_lrs(0, 1100, base_lr=0.001, max_lr=0.003, step_size=50.0)
out["refill"] = [weight(model), float(sgd_weights(lrs)[-1]), bool(np.array_equal(clr.history["lr"], lrs))]

model = one_weight_model(0.5)
model.compile(keras.optimizers.SGD(0.5, momentum=0.5), loss=model.loss)
clr = CyclicLR(**arguments, cycle_momentum=True)
model.fit(*ones(6), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr])
momentums = core_momentums(0, 12, **arguments)
out["momentum_weight"] = [weight(model), float(sgd_momentum_weights(core_lrs(0, 12, **arguments), momentums)[-1])]
out["momentum_history"] = bool(np.array_equal(clr.history["momentum"], momentums))
out["momentum_after"] = repr(model.optimizer.momentum)

model = one_weight_model(0.5)
clr = CyclicLR(**arguments)
class Reset(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            clr._reset(new_max_lr=0.03)
model.fit(*ones(5), batch_size=2, verbose=0, callbacks=[clr, Reset()])
lrs = np.concatenate([core_lrs(0, 3, **arguments), core_lrs(0, 2, **{**arguments, "max_lr": 0.03})])
out["reset_weight"] = [weight(model), float(sgd_weights(lrs)[-1])]

model = one_weight_model(0.5)
clr = CyclicLR(**arguments)
model.fit(*ones(3), batch_size=2, verbose=0, callbacks=[clr])
path = os.path.join(tempfile.mkdtemp(), "model.keras")
model.save(path)  # the rate tables are not saved with the optimizer
with warnings.catch_warnings():
    warnings.simplefilter("error")
    loaded = keras.saving.load_model(path)
variables = [len(model.optimizer.variables), len(loaded.optimizer.variables)]  # SGD's own: step counter, lr
resumed = CyclicLR(**arguments)
loaded.fit(*ones(3), batch_size=2, verbose=0, callbacks=[resumed])
out["resume"] = [variables, list(resumed.history["iterations"]), weight(loaded),
                 float(sgd_weights(core_lrs(0, 6, **arguments))[-1])]

model = one_weight_model(0.5)
start = 2**31 - 10  # the optimizer's step counter is int32 on JAX
model.optimizer.iterations.assign(start)
clr = CyclicLR(**arguments)
model.fit(*ones(4), batch_size=2, verbose=0, callbacks=[clr])
out["huge_callback"] = [weight(model), float(sgd_weights(core_lrs(start, 4, **arguments))[-1])]

schedule = CyclicLRSchedule(base_lr=0.001, max_lr=0.006, step_size=1000.0, mode="exp_range", gamma=0.99994)
steps = [0, 999, 1000, 2**24 + 1, 10**9 + 7, 2**31 - 1]
out["huge"] = [[float(schedule(step)) for step in steps], [schedule.lr_at(step) for step in steps]]
model = one_weight_model(CyclicLRSchedule(**arguments))
model.fit(*ones(7), batch_size=2, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "model.keras")
model.save(path)
loaded = keras.saving.load_model(path)
loaded.fit(*ones(5), batch_size=2, verbose=0)
out["schedule_weight"] = [weight(loaded), float(expected)]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    CyclicLRSchedule(step_size=2000.25)
out["warning"] = [str(item.message) for item in caught]
from tests.contract.test_every_face import SCHEDULES, keras_lrs  # the every-face contract, on JAX
out["every_face"] = {name: [keras_lrs(item, face) for face in ("callback", "schedule")]
                     for name, item in SCHEDULES.items()}
print("RESULT" + json.dumps(out))
"""


@cache
def jax_session() -> dict:
    """The ``RESULT`` of `SCRIPT` (run on first use)."""
    return run_script(SCRIPT, env={"KERAS_BACKEND": "jax"})
