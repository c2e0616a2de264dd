"""The demo's report: a table (printed and saved as Markdown), results.json and PNG figures.

Each file is written to a temporary name and moved into place, so a failed run never leaves half a file.
"""

from __future__ import annotations

import json
import os
from typing import Any

from clr_core.extend import atomic_write_text
from clr_tools.plot import plot_range_test, save_figure

from .experiment import Outcome, Run, summarise


def table_rows(outcome: Outcome) -> list[dict[str, Any]]:
    """One summary per policy: the best fixed lr first, then the cyclical ones."""
    return [summarise(runs, outcome.target) for runs in (outcome.best_fixed, *outcome.cyclic.values())]


def format_table(outcome: Outcome) -> str:
    """The comparison as a Markdown table, with the claim it tests spelled out above it."""
    base_lr, max_lr = outcome.bounds
    lines = [
        f"Framework: {outcome.framework}. Range test bounds: base_lr {base_lr:.3g}, max_lr {max_lr:.3g}. "
        f"{outcome.iterations} iterations per run.",
        f"Target: the best fixed-lr run's best validation accuracy, {outcome.target:.4f} (mean over seeds).",
        "",
        "| policy | final val. accuracy (mean ± std) | iterations to target (mean) | seeds reaching it |",
        "| --- | --- | --- | --- |",
    ]
    for row in table_rows(outcome):
        reached = row["iterations_to_target_mean"]
        lines.append(f"| {row['policy']} | {row['final_accuracy_mean']:.4f} ± {row['final_accuracy_std']:.4f} | "
                     f"{'never' if reached is None else f'{reached:.0f}'} | {row['reached']}/{row['seeds']} |")
    return "\n".join(lines)


def _mean_curve(runs: list[Run]) -> tuple[list[int], list[float]]:
    iterations = [iteration for iteration, _ in runs[0].curve]
    accuracy = [sum(run.curve[k][1] for run in runs) / len(runs) for k in range(len(iterations))]
    return iterations, accuracy


def save_figures(outcome: Outcome, folder: str) -> list[str]:
    """range_test.png, lr_curves.png and accuracy.png in `folder`; returns their paths."""
    from matplotlib.figure import Figure

    paths = [os.path.join(folder, name) for name in ("range_test.png", "lr_curves.png", "accuracy.png")]
    plot_range_test(outcome.range_test, title=f"LR range test ({outcome.framework})", path=paths[0])
    groups = {"fixed": outcome.best_fixed, **outcome.cyclic}
    lr_figure = Figure(figsize=(7, 4), layout="constrained")
    axes = lr_figure.add_subplot()
    for runs in groups.values():
        axes.plot(range(1, len(runs[0].lrs) + 1), runs[0].lrs, label=runs[0].policy.name)
    axes.set(xlabel="iteration", ylabel="learning rate", title="Learning rate per step")
    axes.legend()
    save_figure(lr_figure, paths[1])
    accuracy_figure = Figure(figsize=(7, 4), layout="constrained")
    axes = accuracy_figure.add_subplot()
    for runs in groups.values():
        axes.plot(*_mean_curve(runs), label=runs[0].policy.name)
    axes.axhline(outcome.target, color="gray", linestyle="--", linewidth=1, label="target")
    axes.set(xlabel="iteration", ylabel="validation accuracy (mean over seeds)", title="Validation accuracy")
    axes.set_ylim(max(0.0, outcome.target - 0.15), 1.0)
    axes.legend(loc="lower right")
    save_figure(accuracy_figure, paths[2])
    return paths


def save_report(outcome: Outcome, folder: str) -> list[str]:
    """Write table.md, results.json and the figures; return the written paths."""
    os.makedirs(folder, exist_ok=True)
    table_path, json_path = os.path.join(folder, "table.md"), os.path.join(folder, "results.json")
    atomic_write_text(table_path, format_table(outcome) + "\n")
    results = {
        "framework": outcome.framework,
        "bounds": list(outcome.bounds),
        "target": outcome.target,
        "iterations": outcome.iterations,
        "summary": table_rows(outcome),
        "fixed_grid": {f"{lr:.6g}": [run.final_accuracy for run in runs] for lr, runs in outcome.fixed_grid.items()},
    }
    atomic_write_text(json_path, json.dumps(results, indent=2))
    return [table_path, json_path, *save_figures(outcome, folder)]
