"""Resuming the way Keras' own machinery does it, checked on any backend (imported after choosing it).

`backup_and_restore` crashes a fit past step 1,024 (one lap of the callback's rate ring) with
``BackupAndRestore(save_freq=100)`` and reruns it in a fresh model and callback, as a new process would;
`checkpoint_and_initial_epoch` resumes from a ``ModelCheckpoint`` file with ``load_model`` and
``initial_epoch``; `gradient_accumulation` counts optimizer updates, not batches. Each returns plain data
that the tests compare with the core's rates and the weight the one-weight model must reach (every step
moves it by minus its own rate).
"""

from __future__ import annotations

import os

import keras
import numpy as np

from clr_keras import CyclicLR, CyclicLRSchedule
from tests.keras.keras_helpers import core_lrs, one_weight_model, ones, sgd_weights, steps_taken, weight

ARGUMENTS = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 150.0, "mode": "triangular2"}
BATCHES = 700  # per epoch


class Crash(keras.callbacks.Callback):
    """Raises after the optimizer's step `at` (a crash of the job)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        if steps_taken(self.model) >= self.at:
            raise KeyboardInterrupt("the job was killed")


def backup_and_restore(directory: str, clr_first: bool, steps_per_execution: int = 1) -> dict:
    """Crash at step 1,150 of 1,400, rerun from the backup (step 1,100); what the rerun's callback saw."""

    def callbacks(*extra):
        clr = CyclicLR(**ARGUMENTS)
        backup = keras.callbacks.BackupAndRestore(directory, save_freq=100, delete_checkpoint=False)
        return clr, ([clr, backup] if clr_first else [backup, clr]) + list(extra)

    data = dict(x=ones(BATCHES, 1)[0], y=ones(BATCHES, 1)[1], batch_size=1, epochs=2, verbose=0, shuffle=False)
    model = one_weight_model(0.5, steps_per_execution)
    _, first = callbacks(Crash(1150))
    try:
        model.fit(**data, callbacks=first)
    except KeyboardInterrupt:
        pass
    crashed_at = steps_taken(model)
    model = one_weight_model(0.5, steps_per_execution)  # a new process: a fresh model and callback
    clr, second = callbacks()
    model.fit(**data, callbacks=second)
    steps = steps_taken(model)
    iterations = list(clr.history["iterations"])
    restored = iterations[0] - 1 if iterations else None
    return {
        "crashed_at": crashed_at,
        "restored": restored,
        "steps": steps,
        "iterations": iterations == list(range(restored + 1, steps + 1)) if iterations else False,
        "counters": [clr.trn_iterations, clr.clr_iterations],
        "rates": bool(np.array_equal(clr.history["lr"], core_lrs(restored, steps - restored, **ARGUMENTS))),
        "weight": [weight(model), float(sgd_weights(core_lrs(0, steps, **ARGUMENTS))[-1])],
    }


def checkpoint_and_initial_epoch(directory: str) -> dict:
    """Train 3 epochs with a ModelCheckpoint, load the file, go on from initial_epoch=3 with a new callback."""
    path = os.path.join(directory, "model.keras")
    data = dict(x=ones(40, 1)[0], y=ones(40, 1)[1], batch_size=1, verbose=0, shuffle=False)
    model = one_weight_model(0.5)
    model.fit(**data, epochs=3, callbacks=[CyclicLR(**ARGUMENTS), keras.callbacks.ModelCheckpoint(path)])
    loaded = keras.saving.load_model(path)
    clr = CyclicLR(**ARGUMENTS)
    loaded.fit(**data, epochs=5, initial_epoch=3, callbacks=[clr])
    steps = steps_taken(loaded)
    return {
        "steps": steps,
        "iterations": list(clr.history["iterations"]) == list(range(121, 201)),
        "rates": bool(np.array_equal(clr.history["lr"], core_lrs(120, 80, **ARGUMENTS))),
        "weight": [weight(loaded), float(sgd_weights(core_lrs(0, 200, **ARGUMENTS))[-1])],
    }


def gradient_accumulation() -> dict | None:
    """SGD(gradient_accumulation_steps=4) over 14 batches (3 updates and 2 batches left over): both faces.

    Update ``j`` must apply ``lr_at(j)``: the one weight moves by minus the mean gradient (1) times that rate.
    None on a Keras without gradient accumulation (before 3.1).
    """
    try:
        keras.optimizers.SGD(gradient_accumulation_steps=4)
    except (TypeError, ValueError):
        return None
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "step_size": 2.0}
    expected = float(sgd_weights(core_lrs(0, 3, **arguments))[-1])
    out = {}
    for face in ("callback", "schedule"):
        model = one_weight_model(0.5)
        learning_rate = CyclicLRSchedule(**arguments, accumulation_steps=4) if face == "schedule" else 0.5
        model.compile(keras.optimizers.SGD(learning_rate, gradient_accumulation_steps=4), loss=model.loss)
        clr = CyclicLR(**arguments)
        model.fit(*ones(14, 1), batch_size=1, verbose=0, shuffle=False,
                  callbacks=[clr] if face == "callback" else [])
        out[face] = [weight(model), expected, steps_taken(model)]
        if face == "callback":
            out["history"] = [list(clr.history["iterations"]), list(clr.history["lr"]),
                              core_lrs(0, 3, **arguments).tolist(), clr.trn_iterations,
                              len(clr.history["batch_loss"])]
    return out
