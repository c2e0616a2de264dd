"""Our plan against what users pick instead: `make eval-range-test` (an evaluation, not a test, not a timing).

On each problem of the range test's panel and one with unnormalised inputs (`methods_panel.py`), torch only,
seed by seed, 8 epochs of batch 64:

- **the plan**: `clr_torch.range_test` at its defaults, then ``result.schedule(epochs=..., steps_per_epoch=...)``
  at its defaults, with SGD (momentum 0.9) and with AdamW (torch's defaults); beside it ``mode='one_cycle'``
  (to choose the default) and the median bounds of 3 sweeps over other batch orders (`combine_range_tests`);
- **Prodigy + cosine** (lr 1.0, its defaults, and ``CosineAnnealingLR`` over the whole run, as its README
  recommends) and **schedule-free AdamW** (its defaults, ``optimizer.eval()`` before evaluating, BatchNorm
  statistics recomputed as its README says);
- **the best fixed SGD lr** of a grid of 8 (chosen in hindsight: the best mean over the seeds).

For each it prints the mean final score (accuracy; R^2 for the regression), the worst seed, the collapses
and the optimizer steps it spent (the range test included; the grid's eight runs for the best fixed lr).

Definitions (issue 28). *Within noise*: the mean over seeds of the per-seed difference (ours minus the
reference, same seed) is above ``-max(0.01, 2 standard errors of the differences)``. *Collapse*: a
classification run ending within 0.05 of chance accuracy (the majority class's share), a regression run
ending above its starting loss (the validation MSE of the untrained model), or a run that diverged.

Last it runs the example of docs/choosing.md that drives Prodigy's lr multiplier with our scheduler.
Run: ``python benchmarks/eval_methods.py [--seeds 3] [--full] [--problems NAME ...]`` (``--full``: 10 seeds;
names are prefixes, to spread the full run over processes). The results are in docs/choosing.md.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import torch
from eval_panel import Problem, TorchSide
from methods_panel import problems

from clr_core import RangeTestResult, RangeTestWarning
from clr_core.range_test import combine_range_tests
from clr_torch import range_test

EPOCHS = 8
BATCH = 64
SIDE = TorchSide()  # the panel's models
NOISE_FLOOR = 0.01
COLLAPSE_MARGIN = 0.05


@dataclass
class Run:
    score: float
    collapsed: bool
    steps: int


@dataclass(frozen=True)
class Tensors:
    """A problem's data as tensors, with the accuracy of its best constant guess."""

    problem: Problem
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor

    @classmethod
    def of(cls, problem: Tensors) -> Tensors:
        parts = (problem.x_train, problem.y_train, problem.x_val, problem.y_val)
        return cls(problem, *(torch.from_numpy(np.ascontiguousarray(part)) for part in parts))

    @property
    def classes(self) -> int:
        return self.problem.classes

    @property
    def chance(self) -> float:
        """The majority class's share of the validation set."""
        return float(np.bincount(self.problem.y_val).max()) / len(self.problem.y_val)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        functional = torch.nn.functional
        return functional.cross_entropy(output, target) if self.classes else functional.mse_loss(output, target)


@dataclass
class Method:
    name: str
    runs: list[Run] = field(default_factory=list)
    max_lrs: list[float] = field(default_factory=list)  # the plan's peak lr, per seed
    notes: list[str] = field(default_factory=list)


def steps_per_epoch(problem: Tensors) -> int:
    return len(problem.y_train) // BATCH


def batches(problem: Tensors, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Mini-batches in a new seeded order on every pass (a shuffled DataLoader that drops the last batch)."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(problem.y_train), generator=generator)
        for start in range(0, steps_per_epoch(problem) * BATCH, BATCH):
            index = order[start:start + BATCH]
            yield problem.x_train[index], problem.y_train[index]


class Forever:
    """An iterable over `batches` (the range test reads it again when exhausted)."""

    def __init__(self, problem: Tensors, seed: int) -> None:
        self.source = batches(problem, seed)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self.source


def model_for(problem: Tensors, seed: int) -> torch.nn.Module:
    return SIDE.model(problem.problem, seed)


def optimizer_for(name: str, model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return torch.optim.AdamW(model.parameters(), lr=lr)


def validation_loss(problem: Tensors, model: torch.nn.Module) -> float:
    model.eval()
    with torch.no_grad():
        loss = float(problem.loss(model(problem.x_val), problem.y_val))
    model.train()
    return loss


def finish(problem: Tensors, model: torch.nn.Module, starting_loss: float, steps: int) -> Run:
    """Score the trained model: accuracy (R^2 for the regression) and whether it collapsed."""
    model.eval()
    with torch.no_grad():
        output = model(problem.x_val)
    if not bool(torch.isfinite(output).all()):
        return Run(0.0 if problem.classes else -1.0, True, steps)
    if problem.classes:
        accuracy = float((output.argmax(dim=1) == problem.y_val).float().mean())
        return Run(accuracy, accuracy <= problem.chance + COLLAPSE_MARGIN, steps)
    mse = float(torch.nn.functional.mse_loss(output, problem.y_val))
    return Run(1.0 - mse / float(problem.y_val.var()), mse > starting_loss, steps)


def train(problem: Tensors, seed: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer, *,
          lr_at: Callable[[int], float] | None = None, scheduler: Any = None, schedule_free: bool = False) -> Run:
    """EPOCHS epochs from this seed's model, in this seed's batch order (the same for every method)."""
    starting_loss = validation_loss(problem, model)
    loss_fn = problem.loss
    total = EPOCHS * steps_per_epoch(problem)
    data = batches(problem, 1000 + seed)
    model.train()
    if schedule_free:
        optimizer.train()
    for step in range(total):
        if lr_at is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
        x, y = next(data)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        if not math.isfinite(float(loss.detach())):
            return Run(0.0 if problem.classes else -1.0, True, total)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    if schedule_free:
        optimizer.eval()
        if any(isinstance(module, torch.nn.modules.batchnorm._BatchNorm) for module in model.modules()):
            with torch.no_grad():  # schedule-free's README: recompute BatchNorm statistics at the eval weights
                for _ in range(steps_per_epoch(problem)):
                    model(next(data)[0])
    return finish(problem, model, starting_loss, total)


def sweep(problem: Tensors, seed: int, optimizer_name: str, order: int = 0) -> RangeTestResult:
    """The range test at its defaults, on this seed's model and a batch order of its own (one per `order`)."""
    model = model_for(problem, seed)
    optimizer = optimizer_for(optimizer_name, model, 1e-3)
    return range_test(model, optimizer, problem.loss, Forever(problem, 500 + 100 * order + seed))


def run_plans(problem: Tensors, seed: int, optimizer_name: str, variants: list[tuple[str | None, int]],
              methods: dict[str, Method]) -> None:
    """Train the plan of each ``(mode, repeats)`` of `variants`.

    Mode None is `RangeTestResult.schedule`'s default; repeats > 1 plans between the median bounds of that
    many sweeps over other batch orders (`combine_range_tests`).
    """
    sweeps = max(repeats for _, repeats in variants)
    results = [sweep(problem, seed, optimizer_name, order) for order in range(sweeps)]
    label = "SGD" if optimizer_name == "sgd" else "AdamW"
    for mode, repeats in variants:
        details = [*([] if mode is None else [mode]), *([] if repeats == 1 else [f"median of {repeats} sweeps"])]
        name = f"{label} + plan" + (f" ({', '.join(details)})" if details else "")
        method = methods.setdefault(name, Method(name))
        spent = sum(len(result.lrs) for result in results[:repeats])
        options = {} if mode is None else {"mode": mode}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RangeTestWarning)
            try:
                planner = results[0] if repeats == 1 else combine_range_tests(results[:repeats])
                schedule = planner.schedule(epochs=EPOCHS, steps_per_epoch=steps_per_epoch(problem), **options)
            except ValueError as reason:
                method.notes.append(f"seed {seed}: no plan: {reason}")
                method.runs.append(Run(0.0 if problem.classes else -1.0, True, spent))
                continue
        method.notes.extend(f"seed {seed}: {warning.message}" for warning in caught)
        method.max_lrs.append(max(schedule.lr_at(step) for step in range(EPOCHS * steps_per_epoch(problem))))
        model = model_for(problem, seed)
        run = train(problem, seed, model, optimizer_for(optimizer_name, model, schedule.lr_at(0)),
                    lr_at=schedule.lr_at)
        run.steps += spent
        method.runs.append(run)


def run_prodigy(problem: Tensors, seed: int) -> Run:
    from prodigyopt import Prodigy

    model = model_for(problem, seed)
    optimizer = Prodigy(model.parameters(), lr=1.0)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * steps_per_epoch(problem))
    return train(problem, seed, model, optimizer, scheduler=cosine)


def run_schedule_free(problem: Tensors, seed: int) -> Run:
    from schedulefree import AdamWScheduleFree

    model = model_for(problem, seed)
    return train(problem, seed, model, AdamWScheduleFree(model.parameters()), schedule_free=True)


def evaluate(problem: Tensors, seeds: int, variants: list[tuple[str | None, int]]) -> dict[str, Method]:
    methods: dict[str, Method] = {}
    grid = {lr: Method(f"SGD fixed lr {lr:.3g}") for lr in replace(problem.problem, optimizer="sgd").grid}
    prodigy, schedule_free = Method("Prodigy + cosine"), Method("schedule-free AdamW")
    for seed in range(seeds):
        for optimizer_name in ("sgd", "adamw"):
            run_plans(problem, seed, optimizer_name, variants, methods)
        prodigy.runs.append(run_prodigy(problem, seed))
        schedule_free.runs.append(run_schedule_free(problem, seed))
        for lr, method in grid.items():
            model = model_for(problem, seed)
            method.runs.append(train(problem, seed, model, optimizer_for("sgd", model, lr)))
    best = max(grid.values(), key=lambda method: statistics.fmean(run.score for run in method.runs))
    best.name = f"best fixed SGD lr ({best.name.rsplit(' ', 1)[1]})"
    for run in best.runs:
        run.steps *= len(grid)  # finding the best lr took the whole grid
    methods[prodigy.name], methods[schedule_free.name], methods["best fixed"] = prodigy, schedule_free, best
    return methods


def within_noise(ours: Method, reference: Method) -> tuple[float, float, bool]:
    """The mean per-seed difference, its allowance ``max(0.01, 2 SE)``, and whether it is within noise."""
    differences = [a.score - b.score for a, b in zip(ours.runs, reference.runs)]
    mean = statistics.fmean(differences)
    error = statistics.stdev(differences) / math.sqrt(len(differences)) if len(differences) > 1 else 0.0
    allowance = max(NOISE_FLOOR, 2 * error)
    return mean, allowance, mean > -allowance


def show(problem: Tensors, methods: dict[str, Method], seconds: float) -> dict[str, tuple[bool, bool]]:
    """Print the problem's table; per plan: (within noise of its reference, no collapse)."""
    total = EPOCHS * steps_per_epoch(problem)
    seeds = len(methods["best fixed"].runs)
    kind = "accuracy" if problem.classes else "R^2"
    chance = f", chance {problem.chance:.3f}" if problem.classes else ""
    print(f"\n{problem.problem.name}: {kind}, {seeds} seeds, {total} training steps{chance} ({seconds:.0f} s)")
    print(f"  {'method':<44} {'mean':>6} {'worst':>6} {'collapses':>9} {'steps':>6}  vs reference (allowance)"
          f"   peak lr: median (spread)")
    verdicts = {}
    for key, method in methods.items():
        scores = [run.score for run in method.runs]
        collapses = sum(run.collapsed for run in method.runs)
        steps = statistics.fmean(run.steps for run in method.runs)
        line = (f"  {method.name:<44} {statistics.fmean(scores):6.3f} {min(scores):6.3f} {collapses:>5}/{seeds:<3} "
                f"{steps:6.0f}")
        if "+ plan" in key:
            reference = methods["Prodigy + cosine" if key.startswith("AdamW") else "best fixed"]
            mean, allowance, ok = within_noise(method, reference)
            verdicts[key] = (ok, collapses == 0)
            peak = f"{statistics.median(method.max_lrs):.3g} ({max(method.max_lrs) / min(method.max_lrs):.1f}x)" \
                if method.max_lrs else "-"
            line += f"  {mean:+.3f} ({allowance:.3f}) {'ok' if ok else 'WORSE'}   {peak}"
        print(line)
    for method in methods.values():
        for note in list(dict.fromkeys(method.notes))[:4]:
            print(f"    note ({method.name}): {note[:160]}")
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=None, help="default 3, or 10 with --full")
    parser.add_argument("--full", action="store_true", help="10 seeds")
    parser.add_argument("--problems", nargs="+", default=None, help="names (prefixes) of panel problems to run")
    arguments = parser.parse_args()
    seeds = arguments.seeds or (10 if arguments.full else 3)
    variants: list[tuple[str | None, int]] = [(None, 1), ("one_cycle", 1), (None, 3)]
    torch.set_num_threads(1)
    panel = [Tensors.of(problem) for problem in problems()
             if arguments.problems is None or any(problem.name.startswith(name) for name in arguments.problems)]
    tally: dict[str, list[int]] = {}
    for problem in panel:
        started = time.perf_counter()
        methods = evaluate(problem, seeds, variants)
        for key, (ok, intact) in show(problem, methods, time.perf_counter() - started).items():
            counts = tally.setdefault(key, [0, 0])
            counts[0] += ok
            counts[1] += intact
    count = len(panel)
    print(f"\nTargets over {count} problems, {seeds} seeds (within noise: of Prodigy + cosine for AdamW, of the best "
          f"fixed SGD lr for SGD; target >= 5 of 6; no collapse: target all):")
    for key, (ok, intact) in tally.items():
        print(f"  {key:<44} within noise on {ok} of {count}, no collapse on {intact} of {count}")
    run_docs_example()
    return 0


def run_docs_example() -> None:
    """Run the example of docs/choosing.md that cycles Prodigy's lr multiplier (it needs prodigyopt)."""
    page = Path(__file__).resolve().parents[1] / "docs" / "choosing.md"
    blocks = re.findall(r"^```python\n(# requires: prodigyopt\n.*?)^```", page.read_text(encoding="utf-8"),
                        re.MULTILINE | re.DOTALL)
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/choosing.md prodigyopt block {number}", "exec"), {"__name__": "__docs__"})
    print(f"\ndocs/choosing.md: {len(blocks)} example(s) with Prodigy ran")


if __name__ == "__main__":
    sys.exit(main())
