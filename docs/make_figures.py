"""Draw every figure of the documentation with the library itself: `python docs/make_figures.py [FOLDER]`.

The figures are never drawn by hand, so they cannot drift from the code. `make docs` runs this first.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

from clr_core import (
    WSD,
    CosineRestarts,
    CyclicSchedule,
    OneCycle,
    RangeSweep,
    RangeTest,
    momentum_for,
    warmup,
)
from clr_tools.plot import plot_range_test, plot_schedule

ITERATIONS = 12_000
STEP = 1_000


def figures() -> dict[str, tuple]:
    """File name -> (schedules, labels, title) for each schedule figure."""
    base = dict(base_lr=0.001, max_lr=0.006, step_size=STEP)
    one_cycle = OneCycle(max_lr=0.006, total_steps=ITERATIONS)
    return {
        "triangular.png": ([CyclicSchedule(**base)], ["triangular"], "'triangular': the full range every cycle"),
        "triangular2.png": ([CyclicSchedule(**base, mode="triangular2")], ["triangular2"],
                            "'triangular2': the amplitude halves each cycle"),
        "exp_range.png": ([CyclicSchedule(**base, mode="exp_range", gamma=0.99985)], ["exp_range, gamma=0.99985"],
                          "'exp_range': the amplitude decays by gamma each iteration"),
        "waveforms.png": ([CyclicSchedule(**base), CyclicSchedule(**base, waveform="cosine"),
                           CyclicSchedule(**base, step_size_down=3 * STEP)],
                          ["triangle", "cosine waveform", "step_size_down=3*step_size"], "Cycle shapes"),
        "one_cycle.png": ([one_cycle, OneCycle(max_lr=0.006, total_steps=ITERATIONS, three_phase=True,
                                               anneal_strategy="linear")],
                          ["two-phase, cos", "three-phase, linear"], "OneCycle (Smith 2018)"),
        "one_cycle_momentum.png": ([momentum_for(one_cycle)], ["momentum of two-phase, cos"],
                                   "The one-cycle momentum, mirrored"),
        "warmup.png": ([warmup(CyclicSchedule(**base, mode="triangular2"), steps=1_500)],
                       ["1500 warmup steps, then triangular2"], "warmup(...) in front of any schedule"),
        "cosine_restarts.png": ([CosineRestarts(0.006, period=1_000, period_mult=2, min_lr=0.001),
                                 CosineRestarts(0.006, period=2_000, min_lr=0.001, decay=0.7)],
                                ["period 1000, period_mult 2", "period 2000, decay 0.7"], "CosineRestarts (SGDR)"),
        "wsd.png": ([WSD(0.006, ITERATIONS, 1_000, 3_000), WSD(0.006, ITERATIONS, 1_000, 3_000, shape="linear"),
                     WSD(0.006, ITERATIONS, 1_000, 3_000).cooldown_from(5_000, 1_500)],
                    ["1-sqrt decay", "linear decay", "cooldown_from(5000, 1500)"], "WSD: warmup, stable, decay"),
    }


def noisy_training(start_lr: float, seed: int = 0) -> RangeTest:
    """A range test on a generated problem: SGD on a noisy quadratic, validation accuracy every 5 steps.

    The first six batches are far too high, as a fresh model's often are.
    """
    rng = random.Random(seed)
    weights, curvature = [3.0] * 8, 4.0
    test = RangeTest(RangeSweep(start_lr, 10.0, num_iter=200))

    def loss_now() -> float:
        return sum(0.5 * curvature * w * w for w in weights) / len(weights)

    def step(lr: float) -> float:
        loss = loss_now() * (1 + 0.1 * rng.gauss(0, 1)) * (6 if len(test.result().lrs) < 6 else 1)
        for k, w in enumerate(weights):
            weights[k] = w - lr * (curvature * w + rng.gauss(0, 0.5))
        return loss

    def accuracy() -> dict[str, float]:
        return {"val_accuracy": 0.1 + 0.85 * math.exp(-loss_now()) + 0.01 * rng.gauss(0, 1)}

    test.run(step, evaluate=accuracy, eval_every=5)
    return test


def range_test_figures(folder: Path) -> None:
    """The loss with its robust trend and bounds, and Smith's accuracy method, on the generated problem."""
    result = noisy_training(1e-6).result()
    plot_range_test(result, title="LR range test: noisy first batches, robust trend", path=folder / "range_test.png")
    plot_range_test(result, metric="val_accuracy", title="LR range test: bounds from validation accuracy",
                    path=folder / "range_test_accuracy.png")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (schedules, labels, title) in figures().items():
        plot_schedule(schedules, ITERATIONS, labels=labels, title=title, path=folder / name)
    range_test_figures(folder)
    print(f"wrote {len(figures()) + 2} figures to {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "figures")
