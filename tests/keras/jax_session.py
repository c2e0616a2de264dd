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
from tests.keras.backend_checks import ARGUMENTS as arguments, shared_checks
from tests.keras.keras_helpers import WeightProbe, core_lrs, ones, one_weight_model, sgd_weights, weight

assert keras.backend.backend() == "jax"
out = {}
shared_checks(out)

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

schedule = CyclicLRSchedule(base_lr=0.001, max_lr=0.006, step_size=1000.0, mode="exp_range", gamma=0.99994)
steps = [0, 999, 1000, 2**24 + 1, 10**9 + 7, 2**31 - 1]
out["huge"] = [[float(schedule(step)) for step in steps], [schedule.lr_at(step) for step in steps]]
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
