"""Plots are real PNGs drawn from the library's own numbers."""

import math

import numpy as np
import pytest

from clr_core import CyclicSchedule, RangeSweep, RangeTest, ScheduleState
from tests.errors import raised
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


def overlaps(first, second):
    return not (first.x1 <= second.x0 or second.x1 <= first.x0 or first.y1 <= second.y0 or second.y1 <= first.y0)


def test_the_legend_covers_no_curve():
    from clr_core import OneCycle

    schedules = [CyclicSchedule(step_size=100, mode=mode) for mode in ("triangular", "triangular2", "exp_range")]
    for figure in (plot_schedule(schedules, 1000, steps_per_epoch=50),
                   plot_schedule(OneCycle(0.1, total_steps=1000), 1000)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        (legend,) = figure.legends
        assert not overlaps(legend.get_window_extent(renderer), figure.axes[0].get_window_extent(renderer))


def test_the_epoch_axis_and_the_cycle_ends():
    from clr_core import warmup

    schedule = warmup(CyclicSchedule(step_size=100, step_size_down=300), steps=50)
    figure = plot_schedule(schedule, 1000, steps_per_epoch=50)
    (epochs,) = figure.axes[0].child_axes
    assert epochs.get_xlabel() == "epoch (50 steps each)"
    marked = [line for line in figure.axes[0].get_lines() if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in marked] == [50, 450, 850]  # the warmup, then every 400 steps
    assert marked[0].get_label() == "cycle and phase ends (epoch 1, 9, 17)"
    many = plot_schedule(CyclicSchedule(step_size=1), 1000, steps_per_epoch=10).axes[0].get_lines()
    assert [line.get_label() for line in many] == ["triangular", "500 cycle ends, too many to mark"]
    assert figure.axes[0].get_title() == "Anneal then CyclicSchedule 'triangular': 0 to 0.006"


def test_cycle_ends_of_each_kind():
    from clr_core import WSD, Anneal, CosineRestarts, Join, OneCycle, momentum_for
    from clr_tools.plot import cycle_ends

    assert cycle_ends(CyclicSchedule(step_size=10, step_size_down=5), 50) == [15, 30, 45]
    assert cycle_ends(CosineRestarts(0.1, period=10, period_mult=2), 100) == [10, 30, 70]
    assert cycle_ends(CosineRestarts(0.1, period=10, cycles=2), 100) == [10, 20]
    assert cycle_ends(OneCycle(0.1, total_steps=80), 100) == [80]
    assert cycle_ends(OneCycle(0.1, total_steps=80), 50) == []
    assert cycle_ends(momentum_for(CyclicSchedule(step_size=10)), 45) == [20, 40]
    join = Join([Anneal(0.0, 1.0, 5), CyclicSchedule(step_size=10)], boundaries=[5], length=60)
    assert cycle_ends(join, 100) == [5, 25, 45, 60]
    assert cycle_ends(Anneal(0.0, 1.0, 7), 10) == [7]
    assert cycle_ends(WSD(0.1, total_steps=100, warmup_steps=10, decay_steps=20), 100) == [10, 80, 100]


def test_a_figure_is_saved_in_the_format_of_its_suffix(tmp_path):
    from clr_tools.plot import figure_format, save_figure

    figure = plot_schedule(CyclicSchedule(step_size=10), 100)
    save_figure(figure, tmp_path / "a.svg")
    save_figure(figure, tmp_path / "b.pdf")
    save_figure(figure, tmp_path / "c.svg", format="png")
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF-")
    assert_png(tmp_path / "c.svg")
    assert figure_format("/dev/null") == "png"  # not a regular file: PNG whatever its name
    assert figure_format(tmp_path / "archive.tar.PDF") == "pdf"


def test_plot_and_format_refusals_are_worded_exactly(tmp_path):
    from clr_tools.plot import figure_format

    assert raised(figure_format, "lr.png", "jpg") == (
        ValueError, "format must be one of 'png', 'svg', 'pdf', got 'jpg'")
    assert raised(figure_format, "") == (ValueError, "output must be a file name, got ''")
    state = ScheduleState(CyclicSchedule(step_size=10))
    state.step(loss=1.0)
    assert raised(plot_history, state.history, metrics=["accuracy"]) == (
        ValueError, "history holds no metric 'accuracy' (its metrics: 'loss')")
    assert raised(plot_schedule, CyclicSchedule(), 10, steps_per_epoch=0) == (
        ValueError, "steps_per_epoch must be an int >= 1, got 0")


@pytest.mark.parametrize(("text", "message"), [
    ("iterations,lr,lr\n1,0.1,0.1\n", "history '{path}' repeats a column name in its header"),
    ("iterations,lr\n1,0.1,3\n", "history '{path}' line 2 has 3 cells, the header 2"),
    ("iterations,lr\n1.5,0.1\n", "history '{path}' line 2: expected a whole number, got '1.5'"),
    ("iterations,lr\n1,fast\n", "history '{path}' line 2: expected a number, got 'fast'"),
    ("iterations,lr\n2,0.1\n1,0.1\n", "history 'iterations' must increase (one entry per step), got [2, 1]"),
    ("iterations,lr\n1,-0.1\n", "history 'lr' must hold finite learning rates >= 0, got -0.1"),
    ("iterations,lr\n1," + "9" * 200_000 + "\n", "history '{path}' is not the CSV History.to_csv writes: field "
                                                "larger than field limit"),
    ('{"values": ' * 100_000, "history '{path}' is not JSON: maximum recursion depth exceeded"),
])
def test_a_history_file_that_to_csv_or_to_json_cannot_have_written_is_refused(text, message, tmp_path):
    from clr_tools.sources import read_history

    path = tmp_path / ("history.json" if text.startswith("{") else "history.csv")
    path.write_text(text)
    kind, said = raised(read_history, str(path))
    assert kind is ValueError and said.startswith(message.format(path=path))


def test_a_csv_history_reads_back_as_the_history_it_was(tmp_path):
    from clr_tools.sources import read_history

    state = ScheduleState(CyclicSchedule(step_size=10))
    for k in range(30):
        state.step(loss=1 / (k + 1))
        if k % 7 == 6:
            state.history.add_metrics(state.total_iterations, val_accuracy=k / 30)
    state.history.to_csv(tmp_path / "history.csv")
    again = read_history(str(tmp_path / "history.csv"))
    assert again == state.history and again.at("val_accuracy") == state.history.at("val_accuracy")
