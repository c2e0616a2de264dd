"""How good are the range test's suggestions? `make eval-range-test` (an evaluation, not a test, not a timing).

Four small problems that ship with scikit-learn (digits MLP, digits CNN, diabetes regression, breast-cancer
logistic regression) x 5 seeds x both frameworks, SGD with momentum 0.9. For each problem it prints:

- the spread of the suggested bounds across seeds (max / min; goal <= 2x);
- their change when `start_lr` moves 100x, 1e-7 against 1e-5 (the worst seed; goal <= 2x);
- other single-lr rules side by side: ours ('steepest', 'valley') and two written here from their public
  descriptions, torch-lr-finder's steepest (the steepest gradient of an EMA-smoothed loss after skipping
  10 steps at the start and 5 at the end) and fastai's valley (the longest falling run of the smoothed
  loss, read about half-way along);
- a CLR run (triangular, two cycles) between our suggested bounds against the best fixed lr of a grid:
  the iterations each takes to reach the best fixed run's best score (accuracy, or minus the validation
  MSE), on curves averaged over the seeds; goal: CLR no worse on at least 3 of 4 problems. A second CLR
  run from ``max_lr / 4`` (Smith's rule of thumb for the ratio) shows what the `base_lr` rule costs.

Run: ``python benchmarks/eval_range_test.py [--frameworks torch keras] [--seeds 5]``. Takes a few minutes.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from clr_core import CyclicSchedule, RangeTestResult, RangeTestWarning

BATCH = 32
NUM_ITER = 150
END_LR = 10.0
STARTS = (1e-7, 1e-5)
TRAIN_STEPS = 300
EVAL_EVERY = 10
GRID = [0.001 * 4**k for k in range(6)]  # 0.001 .. 1.02
REACH = 0.005  # "reached the best fixed score": within 0.5% of it


@dataclass(frozen=True)
class Problem:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classes: int  # 0: regression (one output, MSE)
    conv: bool = False


def _standardise(x: np.ndarray, y: np.ndarray, classes: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order].astype(np.float32), y[order]
    split = int(0.8 * len(y))
    mean, std = x[:split].mean(axis=0), x[:split].std(axis=0) + 1e-6
    x = (x - mean) / std
    if classes:
        y = y.astype(np.int64)
    else:
        y = ((y - y[:split].mean()) / y[:split].std()).astype(np.float32).reshape(-1, 1)
    return x[:split], y[:split], x[split:], y[split:]


def problems() -> list[Problem]:
    from sklearn import datasets

    digits = _standardise(*datasets.load_digits(return_X_y=True), 10)
    return [
        Problem("digits MLP", *digits, classes=10),
        Problem("digits CNN", *digits, classes=10, conv=True),
        Problem("diabetes regression", *_standardise(*datasets.load_diabetes(return_X_y=True), 0), classes=0),
        Problem("breast-cancer logistic", *_standardise(*datasets.load_breast_cancer(return_X_y=True), 2), classes=2),
    ]


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
    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(1)

    def _model(self, problem: Problem, seed: int) -> Any:
        nn = self.torch.nn
        self.torch.manual_seed(seed)
        features = problem.x_train.shape[1]
        outputs = problem.classes or 1
        if problem.conv:
            return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(8 * 6 * 6, outputs))
        if problem.classes == 2:
            return nn.Linear(features, outputs)  # logistic regression
        return nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, outputs))

    def _loss(self, problem: Problem) -> Callable[[Any, Any], Any]:
        functional = self.torch.nn.functional
        return functional.cross_entropy if problem.classes else functional.mse_loss

    def range_test(self, problem: Problem, seed: int, start_lr: float) -> RangeTestResult:
        from clr_torch import range_test

        model = self._model(problem, seed)
        optimizer = self.torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        data = Shuffled(self.torch.from_numpy(problem.x_train), self.torch.from_numpy(problem.y_train), seed)
        return range_test(model, optimizer, self._loss(problem), data, start_lr=start_lr, end_lr=END_LR,
                          num_iter=NUM_ITER)

    def train(self, problem: Problem, seed: int, lr_at: Callable[[int], float]) -> list[float]:
        torch = self.torch
        model = self._model(problem, seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr_at(0), momentum=0.9)
        loss_fn = self._loss(problem)
        data = Shuffled(torch.from_numpy(problem.x_train), torch.from_numpy(problem.y_train), 1000 + seed)
        x_val = torch.from_numpy(problem.x_val)
        scores, step = [], 0
        while step < TRAIN_STEPS:
            for x, y in data:
                for group in optimizer.param_groups:
                    group["lr"] = lr_at(step)
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
                step += 1
                if step % EVAL_EVERY == 0:
                    with torch.no_grad():
                        scores.append(score_of(problem, model(x_val).numpy()))
                if step == TRAIN_STEPS:
                    break
        return scores


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
        if problem.conv:
            body = [layers.Reshape((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten()]
        elif problem.classes == 2:
            body = []
        else:
            body = [layers.Dense(64, activation="relu")]
        return keras.Sequential([keras.Input((problem.x_train.shape[1],)), *body, layers.Dense(outputs)])

    def _worker(self, problem: Problem, seed: int) -> Any:
        keras = self.keras
        if problem.name not in self._workers:
            model = self._build(problem)
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True) if problem.classes else "mse"
            model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss=loss)
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
        from clr_keras import range_test

        model = self._worker(problem, seed)
        return range_test(model, Shuffled(problem.x_train, problem.y_train, seed), start_lr=start_lr,
                          end_lr=END_LR, num_iter=NUM_ITER)

    def train(self, problem: Problem, seed: int, lr_at: Callable[[int], float]) -> list[float]:
        model = self._worker(problem, seed)
        data = Shuffled(problem.x_train, problem.y_train, 1000 + seed)
        scores, step = [], 0
        while step < TRAIN_STEPS:
            for x, y in data:
                model.optimizer.learning_rate = lr_at(step)
                model.train_on_batch(x, y)
                step += 1
                if step % EVAL_EVERY == 0:
                    scores.append(score_of(problem, np.asarray(model.predict_on_batch(problem.x_val))))
                if step == TRAIN_STEPS:
                    break
        return scores


def torch_lr_finder_steepest(result: RangeTestResult) -> float:
    """torch-lr-finder's rule as documented: EMA (0.05) of the loss, skip 10 + 5, the steepest gradient."""
    smoothed, average = [], 0.0
    for k, loss in enumerate(result.losses):
        average = loss if k == 0 else 0.05 * loss + 0.95 * average
        smoothed.append(average)
    lrs, losses = result.lrs[10:-5], np.array(smoothed[10:-5])
    finite = np.isfinite(losses)
    return float(lrs[int(np.gradient(np.where(finite, losses, np.nanmax(losses[finite]))).argmin())])


def fastai_valley(result: RangeTestResult) -> float:
    """The valley rule of fastai, as documented: the longest falling run of the smoothed loss, read ~half-way."""
    losses = [value if math.isfinite(value) else math.inf for value in result.smoothed]
    run = [1] * len(losses)
    best_start = best_end = 0
    for i in range(1, len(losses)):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
        if run[best_end] < run[i]:
            best_end, best_start = i, i - run[i]
    third = (best_end - best_start) / 3
    return result.lrs[min(len(result.lrs) - 1, best_start + int(third) + int(third / 2))]


def spread(values: list[float]) -> float:
    finite = [v for v in values if v and math.isfinite(v)]
    return max(finite) / min(finite) if len(finite) == len(values) and finite else math.inf


def first_reaching(curve: list[float], target: float) -> int | None:
    threshold = target - REACH * abs(target)
    return next(((k + 1) * EVAL_EVERY for k, value in enumerate(curve) if value >= threshold), None)


def mean_curve(curves: list[list[float]]) -> list[float]:
    return [statistics.fmean(values) for values in zip(*curves)]


def evaluate(side: Any, problem: Problem, seeds: int) -> dict[str, Any]:
    rules: dict[str, list[float]] = {name: [] for name in ("base", "max", "steepest", "valley", "tlf", "fastai")}
    moved: dict[str, list[float]] = {"base": [], "max": []}
    notes: list[str] = []
    bounds_per_seed = []
    for seed in range(seeds):
        readings = {}
        for start in STARTS:
            result = side.range_test(problem, seed, start)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RangeTestWarning)
                try:
                    readings[start] = (result.suggest_bounds(), result.suggest_lr("steepest"),
                                       result.suggest_lr("valley"), result)
                except ValueError as reason:
                    notes.append(f"seed {seed} start {start:g}: no answer: {reason}")
                    readings[start] = None
            notes.extend(dict.fromkeys(f"seed {seed} start {start:g}: {w.message}" for w in caught))
        main = readings[STARTS[-1]]
        if main is None:
            bounds_per_seed.append(None)
            continue
        (base, top), steepest, valley, result = main
        bounds_per_seed.append((base, top))
        for name, value in zip(rules, (base, top, steepest, valley, torch_lr_finder_steepest(result),
                                       fastai_valley(result))):
            rules[name].append(value)
        if readings[STARTS[0]] is not None:
            other = readings[STARTS[0]][0]
            moved["base"].append(max(base / other[0], other[0] / base))
            moved["max"].append(max(top / other[1], other[1] / top))
    fixed = {lr: mean_curve([side.train(problem, seed, lambda step, lr=lr: lr) for seed in range(seeds)])
             for lr in GRID}
    best_lr = max(fixed, key=lambda lr: max(fixed[lr]))
    target = max(fixed[best_lr])
    clr_curves: dict[str, list[list[float]]] = {"ours": [], "max/4": []}
    for seed, bounds in enumerate(bounds_per_seed):
        if bounds is not None:
            for name, base in (("ours", bounds[0]), ("max/4", bounds[1] / 4)):
                schedule = CyclicSchedule(base, bounds[1], step_size=TRAIN_STEPS / 4)
                clr_curves[name].append(side.train(problem, seed, schedule.lr_at))
    clr = {name: mean_curve(curves) if curves else [-math.inf] for name, curves in clr_curves.items()}
    return {"rules": rules, "moved": moved, "notes": notes, "best_lr": best_lr, "target": target,
            "fixed_at": first_reaching(fixed[best_lr], target),
            "clr_at": {name: first_reaching(curve, target) for name, curve in clr.items()},
            "clr_best": {name: max(curve) for name, curve in clr.items()},
            "answered": sum(b is not None for b in bounds_per_seed)}


def show(side: str, problem: Problem, out: dict[str, Any], seeds: int) -> dict[str, bool]:
    rules, moved = out["rules"], out["moved"]

    def summary(name: str) -> str:
        values = rules[name]
        return f"{statistics.median(values):.2g} ({spread(values):.1f}x)" if values else "-"

    print(f"\n[{side}] {problem.name}: bounds answered on {out['answered']}/{seeds} seeds")
    print(f"  suggested bounds, median (spread across seeds): base {summary('base')}, max {summary('max')}"
          f"   goal spread <= 2x")
    worst = {name: max(values) if values else math.inf for name, values in moved.items()}
    print(f"  start_lr 1e-7 vs 1e-5, worst seed: base x{worst['base']:.2f}, max x{worst['max']:.2f}   goal <= 2x")
    print(f"  one-lr rules, median (spread): ours steepest {summary('steepest')}, torch-lr-finder steepest "
          f"{summary('tlf')}, ours valley {summary('valley')}, fastai valley {summary('fastai')}")
    metric = "accuracy" if problem.classes else "-MSE"
    fixed_at = out["fixed_at"]
    print(f"  best fixed lr {out['best_lr']:.3g} of the grid: best {metric} {out['target']:.4f} at iteration "
          f"{fixed_at}")
    verdicts = {}
    for name, label in (("ours", "CLR between our bounds"), ("max/4", "CLR from our max_lr / 4 (Smith's ratio)")):
        clr_at = out["clr_at"][name]
        verdicts[name] = clr_at is not None and clr_at <= fixed_at
        print(f"  {label}: reaches it (within {REACH:.1%}) at {clr_at if clr_at else 'never'}, best "
              f"{out['clr_best'][name]:.4f}   -> {'no worse' if verdicts[name] else 'WORSE'}")
    for note in out["notes"][:6]:
        print(f"    note: {note[:150]}")
    if len(out["notes"]) > 6:
        print(f"    ... and {len(out['notes']) - 6} more notes")
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"], choices=["torch", "keras"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--problems", type=int, default=4, help="the first N problems only (a quick look)")
    arguments = parser.parse_args()
    panel = problems()[: arguments.problems]
    for name in arguments.frameworks:
        started = time.perf_counter()
        side = TorchSide() if name == "torch" else KerasSide()
        wins = {"ours": 0, "max/4": 0}
        for problem in panel:
            for key, won in show(name, problem, evaluate(side, problem, arguments.seeds), arguments.seeds).items():
                wins[key] += won
        print(f"\n[{name}] CLR no worse than the best fixed lr (goal >= 3 of {len(panel)}): between our bounds on "
              f"{wins['ours']}, from max_lr / 4 on {wins['max/4']}; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
