"""Momentum schedules as values, and the epochs-to-steps helpers."""

import json

import pytest

from clr_core import (
    CosineRestarts,
    CyclicSchedule,
    Mirrored,
    ScheduleState,
    ends_on_cycle_boundary,
    epochs_to_steps,
    momentum_for,
    schedule_from_config,
    schedule_to_config,
    steps_per_epoch,
)


def test_cyclic_momentum_moves_against_the_lr_like_pytorchs_cycle_momentum():
    torch = pytest.importorskip("torch")
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, step_size_up=5, mode="triangular2",
                                                  base_momentum=0.8, max_momentum=0.9)
    expected = []
    for _ in range(40):
        expected.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    momentum = momentum_for(CyclicSchedule(0.01, 0.1, step_size=5, mode="triangular2"), 0.8, 0.9)
    assert [momentum.lr_at(i) for i in range(40)] == pytest.approx(expected, rel=1e-9)


def test_mirrored_saves_and_a_constant_lr_gives_the_high_value():
    momentum = momentum_for(CyclicSchedule(0.05, 0.05, step_size=5))
    assert {momentum.lr_at(i) for i in range(20)} == {0.95}
    rebuilt = schedule_from_config(json.loads(json.dumps(schedule_to_config(momentum))))
    assert rebuilt == momentum
    state = ScheduleState(momentum_for(CyclicSchedule(0.01, 0.1, step_size=5)))
    state.step()
    fresh = ScheduleState(momentum_for(CyclicSchedule(0.01, 0.1, step_size=5)))
    fresh.load_state_dict(state.state_dict())
    assert fresh.lr == state.lr


def test_mirrored_takes_an_explicit_lr_range():
    explicit = Mirrored(CosineRestarts(0.1, 10), lr_low=0.0, lr_high=0.1)
    assert explicit.lr_at(0) == pytest.approx(0.85) and explicit.lr_at(5) == pytest.approx(0.9)


def test_steps_per_epoch_counts_optimizer_steps():
    assert steps_per_epoch(1437, 32) == 45
    assert steps_per_epoch(1437, 32, drop_last=True) == 44
    assert steps_per_epoch(1437, 32, accumulation_steps=2) == 23
    assert steps_per_epoch(1437, 32, world_size=2) == 23  # 719 samples per process
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        steps_per_epoch(100, 0)
    with pytest.raises(ValueError, match="must not exceed the samples per process"):
        steps_per_epoch(10, 32, drop_last=True)


def test_epochs_to_steps_and_the_end_of_cycle_warning():
    assert epochs_to_steps(4, 45) == 180
    assert ends_on_cycle_boundary(180 * 6, 180)
    with pytest.warns(UserWarning, match=r"1000 steps is 2.78 cycles of 360 steps; .* \(e.g. 1080 steps\)"):
        assert not ends_on_cycle_boundary(1000, 180)
    with pytest.raises(ValueError, match="epochs must be a finite number > 0"):
        epochs_to_steps(0, 45)


def test_mirrored_works_over_every_schedule_kind():
    from clr_core import Anneal, Join, OneCycle, warmup

    kinds = [CyclicSchedule(0.01, 0.1, 5), warmup(CyclicSchedule(0.01, 0.1, 5), 3), OneCycle(0.1, 50),
             CosineRestarts(0.1, 4, period_mult=2, min_lr=0.01),
             Join([Anneal(0.1, 0.01, 5), Anneal(0.01, 0.01, 1)], [5])]
    for schedule in kinds:
        momentum = Mirrored(schedule, lr_low=0.0, lr_high=0.1, low=0.85, high=0.95)
        values = [momentum.lr_at(i) for i in range(30)]
        assert all(0.85 <= value <= 0.95 for value in values)
        assert values == pytest.approx([0.95 - (0.1 * schedule.lr_at(i) / 0.1) for i in range(30)], abs=1e-12)
