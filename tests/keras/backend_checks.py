"""The callback and schedule checks every backend's fresh-Python script runs (`test_keras_backends`).

Import this only after choosing the backend (``KERAS_BACKEND``): it imports Keras. Each check trains the
one-weight model and stores ``[got, expected]`` pairs (or flags) under its name in `out`.
"""

import os
import tempfile

import keras
import numpy as np

from clr_keras import CyclicLR, CyclicLRSchedule
from tests.keras.keras_helpers import (
    core_lrs,
    core_momentums,
    one_weight_model,
    ones,
    sgd_momentum_weights,
    sgd_weights,
    weight,
)

ARGUMENTS = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 3.0, "mode": "triangular2"}


class ResetAtThirdBatch(keras.callbacks.Callback):
    """Calls ``clr._reset(new_max_lr=0.03)`` after the third batch."""

    def __init__(self, clr: CyclicLR) -> None:
        super().__init__()
        self.clr = clr

    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            self.clr._reset(new_max_lr=0.03)


def shared_checks(out: dict) -> None:
    """Callback, momentum, reset, a saved schedule and a step counter near the int32 limit."""
    expected = sgd_weights(core_lrs(0, 12, **ARGUMENTS))[-1]
    model = one_weight_model(0.5)
    clr = CyclicLR(**ARGUMENTS)
    model.fit(*ones(6), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr])
    out["callback_weight"] = [weight(model), float(expected)]
    out["callback_lr"] = bool(np.array_equal(clr.history["lr"], core_lrs(0, 12, **ARGUMENTS)))
    out["callback_iterations"] = list(clr.history["iterations"])

    model = one_weight_model(0.5)
    model.compile(keras.optimizers.SGD(0.5, momentum=0.5), loss=model.loss)
    clr = CyclicLR(**ARGUMENTS, cycle_momentum=True)
    model.fit(*ones(6), batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[clr])
    momentums = core_momentums(0, 12, **ARGUMENTS)
    lrs = core_lrs(0, 12, **ARGUMENTS)
    out["momentum_weight"] = [weight(model), float(sgd_momentum_weights(lrs, momentums)[-1])]
    out["momentum_history"] = bool(np.array_equal(clr.history["momentum"], momentums))
    out["momentum_after"] = repr(model.optimizer.momentum)

    model = one_weight_model(0.5)
    clr = CyclicLR(**ARGUMENTS)
    model.fit(*ones(5), batch_size=2, verbose=0, callbacks=[clr, ResetAtThirdBatch(clr)])
    lrs = np.concatenate([core_lrs(0, 3, **ARGUMENTS), core_lrs(0, 2, **{**ARGUMENTS, "max_lr": 0.03})])
    out["reset_weight"] = [weight(model), float(sgd_weights(lrs)[-1])]

    model = one_weight_model(CyclicLRSchedule(**ARGUMENTS))
    model.fit(*ones(7), batch_size=2, verbose=0)
    path = os.path.join(tempfile.mkdtemp(), "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    loaded.fit(*ones(5), batch_size=2, verbose=0)
    out["schedule_weight"] = [weight(loaded), float(expected)]

    model = one_weight_model(0.5)
    start = 2**31 - 10  # the optimizer's step counter is int32 on torch and JAX
    model.optimizer.iterations.assign(start)
    clr = CyclicLR(**ARGUMENTS)
    model.fit(*ones(4), batch_size=2, verbose=0, callbacks=[clr])
    out["huge_callback"] = [weight(model), float(sgd_weights(core_lrs(start, 4, **ARGUMENTS))[-1])]
