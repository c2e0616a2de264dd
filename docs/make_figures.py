"""Draw every figure of the documentation with the library itself: `python docs/make_figures.py [FOLDER]`.

The figures are never drawn by hand, so they cannot drift from the code. `make docs` runs this first.
"""

from __future__ import annotations

import sys
from pathlib import Path

from clr_core import (
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
    }


def range_test_figure(folder: Path) -> None:
    """A range test on a made-up loss curve: flat, falling between 1e-4 and 1e-1, then blowing up."""
    import math

    test = RangeTest(RangeSweep(1e-6, 10.0, num_iter=300), beta=0.9)
    while not test.done:
        x = math.log10(test.lr)
        loss = 2.0 if x < -4 else 2.0 - 1.5 * (x + 4) / 3 if x < -1 else 0.5 + 10 * (x + 1) ** 2
        test.record(loss + 0.05 * math.sin(37 * x))
    plot_range_test(test.result(), title="LR range test (illustration)", path=folder / "range_test.png")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (schedules, labels, title) in figures().items():
        plot_schedule(schedules, ITERATIONS, labels=labels, title=title, path=folder / name)
    range_test_figure(folder)
    print(f"wrote {len(figures()) + 1} figures to {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "figures")
