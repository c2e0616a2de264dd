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


def test_range_test_plot_marks_the_suggested_bounds_or_says_why_not(tmp_path):
    test = RangeTest(RangeSweep(1e-5, 1.0, num_iter=100), beta=0.0)
    while not test.done:
        test.record(2 - 1.5 * min(1.0, max(0.0, (math.log10(test.lr) + 4) / 3)))
    figure = plot_range_test(test.result(), path=tmp_path / "range.png")
    assert_png(tmp_path / "range.png")
    assert "suggested bounds" in figure.axes[0].get_legend().get_texts()[-1].get_text()
    flat = RangeTest(RangeSweep(1e-5, 1.0, num_iter=10))
    while not flat.done:
        flat.record(1.0)
    figure = plot_range_test(flat.result())
    assert "no bounds suggested: the smoothed loss never fell" in figure.axes[0].texts[0].get_text()


def test_range_test_plot_draws_a_metric_curve_and_its_bounds():
    test = RangeTest(RangeSweep(1e-5, 1.0, num_iter=100))
    lrs = []

    def step(lr):
        lrs.append(lr)
        return 1.0

    def accuracy():
        return {"val_accuracy": 0.1 + 0.8 * min(1.0, max(0.0, (math.log10(lrs[-1]) + 4) / 2))}

    figure = plot_range_test(test.run(step, evaluate=accuracy, eval_every=2), metric="val_accuracy")
    assert figure.axes[0].get_ylabel() == "val_accuracy"
    assert "suggested bounds 0.0001 .. 0.0" in figure.axes[0].get_legend().get_texts()[-1].get_text()
