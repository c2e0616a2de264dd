"""Figures drawn by the library itself, so the README's pictures can never drift from the code.

Every function returns a `matplotlib.figure.Figure` (built without pyplot, so no display is needed) and,
given `path`, also saves it: PNG, SVG or PDF after the file's suffix (`figure_format`). matplotlib is an
optional extra: without it these functions raise an `ImportError` that says how to install it. Files are
written to a temporary name and moved into place; a target that is not a regular file (a device, a pipe) is
written through. `clr plot` and `docs/make_figures.py` draw with these same functions.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from clr_core import (
    WSD,
    Anneal,
    CosineRestarts,
    CyclicSchedule,
    Join,
    Mirrored,
    OneCycle,
    RangeTestResult,
    RangeTestWarning,
    Schedule,
)
from clr_core.extend import atomic_path, checks

PathLike = str | os.PathLike[str]

#: The formats a figure is saved in, each by its suffix.
FORMATS = ("png", "svg", "pdf")
#: Cycle ends are marked one by one up to this many; past it the legend only counts them.
MAX_MARKED_ENDS = 200


def figure_format(path: PathLike, format: str | None = None) -> str:
    """The format `path` is saved in: `format` when given, else its suffix (PNG without one).

    A target that exists and is not a regular file (``/dev/stdout``, a FIFO) gets PNG whatever its name.
    Checked before any drawing, so that a wrong name fails before the work.

    Examples:
        >>> figure_format("lr.svg"), figure_format("lr"), figure_format("lr.jpg", "pdf")
        ('svg', 'png', 'pdf')
    """
    if format is not None:
        return checks.choice("format", format, FORMATS)
    target = os.fspath(path)
    if not target:
        raise ValueError("output must be a file name, got ''")
    if os.path.exists(target) and not os.path.isfile(target) and not os.path.isdir(target):
        return "png"
    suffix = os.path.splitext(target)[1]
    if not suffix:
        return "png"
    if suffix[1:].lower() not in FORMATS:
        raise ValueError(f"cannot tell the format of {target!r}: its suffix {suffix!r} is not one of .png, .svg, "
                         f".pdf; name one of them, or give the format (--format, format=)")
    return suffix[1:].lower()


def save_figure(figure: Any, path: PathLike, *, format: str | None = None) -> None:
    """Save `figure` to `path` in `format` (default: after the suffix, see `figure_format`), atomically.

    A failed write (a full disk) leaves the old file whole.
    """
    chosen = figure_format(path, format)
    drawn = io.BytesIO()  # drawn whole first: a pipe cannot seek, as the PNG writer wants
    figure.savefig(drawn, format=chosen, dpi=100)
    with atomic_path(path) as temporary, open(temporary, "wb") as file:
        file.write(drawn.getbuffer())


def _new_figure(width: float = 7.0, height: float = 4.0) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - exercised only where matplotlib is missing
        raise ImportError('plotting needs matplotlib: pip install "clr-cyclical[plot]"') from error
    return Figure(figsize=(width, height), layout="constrained")


def _finish(figure: Any, path: PathLike | None) -> Any:
    if path is not None:
        save_figure(figure, path)
    return figure


def _legend_below(figure: Any, axes: Any) -> None:
    """The legend under the plot, outside every axes, so that it covers no curve."""
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncols=min(3, len(handles)), fontsize=9)


def plot_schedule(schedules: Schedule | Sequence[Schedule], iterations: int, *,
                  labels: Sequence[str] | None = None, title: str | None = None,
                  steps_per_epoch: int | None = None, path: PathLike | None = None) -> Any:
    """The lr of one or more schedules over ``range(iterations)``, overlaid.

    Args:
        schedules: any `clr_core` schedule (cyclic, one-cycle, restarts, warmup, joins, momentum), or several.
        iterations: how many iterations to draw, from 0.
        labels: one legend entry per schedule; None names each by its kind (and mode).
        title: None names the schedule and the range of its values.
        steps_per_epoch: adds an epoch axis on top and marks where each cycle ends.
        path: also save the figure there (PNG, SVG or PDF after the suffix).

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> figure = plot_schedule(CyclicSchedule(step_size=100, mode="triangular2"), 1000)
        >>> figure.axes[0].get_title()
        "CyclicSchedule 'triangular2': 0.001 to 0.006"
    """
    import numpy as np

    items = [schedules] if not isinstance(schedules, Sequence) else list(schedules)
    if labels is not None and len(labels) != len(items):
        raise ValueError(f"labels must have one entry per schedule ({len(items)}), got {len(labels)}")
    checks.count("iterations", iterations, low=1)
    if steps_per_epoch is not None:
        checks.count("steps_per_epoch", steps_per_epoch, low=1)
    steps = np.arange(iterations)
    curves = [schedule.lr_at(steps) for schedule in items]  # a schedule that fails does so before any drawing
    figure = _new_figure()
    axes = figure.add_subplot()
    for k, (schedule, lrs) in enumerate(zip(items, curves)):
        label = labels[k] if labels is not None else _label_of(schedule)
        axes.plot(steps, lrs, label=label, linewidth=1.5)
    if title is None:
        title = " vs ".join(_title_of(schedule, lrs) for schedule, lrs in zip(items, curves))
    axes.set(xlabel="iteration (optimizer steps)", ylabel="learning rate", title=title)
    axes.grid(alpha=0.3)
    if steps_per_epoch is not None:
        _epoch_axis(axes, steps_per_epoch)
        cycles_only = all(getattr(schedule, "kind", None) in ("cyclic", "cosine_restarts") for schedule in items)
        _mark_cycle_ends(axes, sorted({end for schedule in items for end in cycle_ends(schedule, iterations)}),
                         steps_per_epoch, "cycle ends" if cycles_only else "cycle and phase ends")
    _legend_below(figure, axes)
    return _finish(figure, path)


def _label_of(schedule: Schedule) -> str:
    mode = getattr(schedule, "mode", None)
    return str(mode) if mode is not None and getattr(schedule, "scale_fn", None) is None else type(schedule).__name__


def _title_of(schedule: Schedule, lrs: Any) -> str:
    """The schedule's kind (and mode, or the kinds it joins) and its bounds (else the range of the values drawn)."""
    try:
        low, high = schedule.lr_range()  # type: ignore[attr-defined]  # optional in the protocol: caught below
    except (AttributeError, TypeError):  # a kind (or a piece of a join) that does not tell its range
        low, high = lrs.min(), lrs.max()
    return f"{_name_of(schedule)}: {float(low):.3g} to {float(high):.3g}"


def _name_of(schedule: Schedule) -> str:
    name = type(schedule).__name__
    if isinstance(schedule, CyclicSchedule):
        scale_fn = schedule.scale_fn
        return f"{name} {schedule.mode!r}" if scale_fn is None else f"{name} {getattr(scale_fn, '__name__', '')}"
    if isinstance(schedule, Join):
        return " then ".join(_name_of(piece) for piece in schedule.schedules)
    if isinstance(schedule, Mirrored):
        return f"momentum of {_name_of(schedule.schedule)}"
    return name


def _epoch_axis(axes: Any, steps_per_epoch: int) -> None:
    top = axes.secondary_xaxis("top", functions=(lambda i: i / steps_per_epoch, lambda e: e * steps_per_epoch))
    top.set_xlabel(f"epoch ({steps_per_epoch} steps each)")


def _mark_cycle_ends(axes: Any, ends: Sequence[float], steps_per_epoch: int, what: str) -> None:
    if not ends:
        return
    epochs = [end / steps_per_epoch for end in ends]
    shown = ", ".join(f"{epoch:g}" for epoch in epochs[:4]) + (", ..." if len(epochs) > 4 else "")
    label = f"{what} (epoch {shown})"
    if len(ends) > MAX_MARKED_ENDS:
        axes.plot([], [], color="tab:gray", linestyle=":", label=f"{len(ends)} {what}, too many to mark")
        return
    for k, end in enumerate(ends):
        axes.axvline(end, color="tab:gray", linestyle=":", linewidth=1, label=label if k == 0 else None)


def cycle_ends(schedule: Schedule, iterations: float) -> list[float]:
    """The iterations in ``(0, iterations]`` at which a cycle (or a phase of a join) of `schedule` ends.

    A cyclic schedule ends a cycle every ``step_size + step_size_down``; cosine restarts at each restart; a
    one-cycle or an anneal once; a WSD at the end of each phase; a join at each boundary, and where its pieces
    end. Other kinds: none.

    Examples:
        >>> from clr_core import CyclicSchedule
        >>> cycle_ends(CyclicSchedule(step_size=100), 450)
        [200.0, 400.0]
    """
    ends: list[float] = []
    if isinstance(schedule, CyclicSchedule):
        period = schedule.step_size + (schedule.step_size_down or schedule.step_size)
        ends = [period * k for k in range(1, int(iterations // period) + 1)]
    elif isinstance(schedule, CosineRestarts):
        length, end, k = float(schedule.period), 0.0, 0
        limit = schedule.cycles if schedule.cycles is not None else math.inf
        while k < limit and end + length <= iterations and length > 0:
            end, k = end + length, k + 1
            ends.append(end)
            length *= schedule.period_mult
    elif isinstance(schedule, OneCycle):
        ends = [float(schedule.total_steps)]
    elif isinstance(schedule, WSD):  # the warmup, the stable phase and the decay each end
        ends = [float(schedule.warmup_steps), float(schedule.total_steps - schedule.decay_steps),
                float(schedule.total_steps)]
    elif isinstance(schedule, Anneal):
        ends = [float(schedule.steps)]
    elif isinstance(schedule, Mirrored):
        ends = cycle_ends(schedule.schedule, iterations)
    elif isinstance(schedule, Join):
        starts = [0.0, *map(float, schedule.boundaries)]
        stops = [*starts[1:], schedule.length if schedule.length is not None else math.inf]
        for piece, start, stop in zip(schedule.schedules, starts, stops):
            ends += [start + end for end in cycle_ends(piece, min(stop, iterations) - start)]
            if stop <= iterations:
                ends.append(float(stop))
    return sorted({end for end in ends if 0 < end <= iterations})


def plot_history(history: Mapping[str, Sequence[float]], *, metrics: Sequence[str] | None = None,
                 title: str = "Training history", steps_per_epoch: int | None = None,
                 path: PathLike | None = None) -> Any:
    """``history['lr']`` on top and each metric in a panel below, all against the iteration.

    Args:
        history: a clr `History` (or a dict of lists with 'lr' and 'iterations').
        metrics: the metrics to draw; None draws every one recorded.
        title: the figure's title.
        steps_per_epoch: adds an epoch axis on top.
        path: also save the figure there (PNG, SVG or PDF after the suffix).
    """
    if "lr" not in history or "iterations" not in history:
        raise ValueError("history must hold 'lr' and 'iterations' (a clr History after at least one step)")
    if steps_per_epoch is not None:
        checks.count("steps_per_epoch", steps_per_epoch, low=1)
    recorded = [key for key in history if key not in ("lr", "iterations")]
    names = recorded if metrics is None else list(metrics)
    missing = [name for name in names if name not in recorded]
    if missing:
        raise ValueError(f"history holds no metric {missing[0]!r} (its metrics: {', '.join(map(repr, recorded))})")
    figure = _new_figure(height=2.5 + 1.5 * len(names))
    panels = figure.subplots(1 + len(names), 1, sharex=True, squeeze=False)[:, 0]
    panels[0].plot(_at(history, "lr"), history["lr"], color="tab:blue")
    panels[0].set(ylabel="learning rate", title=title)
    for axes, name in zip(panels[1:], names):
        axes.plot(_at(history, name), history[name], color="tab:orange")
        axes.set_ylabel(name)
    for axes in panels:
        axes.grid(alpha=0.3)
    panels[-1].set_xlabel("iteration (optimizer steps)")
    if steps_per_epoch is not None:
        _epoch_axis(panels[0], steps_per_epoch)
    return _finish(figure, path)


def _at(history: Mapping[str, Sequence[float]], key: str) -> Sequence[float]:
    """The iterations at which `key` was recorded."""
    if hasattr(history, "at"):
        at: Sequence[float] = history.at(key)
        return at
    return history["iterations"][: len(history[key])]


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
