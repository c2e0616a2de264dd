"""Small models and references shared by the Keras tests (skipped, like them, where Keras is missing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

keras = pytest.importorskip("keras")
import numpy as np  # noqa: E402

from clr_core import CyclicSchedule, momentum_for  # noqa: E402
from clr_keras._keras import read_step  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OPTIMIZERS = ("SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam", "AdamW", "Lion", "Ftrl",
              "Adafactor", "Lamb", "Muon", "ScheduleFreeAdamW")


@keras.saving.register_keras_serializable(package="clr_tests")
def unit_gradient_loss(y_true, y_pred):
    """``mean(y_pred)``: with inputs of ones, d loss / d w is exactly 1 for a one-weight model."""
    return keras.ops.mean(y_pred)


def one_weight_model(learning_rate, steps_per_execution: int = 1, optimizer: str = "SGD",
                     **compile_options) -> keras.Model:
    """``y = w * x`` with ``w = 0``: under plain SGD each step subtracts exactly its own lr from ``w``."""
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(getattr(keras.optimizers, optimizer)(learning_rate), loss=unit_gradient_loss,
                  steps_per_execution=steps_per_execution, **compile_options)
    return model


def ones(batches: int, batch_size: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Data for `one_weight_model`: `batches` batches of ones."""
    return np.ones((batches * batch_size, 1), "float32"), np.zeros((batches * batch_size, 1), "float32")


def weight(model: keras.Model) -> float:
    return float(model.layers[0].kernel[0, 0])


def steps_taken(model: keras.Model) -> int:
    """The optimizer's step counter."""
    return read_step(model.optimizer)


def sgd_weights(lrs, gradient: float = 1.0) -> np.ndarray:
    """The weight after each step when SGD applies `lrs` with a constant `gradient`, in float32 as Keras."""
    w = np.float32(0.0)
    out = []
    for lr in np.asarray(lrs, dtype=np.float64):
        w = np.float32(w - np.float32(np.float32(lr) * np.float32(gradient)))
        out.append(w)
    return np.array(out, dtype=np.float32)


def core_lrs(start: int, count: int, **arguments) -> np.ndarray:
    """The core's lrs for cycle iterations ``start, ..., start + count - 1``."""
    return CyclicSchedule(**arguments).lr_at(np.arange(start, start + count))


def core_momentums(start: int, count: int, base: float = 0.8, top: float = 0.9, **arguments) -> np.ndarray:
    """The core's momentum (between `base` and `top`) for cycle iterations ``start, ..., start + count - 1``."""
    return momentum_for(CyclicSchedule(**arguments), base, top).lr_at(np.arange(start, start + count))


def sgd_momentum_weights(lrs, momentums, nesterov: bool = False, gradient: float = 1.0) -> np.ndarray:
    """The weight after each step of Keras' SGD with momentum and a constant `gradient` (from ``w = 0`` and no
    velocity), in float32 as Keras computes it."""
    f32 = np.float32
    v, w, g, out = f32(0.0), f32(0.0), f32(gradient), []
    for lr, momentum in zip(lrs, momentums):
        lr, momentum = f32(lr), f32(momentum)
        v = f32(f32(v * momentum) - f32(g * lr))
        w = f32(w + (f32(f32(v * momentum) - f32(g * lr)) if nesterov else v))
        out.append(w)
    return np.array(out, dtype=np.float32)


class WeightProbe(keras.callbacks.Callback):
    """The one weight after each call of the train function (every `steps_per_execution` steps)."""

    def __init__(self) -> None:
        super().__init__()
        self.weights: list[float] = []
        self.batch_logs: list[dict] = []

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(weight(self.model))
        self.batch_logs.append(dict(logs or {}))


def run_script(source: str, env: dict[str, str] | None = None, timeout: float = 240) -> dict:
    """Run `source` in a fresh Python (for a backend or device setup that must precede importing keras).

    The script prints one JSON line starting with ``RESULT``; this returns it parsed.
    """
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
                   "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True,
                               env=environment, cwd=str(REPO), timeout=timeout)
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT"):])
    raise AssertionError(f"script failed (exit {completed.returncode}):\n{completed.stdout[-3000:]}\n"
                         f"{completed.stderr[-6000:]}")
