"""Figures drawn by the library itself, so the README's pictures can never drift from the code.

Every function returns a `matplotlib.figure.Figure` (built without pyplot, so no display is needed) and,
given `path`, also saves it as PNG. matplotlib is an optional extra: without it these functions raise an
`ImportError` that says how to install it. Files are written to a temporary name and moved into place.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from clr_core import RangeTestResult, RangeTestWarning, Schedule
from clr_core.extend import atomic_path, checks

PathLike = str | os.PathLike[str]


def _new_figure(width: float = 7.0, height: float = 4.0) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - exercised only where matplotlib is missing
        raise ImportError('plotting needs matplotlib: pip install "clr-cyclical[plot]"') from error
    return Figure(figsize=(width, height), layout="constrained")


def _finish(figure: Any, path: PathLike | None) -> Any:
    if path is not None:
        save_png(figure, path)
    return figure


def save_png(figure: Any, path: PathLike) -> None:
    """Save `figure` as PNG to `path` atomically: a failed write (a full disk) leaves the old file whole."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def plot_schedule(schedules: Schedule | Sequence[Schedule], iterations: int, *,
                  labels: Sequence[str] | None = None, title: str = "Learning rate schedule",
                  path: PathLike | None = None) -> Any:
    """The lr of one or more schedules over ``range(iterations)``, overlaid.

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> figure = plot_schedule(CyclicSchedule(step_size=100, mode="triangular2"), 1000)
        >>> figure.axes[0].get_ylabel()
        'learning rate'
    """
    import numpy as np

    items = [schedules] if not isinstance(schedules, Sequence) else list(schedules)
    if labels is not None and len(labels) != len(items):
        raise ValueError(f"labels must have one entry per schedule ({len(items)}), got {len(labels)}")
    checks.count("iterations", iterations, low=1)
    steps = np.arange(iterations)
    curves = [schedule.lr_at(steps) for schedule in items]  # a schedule that fails does so before any drawing
    figure = _new_figure()
    axes = figure.add_subplot()
    for k, (schedule, lrs) in enumerate(zip(items, curves)):
        label = labels[k] if labels is not None else _label_of(schedule)
        axes.plot(steps, lrs, label=label, linewidth=1.5)
    axes.set(xlabel="iteration (optimizer steps)", ylabel="learning rate", title=title)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper right")
    return _finish(figure, path)


def _label_of(schedule: Schedule) -> str:
    mode = getattr(schedule, "mode", None)
    return str(mode) if mode is not None and getattr(schedule, "scale_fn", None) is None else type(schedule).__name__


def plot_history(history: Mapping[str, Sequence[float]], *, metric: str = "loss", title: str = "Training history",
                 path: PathLike | None = None) -> Any:
    """``history['lr']`` and ``history[metric]`` (when recorded) against ``history['iterations']``."""
    if "lr" not in history or "iterations" not in history:
        raise ValueError("history must hold 'lr' and 'iterations' (a clr History after at least one step)")
    figure = _new_figure()
    axes = figure.add_subplot()
    axes.plot(history["iterations"], history["lr"], color="tab:blue", label="lr")
    axes.set(xlabel="iteration (optimizer steps)", ylabel="learning rate", title=title)
    axes.grid(alpha=0.3)
    if metric in history:
        right = axes.twinx()
        at = history.at(metric) if hasattr(history, "at") else history["iterations"][: len(history[metric])]
        right.plot(at, history[metric], color="tab:orange", alpha=0.8, label=metric)
        right.set_ylabel(metric)
    return _finish(figure, path)


def plot_range_test(result: RangeTestResult, *, metric: str | None = None, title: str = "LR range test",
                    path: PathLike | None = None) -> Any:
    """A range test's curve against lr on a log axis, raw and as the robust trend, with the bounds shaded.

    The trend is what the suggestions read; `metric` draws that curve of ``result.metrics`` and its bounds
    (Smith's accuracy method) instead of the loss. The y-axis shows the whole fall to scale: from zero (or
    the curve's lowest value, when lower) to the curve's top, so a fall of 2% looks like 2%; for a loss,
    the blow-up past the bounds is cut off. A darker band around each bound is its uncertainty
    (`RangeTestResult.bounds_uncertainty`).

    When no bounds can be suggested the figure says why instead.
    """
    figure = _new_figure()
    axes = figure.add_subplot()
    name = "loss" if metric is None else metric
    if metric is None:
        raw_lrs, raw = result.lrs, result.losses
    else:
        raw_lrs, raw = [result.lrs[step] for step in result.metric_steps], result.metrics.get(metric, [])
    axes.plot(raw_lrs, raw, color="tab:gray", alpha=0.4, label=name)
    axes.set_xscale("log")
    axes.set(xlabel="learning rate (log scale)", ylabel=name, title=title)
    axes.grid(alpha=0.3, which="both")
    try:
        trend_lrs, trend = result.trend(metric)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RangeTestWarning)
            base_lr, max_lr = result.suggest_bounds(metric=metric)
        bands = result.bounds_uncertainty(metric=metric)
    except ValueError as reason:
        axes.text(0.02, 0.02, f"no bounds suggested: {reason}", transform=axes.transAxes, fontsize=8, wrap=True)
        finite = [value for value in raw if math.isfinite(value)]
        if finite:  # a loss: up to its highest value before its lowest (where a fall would start), not a blow-up
            lowest = finite.index(min(finite))
            _to_scale(axes, min(finite), max(finite[:lowest + 1]) if name.endswith("loss") else max(finite))
    else:
        axes.plot(trend_lrs, trend, color="tab:blue", label=f"robust trend of the {name}")
        # a loss: its fall in full, not the blow-up after the bounds; any other curve: all of it
        top = max(value for lr, value in zip(trend_lrs, trend) if lr <= max_lr) if name.endswith("loss") else max(trend)
        _to_scale(axes, min(trend), top)
        axes.axvspan(base_lr, max_lr, color="tab:green", alpha=0.15,
                     label=f"suggested bounds {base_lr:.2g} .. {max_lr:.2g}")
        for (low, high), label in zip(bands, (None, "uncertainty of each bound (trend noise)")):
            axes.axvspan(low, high, color="tab:green", alpha=0.35, label=label)
        for lr in (base_lr, max_lr):
            axes.axvline(lr, color="tab:green", linestyle="--", linewidth=1)
        for warning in caught:
            axes.text(0.02, 0.02, str(warning.message), transform=axes.transAxes, fontsize=8, wrap=True)
    axes.legend(loc="best")
    return _finish(figure, path)


def _to_scale(axes: Any, low: float, high: float) -> None:
    """Y limits from zero (or `low`, when below zero) to `high`, with a small margin: a fall is seen to scale."""
    bottom = min(0.0, low)
    margin = 0.05 * (high - bottom) if high > bottom else 1.0
    axes.set_ylim(bottom - (margin if bottom < 0 else 0.0), high + margin)
