"""clr_core's speed against plain numpy: scalar `lr_at`, and `lr_at` over ten million iterations.

Run: ``python benchmarks/bench_core.py [--json results.json]``. A script, not a test.

- Scalar: `CyclicSchedule.lr_at(i)` against the classic callback's formula (``np.floor``, ``np.abs``,
  ``np.maximum`` on a scalar). Target: ours <= 1/2 (the plain formula through the ops namespace; no code is
  generated for speed, and a training step of >= 100 us makes a microsecond noise).
- Vectorised: `lr_at(array of 10M iterations)` against a hand-tuned, in-place numpy evaluation of the same
  formula, for `triangular2`. Targets: time <= 1.2x; peak memory (tracemalloc, which sees numpy's buffers)
  reported side by side; and no overflow warning from either.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from harness import Row, compare, print_rows, write_json

from clr_core import CyclicSchedule

BASE, TOP, STEP = 0.001, 0.006, 2000.0
SIZE = 10_000_000


def classic_scalar(i: float) -> float:
    """The classic Keras callback's triangular formula, numpy on scalars."""
    cycle = np.floor(1 + i / (2 * STEP))
    x = np.abs(i / STEP - 2 * cycle + 1)
    return BASE + (TOP - BASE) * np.maximum(0, (1 - x))


def hand_tuned_triangular2(i: np.ndarray) -> np.ndarray:
    """The formula with preallocated buffers and in-place numpy operations only."""
    cycle, x = np.empty_like(i), np.empty_like(i)
    np.divide(i, 2 * STEP, out=cycle)
    cycle += 1
    np.floor(cycle, out=cycle)
    np.divide(i, STEP, out=x)
    x -= 2 * cycle
    x += 1
    np.abs(x, out=x)
    np.subtract(1, x, out=x)
    np.maximum(x, 0, out=x)
    np.subtract(1, cycle, out=cycle)
    np.exp2(cycle, out=cycle)  # 1 / 2**(cycle - 1), with numpy's fastest exact power of two
    x *= cycle
    x *= TOP - BASE
    x += BASE
    return x


def peak_bytes(fn) -> tuple[int, int]:
    """(peak traced bytes while running `fn`, overflow warnings raised)."""
    tracemalloc.start()
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn"):
        warnings.simplefilter("always")
        fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, sum("overflow" in str(w.message) for w in caught)


def run(rounds: int) -> tuple[list[Row], dict[str, object]]:
    schedule = CyclicSchedule(BASE, TOP, STEP)
    rows = [compare("scalar lr_at vs classic numpy-on-scalars formula", lambda: schedule.lr_at(123_457),
                    lambda: classic_scalar(123_457), target=0.5, number=20_000, rounds=rounds)]
    decaying = CyclicSchedule(BASE, TOP, STEP, mode="triangular2")
    iterations = np.arange(SIZE, dtype=np.float64)
    assert np.allclose(decaying.lr_at(iterations[:100_000]), hand_tuned_triangular2(iterations[:100_000]),
                       rtol=1e-12, atol=0.0)
    rows.append(compare("vectorised lr_at, 10M iterations, triangular2 (time)", lambda: decaying.lr_at(iterations),
                        lambda: hand_tuned_triangular2(iterations), target=1.2, number=1, rounds=max(5, rounds // 2),
                        unit="s", scale=1.0))
    ours_peak, ours_warnings = peak_bytes(lambda: decaying.lr_at(iterations))
    reference_peak, reference_warnings = peak_bytes(lambda: hand_tuned_triangular2(iterations))
    rows.append(Row("vectorised lr_at, 10M iterations, triangular2 (peak MB)", "MB", ours_peak / 1e6,
                    reference_peak / 1e6, ours_peak / reference_peak, 1.0))
    extra = {"overflow_warnings": {"ours": ours_warnings, "reference": reference_warnings}}
    return rows, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    started = time.perf_counter()
    rows, extra = run(arguments.rounds)
    print_rows("clr_core against numpy", rows)
    print(f"overflow warnings over 10M triangular2 iterations: ours {extra['overflow_warnings']['ours']}, "
          f"reference {extra['overflow_warnings']['reference']}")
    print(f"({time.perf_counter() - started:.1f} s)")
    write_json(arguments.json, "core", rows, extra)


if __name__ == "__main__":
    main()
