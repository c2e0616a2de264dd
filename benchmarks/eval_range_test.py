"""How good are the range test's suggestions? `make eval-range-test` (an evaluation, not a test, not a timing).

On the panel of `eval_panel.py` (six problems the rules were not written on), the four problems they were
first written on and, with ``--full``, the adaptive set (ten problems trained with Adam, AdamW, RMSprop or
Adagrad, which judge the adaptive step back), for `suggest_bounds()` (the training loss) and
`suggest_bounds(metric="val_accuracy")` (the validation loss where there is no accuracy), it prints one table
row per problem and reading:

- **spread**: max / min of the suggested `max_lr` across seeds (target: <= 2x on most problems, never > 3x);
- **move**: how much `max_lr` moves when `start_lr` goes from 1e-7 to 1e-5, per seed (target: <= 2x on most
  seeds, never > 3x): the worst seed, and the seeds within 2x;
- **CLR vs best fixed**: CLR triangular (two cycles) between the suggested bounds against the best of 8 fixed
  lrs (the grid lr with the best mean score over the seeds), each run 300 steps from the same first weights
  and batches; the score is the validation accuracy (or minus the MSE) averaged over the last 3
  evaluations. Per seed, ours minus the best fixed; *within noise* when the mean over the seeds is above
  ``-max(0.01, 2 standard errors)``. Target: at least 5 of 6 panel problems and 3 of 4 known ones.

Run: ``python benchmarks/eval_range_test.py`` (a quick look: torch, 3 seeds) or ``--full`` (torch and
Keras, 5 seeds, all three sets: hours on a shared machine); through make, ``make eval-range-test
EVAL_RANGE_TEST_ARGS=--full``. ``--problems panel``, ``known`` or ``adaptive`` runs some sets, ``--named`` some
of their problems (to spread a full run over processes).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_panel import KerasSide, Problem, TorchSide, adaptive, known, panel

from clr_core import CyclicSchedule, RangeTestResult, RangeTestWarning

STARTS = (1e-7, 1e-5)
TRAIN_STEPS = 300
LAST = 3  # evaluations averaged into a run's score
FLOOR = 0.01  # "within noise": never stricter than this


@dataclass
class Reading:
    """One way of reading the bounds (the loss, or a validation metric) across the seeds of one problem."""

    name: str
    bounds: dict[int, tuple[float, float] | None] = field(default_factory=dict)  # seed -> bounds (start 1e-5)
    moves: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    differences: list[float] = field(default_factory=list)


def _suggest(result: RangeTestResult, metric: str | None) -> tuple[tuple[float, float] | None, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RangeTestWarning)
        try:
            bounds = result.suggest_bounds(metric=metric)
        except ValueError as reason:
            return None, [f"no answer: {reason}"]
    return bounds, list(dict.fromkeys(str(warning.message) for warning in caught))


def score(curve: list[float]) -> float:
    """A run's score: the mean of its last `LAST` evaluations."""
    return statistics.fmean(curve[-LAST:])


def evaluate(side: Any, problem: Problem, seeds: int) -> tuple[list[Reading], float]:
    """Range tests at both starts for every seed, then the fixed-lr grid and a CLR run per reading and seed."""
    metric = "val_accuracy" if problem.classes else "val_loss"
    readings = [Reading("loss"), Reading(metric)]
    for seed in range(seeds):
        results = {start: side.range_test(problem, seed, start) for start in STARTS}
        for reading in readings:
            chosen = None if reading.name == "loss" else reading.name
            suggested = {}
            for start, result in results.items():
                suggested[start], notes = _suggest(result, chosen)
                reading.notes.extend(f"seed {seed} start {start:g}: {note}" for note in notes)
            reading.bounds[seed] = suggested[STARTS[-1]]
            if suggested[STARTS[0]] and suggested[STARTS[-1]]:
                ratio = suggested[STARTS[-1]][1] / suggested[STARTS[0]][1]
                reading.moves.append(max(ratio, 1 / ratio))
    fixed = {lr: [score(side.train(problem, seed, lambda step, lr=lr: lr, TRAIN_STEPS)) for seed in range(seeds)]
             for lr in problem.grid}
    best_lr = max(fixed, key=lambda lr: statistics.fmean(fixed[lr]))
    clr: dict[tuple[int, tuple[float, float]], float] = {}  # both readings often give the same bounds
    for reading in readings:
        for seed, bounds in reading.bounds.items():
            if bounds is None:
                continue
            if (seed, bounds) not in clr:
                schedule = CyclicSchedule(*bounds, step_size=TRAIN_STEPS / 4)
                clr[seed, bounds] = score(side.train(problem, seed, schedule.lr_at, TRAIN_STEPS))
            reading.differences.append(clr[seed, bounds] - fixed[best_lr][seed])
    return readings, best_lr


def verdict(reading: Reading, seeds: int) -> tuple[str, bool]:
    """The CLR-vs-fixed column and whether it is within noise (every seed must have had an answer)."""
    if len(reading.differences) < seeds:
        return f"no answer on {seeds - len(reading.differences)} seeds", False
    mean = statistics.fmean(reading.differences)
    error = statistics.stdev(reading.differences) / math.sqrt(seeds) if seeds > 1 else 0.0
    within = mean > -max(FLOOR, 2 * error)
    return f"{mean:+.3f} +- {2 * error:.3f}", within


def row(problem: Problem, reading: Reading, seeds: int, best_lr: float) -> tuple[str, bool, float, float]:
    answered = [bounds[1] for bounds in reading.bounds.values() if bounds]
    spread = max(answered) / min(answered) if len(answered) == seeds else math.inf
    worst = max(reading.moves) if reading.moves else math.inf
    within_2x = sum(move <= 2 for move in reading.moves)
    comparison, within = verdict(reading, seeds)
    median = statistics.median(answered) if answered else math.nan
    text = (f"| {problem.name} | {reading.name} | {median:.2g} | {spread:.1f}x | {worst:.1f}x ({within_2x}/{seeds}) "
            f"| {best_lr:.2g} | {comparison} | {'yes' if within else 'NO'} |")
    return text, within, spread, worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="torch and Keras, 5 seeds (default: torch, 3 seeds)")
    parser.add_argument("--frameworks", nargs="+", choices=["torch", "keras"])
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--problems", nargs="+", choices=["panel", "known", "adaptive"],
                        help="the sets to run (default: panel and known; --full adds adaptive)")
    parser.add_argument("--only", type=int, default=0, help="the first N problems of each set only (a smoke run)")
    parser.add_argument("--named", nargs="+", default=[], help="only the problems whose name contains one of these")
    arguments = parser.parse_args()
    frameworks = arguments.frameworks or (["torch", "keras"] if arguments.full else ["torch"])
    seeds = arguments.seeds or (5 if arguments.full else 3)
    sets = {"panel": panel, "known": known, "adaptive": adaptive}
    chosen = arguments.problems or (["panel", "known", "adaptive"] if arguments.full else ["panel", "known"])
    for name in frameworks:
        side = TorchSide() if name == "torch" else KerasSide()
        for set_name in chosen:
            started = time.perf_counter()
            problems = [problem for problem in sets[set_name]()[: arguments.only or None]
                        if not arguments.named or any(part in problem.name for part in arguments.named)]
            if not problems:
                continue
            print(f"\n[{name}] {set_name} problems, {seeds} seeds\n")
            print("| problem | read from | max_lr (median) | spread | move (seeds <= 2x) | best fixed lr "
                  "| CLR - best fixed (mean +- 2 SE) | within noise |")
            print("|---|---|---|---|---|---|---|---|")
            wins = {"loss": 0, "val": 0}
            spreads, moves, notes = [], [], []
            for problem in problems:
                readings, best_lr = evaluate(side, problem, seeds)
                for reading in readings:
                    text, within, spread, worst = row(problem, reading, seeds, best_lr)
                    print(text, flush=True)
                    wins["loss" if reading.name == "loss" else "val"] += within
                    spreads.append(spread)
                    moves.append(worst)
                    notes.extend(f"{problem.name}, {reading.name}, {note}" for note in reading.notes)
            count = len(problems)
            print(f"\n[{name}] {set_name}: within noise of the best fixed lr on {wins['loss']} of {count} (loss) and "
                  f"{wins['val']} of {count} (validation); spread <= 2x on {sum(s <= 2 for s in spreads)} of "
                  f"{len(spreads)} readings (worst {max(spreads):.1f}x); worst seed's move <= 2x on "
                  f"{sum(m <= 2 for m in moves)} of {len(moves)} (worst {max(moves):.1f}x); "
                  f"{time.perf_counter() - started:.0f} s")
            for note in notes[:12]:
                print(f"  note: {note[:160]}")
            if len(notes) > 12:
                print(f"  ... and {len(notes) - 12} more notes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
