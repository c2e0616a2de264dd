"""The evaluation panel: small problems, their models in torch and Keras, and how one trains on them.

`make eval-range-test` (benchmarks/eval_range_test.py) judges the range test's suggestions on these; other
evaluations (a comparison of lr rules, of optimizers) can reuse them. Every problem is tiny (it runs on two
shared CPU cores), its data ships with scikit-learn or is generated here from a fixed seed, and its model has
the same layers in both frameworks, each with its framework's default initialisation and constants (Keras'
Glorot draws larger weights than torch's; BatchNorm's momentum and epsilon differ): not quite the same model.

- `known()`: the four problems the range test's rules were first written on (digits MLP and CNN, diabetes
  regression, breast-cancer logistic regression), SGD with momentum 0.9.
- `panel()`: six problems the rules were *not* written on, chosen to differ in kind: noisy labels, BatchNorm
  with dropout, a small CNN on generated images, a recurrent model (GRU, Adam), a small transformer trained
  with AdamW, and a nonlinear regression.
- `adaptive()`: the step back for adaptive optimizers judged more widely: the other eight problems of both
  sets trained with Adam (AdamW with BatchNorm), and two more with optimizers no rule was written on
  (RMSprop on two moons, Adagrad on the wine data).

A `Side` (`TorchSide`, `KerasSide`) runs a range test on a problem and trains it under any lr schedule,
returning the validation score every `EVAL_EVERY` steps (accuracy, or minus the MSE: higher is better).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from clr_core import RangeTestResult

BATCH = 32
NUM_ITER = 150
END_LR = 10.0
EVAL_EVERY = 10
RANGE_EVAL_EVERY = 5


@dataclass(frozen=True)
class Problem:
    """One problem: data, the model's architecture and the optimizer it trains with.

    ``architecture`` is one of ``'mlp'``, ``'linear'``, ``'cnn_digits'``, ``'bn_dropout'``, ``'cnn'``,
    ``'gru'``, ``'transformer'``; ``optimizer`` one of ``'sgd'`` (momentum 0.9), ``'adam'``, ``'adamw'``
    (weight decay 0.01), ``'rmsprop'``, ``'adagrad'``. ``classes`` is 0 for a regression (one output, MSE).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classes: int
    architecture: str
    optimizer: str = "sgd"
    vocabulary: int = 0  # tokens: the transformer's input

    @property
    def grid(self) -> list[float]:
        """The 8 fixed lrs a schedule is compared against, a factor 4 apart (Adam-like optimizers: lower)."""
        first = 2.5e-4 if self.optimizer == "sgd" else 1e-5
        return [first * 4**k for k in range(8)]


def _split(x: np.ndarray, y: np.ndarray, classes: int, *, standardise: bool = True) -> tuple[np.ndarray, ...]:
    """80/20 split in a fixed shuffled order; inputs standardised per feature, regression targets too."""
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    split = int(0.8 * len(y))
    if standardise:
        x = x.astype(np.float32)
        mean, std = x[:split].mean(axis=0), x[:split].std(axis=0) + 1e-6
        x = ((x - mean) / std).astype(np.float32)
    if classes:
        y = y.astype(np.int64)
    else:
        y = ((y - y[:split].mean()) / y[:split].std()).astype(np.float32).reshape(-1, 1)
    return x[:split], y[:split], x[split:], y[split:]


def known() -> list[Problem]:
    """The four problems the rules were first written on."""
    from sklearn import datasets

    digits = _split(*datasets.load_digits(return_X_y=True), 10)
    return [
        Problem("digits MLP", *digits, classes=10, architecture="mlp"),
        Problem("digits CNN", *digits, classes=10, architecture="cnn_digits"),
        Problem("diabetes regression", *_split(*datasets.load_diabetes(return_X_y=True), 0), classes=0,
                architecture="mlp"),
        Problem("breast-cancer logistic", *_split(*datasets.load_breast_cancer(return_X_y=True), 2), classes=2,
                architecture="linear"),
    ]


def _noisy_labels() -> Problem:
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=2000, n_features=20, n_informative=8, n_classes=4, n_clusters_per_class=1,
                               random_state=1)
    x_train, y_train, x_val, y_val = _split(x, y, 4)
    rng = np.random.default_rng(1)
    flip = rng.random(len(y_train)) < 0.3  # 30% of the training labels wrong; the validation labels clean
    y_train = np.where(flip, (y_train + rng.integers(1, 4, len(y_train))) % 4, y_train)
    return Problem("noisy labels MLP", x_train, y_train, x_val, y_val, classes=4, architecture="mlp")


def _bars(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """12x12 images of one bar (4 orientations, random place and length) in Gaussian noise; class = orientation."""
    images = rng.normal(0.0, 0.6, size=(count, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 4, count)
    for image, label in zip(images, labels):
        row, column, length = rng.integers(2, 10), rng.integers(2, 10), rng.integers(4, 8)
        for k in range(-length // 2, length // 2 + 1):
            r, c = [(row, column + k), (row + k, column), (row + k, column + k), (row + k, column - k)][label]
            if 0 <= r < 12 and 0 <= c < 12:
                image[r, c] += 2.5
    return images.reshape(count, 144), labels


def _sequences(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """15 steps of 3 noisy channels; class = the channel whose sum over the sequence is largest."""
    x = rng.normal(0.0, 1.0, size=(count, 15, 3)).astype(np.float32)
    return x, x.sum(axis=1).argmax(axis=1)


def _tokens(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """12 tokens of a vocabulary of 10; class = which of tokens 1, 2, 3 occurs most (ties: the lowest)."""
    tokens = rng.integers(0, 10, size=(count, 12))
    counts = np.stack([(tokens == k).sum(axis=1) for k in (1, 2, 3)], axis=1)
    return tokens.astype(np.int64), counts.argmax(axis=1)


def panel() -> list[Problem]:
    """Six problems the rules were not written on, each of a different kind."""
    from sklearn.datasets import make_classification, make_friedman1

    rng = np.random.default_rng(2)
    x, y = make_classification(n_samples=2000, n_features=40, n_informative=12, n_classes=3, random_state=2)
    bn = _split(x, y, 3)
    images = _split(*_bars(2000, rng), 4, standardise=False)
    sequences = _split(*_sequences(2000, rng), 3, standardise=False)
    tokens = _split(*_tokens(2000, rng), 3, standardise=False)
    regression = _split(*make_friedman1(n_samples=2000, noise=1.0, random_state=3), 0)
    return [
        _noisy_labels(),
        Problem("BatchNorm+dropout MLP", *bn, classes=3, architecture="bn_dropout"),
        Problem("bars CNN", *images, classes=4, architecture="cnn"),
        Problem("GRU sequences (Adam)", *sequences, classes=3, architecture="gru", optimizer="adam"),
        Problem("transformer tokens (AdamW)", *tokens, classes=3, architecture="transformer", optimizer="adamw",
                vocabulary=10),
        Problem("friedman1 regression", *regression, classes=0, architecture="mlp"),
    ]


def adaptive() -> list[Problem]:
    """The SGD problems of `panel` and `known` with Adam (AdamW with BatchNorm), and two with other optimizers."""
    from sklearn.datasets import load_wine, make_moons

    with_adam = []
    for problem in panel() + known():
        if problem.optimizer == "sgd":
            optimizer = "adamw" if problem.architecture == "bn_dropout" else "adam"
            label = {"adam": "Adam", "adamw": "AdamW"}[optimizer]
            with_adam.append(replace(problem, name=f"{problem.name} ({label})", optimizer=optimizer))
    moons = _split(*make_moons(n_samples=2000, noise=0.3, random_state=4), 2)
    return [*with_adam, Problem("two moons MLP (RMSprop)", *moons, classes=2, architecture="mlp", optimizer="rmsprop"),
            Problem("wine MLP (Adagrad)", *_split(*load_wine(return_X_y=True), 3), classes=3, architecture="mlp",
                    optimizer="adagrad")]


class Shuffled:
    """Mini-batches in a new order on every pass, like a shuffled DataLoader (seeded)."""

    def __init__(self, x: Any, y: Any, seed: int) -> None:
        self.x, self.y, self.rng = x, y, np.random.default_rng(seed)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        order = self.rng.permutation(len(self.y))
        for start in range(0, len(order) - BATCH + 1, BATCH):
            index = order[start:start + BATCH]
            yield self.x[index], self.y[index]


def score_of(problem: Problem, output: np.ndarray) -> float:
    """Accuracy, or minus the MSE for a regression: higher is better; NaN (diverged) scores -inf."""
    if not np.all(np.isfinite(output)):
        return -math.inf
    if problem.classes:
        return float(np.mean(output.argmax(axis=1) == problem.y_val))
    return -float(np.mean((output - problem.y_val) ** 2))


class TorchSide:
    """Range tests and training runs of the panel's problems in PyTorch (one thread)."""

    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(1)

    def model(self, problem: Problem, seed: int) -> Any:
        """The problem's model with this seed's first weights."""
        torch, nn = self.torch, self.torch.nn
        torch.manual_seed(seed)
        features = int(np.prod(problem.x_train.shape[1:]))
        outputs = problem.classes or 1
        if problem.architecture == "linear":
            return nn.Linear(features, outputs)
        if problem.architecture == "mlp":
            return nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, outputs))
        if problem.architecture == "cnn_digits":
            return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(8 * 6 * 6, outputs))
        if problem.architecture == "bn_dropout":
            return nn.Sequential(nn.Linear(features, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(64, outputs))
        if problem.architecture == "cnn":
            return nn.Sequential(nn.Unflatten(1, (1, 12, 12)), nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                                 nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Flatten(), nn.Linear(16 * 3 * 3, outputs))
        if problem.architecture == "gru":
            return _TorchGRU(nn, problem.x_train.shape[2], outputs)
        if problem.architecture == "transformer":
            return _TorchTransformer(nn, problem.vocabulary, problem.x_train.shape[1], outputs)
        raise ValueError(f"unknown architecture {problem.architecture!r}")

    def optimizer(self, problem: Problem, model: Any, lr: float) -> Any:
        optim = self.torch.optim
        if problem.optimizer == "adam":
            return optim.Adam(model.parameters(), lr=lr)
        if problem.optimizer == "adamw":
            return optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        if problem.optimizer == "rmsprop":
            return optim.RMSprop(model.parameters(), lr=lr)
        if problem.optimizer == "adagrad":
            return optim.Adagrad(model.parameters(), lr=lr)
        return optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def _loss(self, problem: Problem) -> Callable[[Any, Any], Any]:
        functional = self.torch.nn.functional
        return functional.cross_entropy if problem.classes else functional.mse_loss

    def _tensors(self, problem: Problem) -> tuple[Any, ...]:
        from_numpy = self.torch.from_numpy
        return (from_numpy(problem.x_train), from_numpy(problem.y_train), from_numpy(problem.x_val),
                from_numpy(problem.y_val))

    def range_test(self, problem: Problem, seed: int, start_lr: float) -> RangeTestResult:
        """A range test from `start_lr` to `END_LR` in `NUM_ITER` steps, the validation set read every 5."""
        from clr_torch import range_test

        model = self.model(problem, seed)
        x, y, x_val, y_val = self._tensors(problem)
        metrics = {"accuracy": lambda output, target: (output.argmax(dim=1) == target).float().mean()}
        return range_test(model, self.optimizer(problem, model, 0.01), self._loss(problem), Shuffled(x, y, seed),
                          start_lr=start_lr, end_lr=END_LR, num_iter=NUM_ITER, validation_data=[(x_val, y_val)],
                          metrics=metrics if problem.classes else None, eval_every=RANGE_EVAL_EVERY)

    def train(self, problem: Problem, seed: int, lr_at: Callable[[int], float], steps: int) -> list[float]:
        """Train `steps` steps at ``lr_at(step)``; the validation score every `EVAL_EVERY` steps."""
        torch = self.torch
        model = self.model(problem, seed)
        optimizer = self.optimizer(problem, model, lr_at(0))
        loss_fn = self._loss(problem)
        x, y, x_val, _ = self._tensors(problem)
        data = Shuffled(x, y, 1000 + seed)
        scores: list[float] = []
        step = 0
        while step < steps:
            for x_batch, y_batch in data:
                for group in optimizer.param_groups:
                    group["lr"] = lr_at(step)
                optimizer.zero_grad()
                loss_fn(model(x_batch), y_batch).backward()
                optimizer.step()
                step += 1
                if step % EVAL_EVERY == 0:
                    model.eval()
                    with torch.no_grad():
                        scores.append(score_of(problem, model(x_val).numpy()))
                    model.train()
                if step == steps:
                    break
        return scores


class _TorchGRU:
    """A GRU of 32 units read at its last step, then a linear layer (built on first use of torch)."""

    def __new__(cls, nn: Any, features: int, outputs: int) -> Any:
        class GRU(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.gru = nn.GRU(features, 32, batch_first=True)
                self.head = nn.Linear(32, outputs)

            def forward(self, x: Any) -> Any:
                return self.head(self.gru(x)[0][:, -1])

        return GRU()


class _TorchTransformer:
    """Token and position embeddings (32), one encoder layer (2 heads), mean over positions, a linear head."""

    def __new__(cls, nn: Any, vocabulary: int, length: int, outputs: int) -> Any:
        import torch

        class Transformer(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.tokens = nn.Embedding(vocabulary, 32)
                self.positions = nn.Parameter(torch.randn(length, 32) * 0.1)
                self.encoder = nn.TransformerEncoderLayer(32, 2, 64, dropout=0.0, batch_first=True)
                self.head = nn.Linear(32, outputs)

            def forward(self, x: Any) -> Any:
                return self.head(self.encoder(self.tokens(x) + self.positions).mean(dim=1))

        return Transformer()


class KerasSide:
    """One compiled model per problem (traced once); each run sets its seed's first weights and a fresh state."""

    name = "keras"

    def __init__(self) -> None:
        import keras

        self.keras = keras
        self._workers: dict[str, Any] = {}

    def _build(self, problem: Problem) -> Any:
        keras, layers = self.keras, self.keras.layers
        outputs = problem.classes or 1
        shape = problem.x_train.shape[1:]
        if problem.architecture == "transformer":
            tokens = keras.Input(shape, dtype="int32")
            x = layers.Embedding(problem.vocabulary, 32)(tokens)
            x = _KerasPositions(keras)(x)
            x = layers.LayerNormalization()(x + layers.MultiHeadAttention(2, 16)(x, x))
            x = layers.LayerNormalization()(x + layers.Dense(32)(layers.Dense(64, activation="relu")(x)))
            x = layers.GlobalAveragePooling1D()(x)
            return keras.Model(tokens, layers.Dense(outputs)(x))
        body = {
            "linear": [],
            "mlp": [layers.Dense(64, activation="relu")],
            "cnn_digits": [layers.Reshape((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten()],
            "bn_dropout": [layers.Dense(64), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.3),
                           layers.Dense(64), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.3)],
            "cnn": [layers.Reshape((12, 12, 1)), layers.Conv2D(8, 3, padding="same", activation="relu"),
                    layers.MaxPooling2D(2), layers.Conv2D(16, 3, padding="same", activation="relu"),
                    layers.MaxPooling2D(2), layers.Flatten()],
            "gru": [layers.GRU(32)],
        }[problem.architecture]
        return keras.Sequential([keras.Input(shape), *body, layers.Dense(outputs)])

    def _optimizer(self, problem: Problem) -> Any:
        optimizers = self.keras.optimizers
        if problem.optimizer == "adam":
            return optimizers.Adam(0.001)
        if problem.optimizer == "adamw":
            return optimizers.AdamW(0.001, weight_decay=0.01)
        if problem.optimizer == "rmsprop":
            return optimizers.RMSprop(0.001)
        if problem.optimizer == "adagrad":
            return optimizers.Adagrad(0.001)
        return optimizers.SGD(0.01, momentum=0.9)

    def _worker(self, problem: Problem, seed: int) -> Any:
        keras = self.keras
        if problem.name not in self._workers:
            model = self._build(problem)
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True) if problem.classes else "mse"
            model.compile(optimizer=self._optimizer(problem), loss=loss,
                          metrics=["accuracy"] if problem.classes else None)
            model.optimizer.build(model.trainable_variables)
            initial = [variable.numpy() for variable in model.optimizer.variables]
            self._workers[problem.name] = (model, initial)
        model, initial = self._workers[problem.name]
        keras.utils.set_random_seed(seed)
        model.set_weights(self._build(problem).get_weights())  # this seed's first weights
        for variable, value in zip(model.optimizer.variables, initial):
            variable.assign(value)
        return model

    def range_test(self, problem: Problem, seed: int, start_lr: float) -> RangeTestResult:
        """A range test from `start_lr` to `END_LR` in `NUM_ITER` steps, the validation set read every 5."""
        from clr_keras import range_test

        model = self._worker(problem, seed)
        return range_test(model, Shuffled(problem.x_train, problem.y_train, seed), start_lr=start_lr,
                          end_lr=END_LR, num_iter=NUM_ITER, validation_data=(problem.x_val, problem.y_val),
                          batch_size=len(problem.y_val), eval_every=RANGE_EVAL_EVERY)

    def train(self, problem: Problem, seed: int, lr_at: Callable[[int], float], steps: int) -> list[float]:
        """Train `steps` steps at ``lr_at(step)``; the validation score every `EVAL_EVERY` steps."""
        model = self._worker(problem, seed)
        data = Shuffled(problem.x_train, problem.y_train, 1000 + seed)
        scores: list[float] = []
        step = 0
        while step < steps:
            for x, y in data:
                model.optimizer.learning_rate = lr_at(step)
                model.train_on_batch(x, y)
                step += 1
                if step % EVAL_EVERY == 0:
                    scores.append(score_of(problem, np.asarray(model.predict_on_batch(problem.x_val))))
                if step == steps:
                    break
        return scores


class _KerasPositions:
    """A learned position embedding added to the token embeddings (built on first use of Keras)."""

    def __new__(cls, keras: Any) -> Any:
        class Positions(keras.layers.Layer):
            def build(self, input_shape: Any) -> None:
                self.table = self.add_weight(shape=tuple(input_shape[1:]), initializer="random_normal")

            def call(self, x: Any) -> Any:
                return x + self.table

        return Positions()
