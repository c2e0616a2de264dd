"""`CosineRestarts` against PyTorch's `CosineAnnealingWarmRestarts`; the cosine cycle waveform."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import CosineRestarts, CyclicSchedule, ScheduleState
from tests.hypothesis_profiles import examples


@pytest.mark.parametrize(("period", "mult"), [(10, 1), (7, 2), (5, 3), (1, 2)])
def test_restarts_match_pytorch(period, mult):
    torch = pytest.importorskip("torch")
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=period, T_mult=mult, eta_min=1e-3)
    expected = []
    for _ in range(3000):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    ours = CosineRestarts(0.1, period, mult, min_lr=1e-3)
    assert [ours.lr_at(i) for i in range(3000)] == pytest.approx(expected, rel=1e-9)
    assert np.allclose(ours.lr_at(np.arange(3000)), expected, rtol=1e-9, atol=0)


def test_decay_shrinks_each_peak_and_cycles_stop_at_the_floor():
    schedule = CosineRestarts(1.0, period=4, period_mult=2, min_lr=0.1, decay=0.5, cycles=2)
    assert schedule.lr_at(0) == 1.0  # cycle 0 peak
    assert schedule.lr_at(4) == pytest.approx(0.1 + 0.9 * 0.5)  # cycle 1 peak (starts at 4, lasts 8)
    assert schedule.lr_at(8) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi * 4 / 8)) / 2)
    assert {schedule.lr_at(i) for i in range(12, 40)} == {0.1}


@settings(max_examples=examples(100))
@given(period=st.floats(0.5, 100), mult=st.sampled_from([1.0, 1.5, 2.0, 3.0]), i=st.integers(0, 10**6))
def test_restart_lrs_stay_in_bounds_and_arrays_agree(period, mult, i):
    schedule = CosineRestarts(0.5, period, mult, min_lr=0.01)
    lr = schedule.lr_at(i)
    assert 0.01 <= lr <= 0.5 + 1e-15
    assert schedule.lr_at(np.array([i]))[0] == pytest.approx(lr, rel=1e-12)


def test_cosine_waveform_bends_the_triangle_between_the_same_bounds():
    triangle = CyclicSchedule(0.0, 1.0, step_size=4)
    cosine = CyclicSchedule(0.0, 1.0, step_size=4, waveform="cosine")
    for i in range(17):
        h = triangle.lr_at(i)
        assert cosine.lr_at(i) == pytest.approx((1 - math.cos(math.pi * h)) / 2, abs=1e-15)
    assert [cosine.lr_at(i) for i in (0, 4, 8)] == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("arguments", [{"mode": "triangular2"}, {"mode": "exp_range", "gamma": 0.99},
                                       {"scale_fn": lambda s: 1 / s, "scale_mode": "cycle"},
                                       {"scale_fn": lambda s: 0.995**s, "scale_mode": "iterations"}])
def test_the_cosine_waveform_combines_with_every_scale(arguments):
    triangle = CyclicSchedule(0.1, 1.0, step_size=5, **arguments)
    cosine = CyclicSchedule(0.1, 1.0, step_size=5, waveform="cosine", **arguments)
    plain = CyclicSchedule(0.1, 1.0, step_size=5)
    cosine_plain = CyclicSchedule(0.1, 1.0, step_size=5, waveform="cosine")
    for i in range(60):
        scale = (triangle.lr_at(i) - 0.1) / (plain.lr_at(i) - 0.1) if plain.lr_at(i) > 0.1 else None
        if scale is not None:
            assert cosine.lr_at(i) - 0.1 == pytest.approx((cosine_plain.lr_at(i) - 0.1) * scale, rel=1e-9)
    assert np.allclose(cosine.lr_at(np.arange(60)), [cosine.lr_at(i) for i in range(60)], rtol=1e-14, atol=0)
    state = ScheduleState(cosine)
    restored = ScheduleState(CyclicSchedule(0.1, 1.0, step_size=5, waveform="cosine", **arguments))
    state.step()
    restored.load_state_dict(state.state_dict())
    assert restored.lr == state.lr


def test_unknown_waveforms_are_refused():
    with pytest.raises(ValueError, match="waveform must be one of 'triangle', 'cosine', got 'sine'"):
        CyclicSchedule(waveform="sine")


@pytest.mark.parametrize(("arguments", "message"), [
    ({"max_lr": 0.1, "period": 0}, "period must be a finite number > 0, got 0"),
    ({"max_lr": 0.1, "period": 5, "period_mult": 0.5}, "period_mult must be a finite number >= 1, got 0.5"),
    ({"max_lr": 0.1, "period": 5, "min_lr": 0.2}, r"max_lr must be >= min_lr \(0.2\), got 0.1"),
    ({"max_lr": 0.1, "period": 5, "decay": 0}, r"decay must be a finite number in \(0, 1\], got 0"),
    ({"max_lr": 0.1, "period": 5, "cycles": 0}, "cycles must be an int >= 1, got 0"),
    ({"max_lr": 0.1, "period": 5, "cycles": 10**400}, r"cycles must be an int in \[1, 2\*\*53\], got 1000000000000"),
])
def test_bad_restart_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        CosineRestarts(**arguments)
