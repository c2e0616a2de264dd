"""Plots are real PNGs drawn from the library's own numbers."""

import math

import numpy as np
import pytest

from clr_core import CyclicSchedule, RangeSweep, RangeTest, ScheduleState
from tests.tools.conftest import assert_png

pytest.importorskip("matplotlib")
from clr_tools import plot_history, plot_range_test, plot_schedule


def test_schedule_preview_overlays_several_schedules(tmp_path):
    schedules = [CyclicSchedule(step_size=100, mode=mode) for mode in ("triangular", "triangular2")]
    figure = plot_schedule(schedules, 1000, path=tmp_path / "lr.png")
    assert_png(tmp_path / "lr.png")
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["triangular", "triangular2"]
    assert np.array_equal(lines[1].get_ydata(), schedules[1].lr_at(np.arange(1000)))


def test_schedule_preview_refuses_bad_arguments():
    with pytest.raises(ValueError, match="iterations must be an int >= 1, got 0"):
        plot_schedule(CyclicSchedule(), 0)
    with pytest.raises(ValueError, match="labels must have one entry per schedule"):
        plot_schedule([CyclicSchedule()], 10, labels=["a", "b"])


def test_history_plot_shows_lr_and_loss(tmp_path):
    state = ScheduleState(CyclicSchedule(step_size=10))
    for k in range(50):
        state.step(loss=1 / (k + 1))
    figure = plot_history(state.history, path=tmp_path / "history.png")
    assert_png(tmp_path / "history.png")
    assert list(figure.axes[1].get_lines()[0].get_ydata()) == state.history["loss"]


def legend_texts(axes):
    return [text.get_text() for text in axes.get_legend().get_texts()]


def test_range_test_plot_marks_the_suggested_bounds_or_says_why_not(tmp_path):
    test = RangeTest(RangeSweep(1e-5, 1.0, num_iter=100), beta=0.0)
    while not test.done:
        test.record(2 - 1.5 * min(1.0, max(0.0, (math.log10(test.lr) + 4) / 3)))
    figure = plot_range_test(test.result(), path=tmp_path / "range.png")
    assert_png(tmp_path / "range.png")
    assert any(text.startswith("suggested bounds") for text in legend_texts(figure.axes[0]))
    flat = RangeTest(RangeSweep(1e-5, 1.0, num_iter=10))
    while not flat.done:
        flat.record(1.0)
    figure = plot_range_test(flat.result())
    assert "no bounds suggested: the smoothed loss fell only 0.0%" in figure.axes[0].texts[0].get_text()


def valley(lr: float, depth: float) -> float:
    """Flat at 2, falling by `depth` between lr 1e-4 and 1e-1, then blowing up to 2 + 30 at lr 1."""
    x = math.log10(lr)
    return 2.0 - depth * min(1.0, max(0.0, (x + 4) / 3)) + (30 * (x + 1) ** 2 if x > -1 else 0.0)


def test_range_test_plot_shows_the_whole_fall_to_scale_and_the_uncertainty_of_the_bounds():
    rng = np.random.default_rng(0)
    for depth, noise in ((0.04, 0.0), (1.5, 0.02)):  # a 2% dip (no learning) and a real, noisy fall to 0.5
        test = RangeTest(RangeSweep(1e-6, 1.0, num_iter=200), beta=0.0, diverge_factor=1e9)
        while not test.done:
            test.record(valley(test.lr, depth) * (1 + noise * rng.standard_normal()))
        axes = plot_range_test(test.result()).axes[0]
        low, high = axes.get_ylim()
        assert low == 0.0 and 2.0 < high < 2.25  # from zero to the start level 2, not to the blow-up at 32
        told = [text.get_text() for text in axes.texts if text.get_text().startswith("no bounds suggested")]
        assert bool(told) == (depth < 0.1)  # the 2% dip is told as no learning, and looks like 2%
    assert "uncertainty of each bound (trend noise)" in legend_texts(axes)
    (base_low, base_high), (max_low, max_high) = test.result().bounds_uncertainty()
    assert base_low < base_high and max_low < max_high
    edges = [edge for patch in axes.patches for edge in (patch.get_x(), patch.get_x() + patch.get_width())]
    for lr in (base_low, base_high, max_low, max_high):  # each band drawn where bounds_uncertainty puts it
        assert any(edge == pytest.approx(lr) for edge in edges)


def test_range_test_plot_draws_a_metric_curve_and_its_bounds():
    test = RangeTest(RangeSweep(1e-5, 1.0, num_iter=100))
    lrs = []

    def step(lr):
        lrs.append(lr)
        return 2.0 - min(1.0, max(0.0, (math.log10(lr) + 4) / 2))  # the training loss must show learning

    def accuracy():
        return {"val_accuracy": 0.1 + 0.8 * min(1.0, max(0.0, (math.log10(lrs[-1]) + 4) / 2))}

    figure = plot_range_test(test.run(step, evaluate=accuracy, eval_every=2), metric="val_accuracy")
    assert figure.axes[0].get_ylabel() == "val_accuracy"
    assert any(text.startswith("suggested bounds") for text in legend_texts(figure.axes[0]))
    assert figure.axes[0].get_ylim()[0] == 0.0  # an accuracy from zero: its rise to scale
