"""The demo's Keras side: the same MLP on the digits, trained with the `clr_keras.CyclicLR` callback."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from clr_core import RangeTestResult
from clr_keras import CyclicLR, range_test

from ..progress import ProgressBar
from .data import Digits
from .experiment import BATCH_SIZE, Policy, Run

MOMENTUM = 0.9


def build_model(data: Digits, seed: int, lr: float) -> keras.Model:
    """The demo's MLP (64 hidden units), compiled with plain SGD at `lr`."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((data.features,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(data.classes)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=MOMENTUM),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class _Evaluate(keras.callbacks.Callback):
    """Validation accuracy every `every` optimizer steps, and a per-epoch progress bar."""

    def __init__(self, run: Run, data: Digits, every: int, bar: ProgressBar) -> None:
        super().__init__()
        self.run, self.data, self.every, self.bar, self.steps = run, data, every, bar, 0

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.steps += 1
        if self.steps % self.every == 0:
            logits = keras.ops.convert_to_numpy(self.model(self.data.x_val, training=False))
            self.run.curve.append((self.steps, float(np.mean(logits.argmax(axis=1) == self.data.y_val))))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.bar.advance(note=f"val acc {self.run.curve[-1][1]:.3f}" if self.run.curve else "")


class KerasTrainer:
    """Trains with SGD (momentum 0.9), mini-batches of 32, shuffled by a seeded generator."""

    name = "keras"

    def range_test(self, data: Digits, *, seed: int, progress: bool) -> RangeTestResult:
        model = build_model(data, seed, lr=0.01)
        bar = ProgressBar(300, "LR range test", enabled=progress)
        try:
            return range_test(model, data.x_train, data.y_train, batch_size=BATCH_SIZE, start_lr=1e-4,
                              end_lr=10.0, num_iter=300, beta=0.9, on_step=bar.range_step)
        finally:
            bar.close()

    def train(self, policy: Policy, data: Digits, *, seed: int, epochs: int, eval_every: int,
              progress: bool) -> Run:
        model = build_model(data, seed, lr=policy.schedule.lr_at(0))
        clr = CyclicLR(schedule=policy.schedule)
        run = Run(policy, seed)
        bar = ProgressBar(epochs, f"{policy.name} seed {seed}", enabled=progress)
        order = np.random.default_rng(seed)
        evaluate = _Evaluate(run, data, eval_every, bar)
        for _ in range(epochs):  # shuffle with our own generator so a seed fixes the batches exactly
            permutation = order.permutation(len(data.y_train))
            model.fit(data.x_train[permutation], data.y_train[permutation], batch_size=BATCH_SIZE, epochs=1,
                      shuffle=False, verbose=0, callbacks=[clr, evaluate])
        bar.close()
        run.lrs = list(clr.history["lr"])
        return run
