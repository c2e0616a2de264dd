"""Shared by the benchmarks: side-by-side timing with alternating order, and one row format.

Each comparison times our code and its reference in the same process, round after round, alternating which
runs first, and reports medians and the median of the per-round ratios (robust to a machine whose load
drifts). Rows carry their target, so every script prints, and writes as JSON, whether it was met.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Row:
    """One comparison: ours against a reference, with the target ratio (ours / reference) we aim under."""

    name: str
    unit: str
    ours: float
    reference: float
    ratio: float
    target: float

    @property
    def met(self) -> bool:
        return self.ratio <= self.target

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "met": self.met}


def per_call_seconds(fn: Callable[[], object], number: int) -> float:
    """Seconds per call of `fn`, over one block of `number` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(name: str, ours: Callable[[], object], reference: Callable[[], object], *, target: float,
            number: int, rounds: int, unit: str = "us", scale: float = 1e6) -> Row:
    """Time `ours` and `reference` side by side for `rounds` rounds of `number` calls (after a warm-up)."""
    per_call_seconds(ours, max(1, number // 10))
    per_call_seconds(reference, max(1, number // 10))
    ours_times, reference_times, ratios = [], [], []
    for round_index in range(rounds):
        pair = (ours, reference) if round_index % 2 == 0 else (reference, ours)
        first, second = (per_call_seconds(fn, number) for fn in pair)
        ours_time, reference_time = (first, second) if round_index % 2 == 0 else (second, first)
        ours_times.append(ours_time)
        reference_times.append(reference_time)
        ratios.append(ours_time / reference_time)
    return Row(name, unit, statistics.median(ours_times) * scale, statistics.median(reference_times) * scale,
               statistics.median(ratios), target)


def print_rows(title: str, rows: list[Row]) -> None:
    """A fixed-width table with a verdict per row."""
    print(f"\n{title}")
    print(f"{'comparison':58} {'ours':>11} {'reference':>11} {'ratio':>7} {'target':>8}  verdict")
    for row in rows:
        verdict = "met" if row.met else "MISSED"
        print(f"{row.name:58} {row.ours:9.3f}{row.unit:>2} {row.reference:9.3f}{row.unit:>2} {row.ratio:7.3f} "
              f"{'<= ' + format(row.target, 'g'):>8}  {verdict}")


def write_json(path: str | None, suite: str, rows: list[Row], extra: dict[str, object] | None = None) -> None:
    """``{"suite": ..., "rows": [...], ...extra}`` to `path` (skipped when `path` is None)."""
    if path is None:
        return
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"suite": suite, "rows": [row.as_dict() for row in rows], **(extra or {})}, file, indent=2)
