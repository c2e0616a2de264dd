"""Every schedule kind round-trips through its JSON config and through a state dict, and previews as a plot."""

import json

import numpy as np
import pytest

from clr_core import (
    WSD,
    Anneal,
    CosineRestarts,
    CyclicSchedule,
    Join,
    Mirrored,
    OneCycle,
    RangeSweep,
    ScheduleState,
    exp_range,
    momentum_for,
    schedule_from_config,
    schedule_to_config,
    warmup,
)


def kinds():
    return {
        "cyclic": CyclicSchedule(0.01, 0.1, 5, mode="triangular2", waveform="cosine", step_size_down=7),
        "cyclic with a built-in scale object": CyclicSchedule(0.01, 0.1, 5, scale_fn=exp_range(0.9)),
        "anneal": Anneal(0.1, 0.01, 12, shape="cosine"),
        "join": Join([Anneal(0.0, 0.1, 3), CyclicSchedule(0.01, 0.1, 4)], [3], length=40, after="repeat"),
        "warmup": warmup(OneCycle(0.1, 30), steps=4, shape="cosine"),
        "one-cycle": OneCycle(0.1, 50, three_phase=True, anneal_strategy="linear"),
        "restarts": CosineRestarts(0.1, 4, period_mult=2, min_lr=0.01, decay=0.8, cycles=3),
        "mirrored": Mirrored(CosineRestarts(0.1, 6), lr_low=0.0, lr_high=0.1),
        "momentum of a one-cycle": momentum_for(OneCycle(0.1, 50)),
        "range sweep": RangeSweep(1e-5, 1.0, 30),
        "warmup-stable-decay": WSD(0.1, 40, 5, 15, min_lr=0.001),
    }


@pytest.mark.parametrize("name", list(kinds()))
def test_config_and_state_dict_round_trips(name):
    schedule = kinds()[name]
    rebuilt = schedule_from_config(json.loads(json.dumps(schedule_to_config(schedule))))
    assert np.array_equal(rebuilt.lr_at(np.arange(60)), schedule.lr_at(np.arange(60)))
    original = ScheduleState(schedule)
    for _ in range(17):
        original.step()
    restored = ScheduleState(kinds()[name])
    restored.load_state_dict(json.loads(json.dumps(original.state_dict())))
    assert [restored.step() for _ in range(20)] == [original.step() for _ in range(20)]


@pytest.mark.parametrize("name", list(kinds()))
def test_every_kind_previews(name, tmp_path):
    pytest.importorskip("matplotlib")
    from clr_tools import plot_schedule

    figure = plot_schedule(kinds()[name], 60, path=tmp_path / "preview.png")
    assert (tmp_path / "preview.png").stat().st_size > 5000
    assert len(figure.axes[0].get_lines()[0].get_ydata()) == 60
