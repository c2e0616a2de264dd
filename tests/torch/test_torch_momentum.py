"""Opt-in momentum cycling: inversely to the lr, into `momentum` or `betas[0]`, derived from the core's lr."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from clr_core import CyclicSchedule, OneCycle, momentum_for  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402
from clr_torch.momentum import MomentumCycler, momentum_key  # noqa: E402
from tests.errors import raised  # noqa: E402

from .clr_torch_helpers import group_snapshot, make_optimizer  # noqa: E402


def momentum_of(optimizer: Any, index: int = 0) -> float:
    group = optimizer.param_groups[index]
    return float(group["betas"][0] if "betas" in group else group["momentum"])


def expected_momentum(lr: float, base_lr: float, max_lr: float, base_m: float = 0.8, max_m: float = 0.9) -> float:
    return max_m - (max_m - base_m) * (lr - base_lr) / (max_lr - base_lr)


@pytest.mark.parametrize("cls, options", [
    ("SGD", {"momentum": 0.5}),
    ("SGD", {"momentum": 0.5, "nesterov": True}),
    ("RMSprop", {"momentum": 0.5}),
    ("Adam", {}),
    ("AdamW", {"betas": (0.5, 0.99)}),
    ("NAdam", {}),
])
def test_momentum_moves_inversely_to_the_lr(cls: str, options: dict[str, Any]) -> None:
    optimizer = make_optimizer(1, getattr(torch.optim, cls), lr=0.5, **options)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4, cycle_momentum=True)
    schedule = CyclicSchedule(0.01, 0.05, 4)
    seen = []
    for i in range(9):
        lr = optimizer.param_groups[0]["lr"]
        assert lr == schedule.lr_at(i)
        assert momentum_of(optimizer) == pytest.approx(expected_momentum(lr, 0.01, 0.05), rel=1e-12)
        seen.append(momentum_of(optimizer))
        optimizer.step()
        scheduler.step()
    assert seen[0] == 0.9 and seen[4] == pytest.approx(0.8) and seen[8] == 0.9
    if "betas" in optimizer.param_groups[0]:
        assert optimizer.param_groups[0]["betas"][1] == options.get("betas", (0.9, 0.999))[1]


def test_adam_works_out_of_the_box_without_momentum_cycling() -> None:
    optimizer = make_optimizer(1, torch.optim.Adam, betas=(0.85, 0.99))
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["betas"] == (0.85, 0.99)
    assert optimizer.param_groups[0]["lr"] == CyclicSchedule(0.01, 0.05, 4).lr_at(3)


@pytest.mark.parametrize("cls", ["Adagrad", "Adadelta", "Rprop"])
def test_optimizer_without_momentum_is_a_clear_error(cls: str) -> None:
    optimizer = make_optimizer(1, getattr(torch.optim, cls), lr=0.5)
    group = optimizer.param_groups[0]
    assert "momentum" not in group and "betas" not in group  # really none to cycle
    before = group_snapshot(optimizer)
    assert raised(CyclicLR, optimizer, base_lr=0.01, max_lr=0.05, step_size=4, cycle_momentum=True) == (
        ValueError, f"cycle_momentum=True needs an optimizer with 'momentum' (SGD, RMSprop) or 'betas' (Adam family) "
                    f"in its param groups, but {cls} param group 0 has neither; use cycle_momentum=False with this "
                    f"optimizer")
    assert group_snapshot(optimizer) == before
    CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)  # fine without momentum cycling


def test_per_group_bounds_and_a_constant_lr_group() -> None:
    optimizer = make_optimizer(2, momentum=0.5)
    scheduler = CyclicLR(optimizer, base_lr=[0.01, 0.03], max_lr=[0.05, 0.03], step_size=2, cycle_momentum=True,
                         base_momentum=[0.8, 0.5], max_momentum=[0.95, 0.6])
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    assert momentum_of(optimizer, 0) == pytest.approx(0.8)
    assert momentum_of(optimizer, 1) == 0.6  # base_lr == max_lr: a constant lr, a constant momentum


def test_tensor_momentum_and_tensor_betas_are_filled_in_place() -> None:
    beta1 = torch.tensor(0.5)
    optimizer = make_optimizer(1, torch.optim.Adam, betas=(beta1, torch.tensor(0.999)))
    CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=2, cycle_momentum=True)
    assert optimizer.param_groups[0]["betas"][0] is beta1 and beta1.item() == pytest.approx(0.9)


def test_momentum_follows_a_reset() -> None:
    optimizer = make_optimizer(1, momentum=0.5)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=2, cycle_momentum=True)
    optimizer.step()
    scheduler.step()
    scheduler.reset(base_lr=0.02, max_lr=0.1)
    assert momentum_of(optimizer) == 0.9
    optimizer.step()
    scheduler.step()
    lr = CyclicSchedule(0.02, 0.1, 2).lr_at(1)
    assert optimizer.param_groups[0]["lr"] == lr
    assert momentum_of(optimizer) == pytest.approx(expected_momentum(lr, 0.02, 0.1), rel=1e-12)


def test_helpers() -> None:
    optimizer = make_optimizer(1, torch.optim.RMSprop, momentum=0.1)
    assert momentum_key(optimizer, 0) == "momentum"
    cycler = MomentumCycler(optimizer, [(0.8, 0.9)])
    assert cycler.bounds == [(0.8, 0.9)]
    cycler.write(optimizer.param_groups, [0.85])
    assert optimizer.param_groups[0]["momentum"] == 0.85
    assert cycler.state_dict() == {"base_momentum": [0.8], "max_momentum": [0.9]}


def test_momentum_comes_from_the_cores_momentum_schedule() -> None:
    schedule = CyclicSchedule(0.01, 0.05, 3, mode="triangular2")
    optimizer = make_optimizer(1, momentum=0.5)
    scheduler = CyclicLR(optimizer, schedule=schedule, cycle_momentum=True, base_momentum=0.7, max_momentum=0.9)
    expected = momentum_for(schedule, 0.7, 0.9)
    for i in range(14):
        assert optimizer.param_groups[0]["momentum"] == expected.lr_at(i)
        optimizer.step()
        scheduler.step()


def test_one_cycle_brings_its_own_momentum() -> None:
    """Any core schedule works; a OneCycle's momentum is its own (PyTorch's OneCycleLR phases)."""
    schedule = OneCycle(max_lr=0.1, total_steps=20)
    optimizer = make_optimizer(1, momentum=0.5)
    scheduler = CyclicLR(optimizer, schedule=schedule, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)
    theirs_optimizer = make_optimizer(1, momentum=0.5)
    theirs = torch.optim.lr_scheduler.OneCycleLR(theirs_optimizer, max_lr=0.1, total_steps=20,
                                                 base_momentum=0.85, max_momentum=0.95)
    for _ in range(19):
        ours_group, their_group = optimizer.param_groups[0], theirs_optimizer.param_groups[0]
        assert ours_group["lr"] == pytest.approx(their_group["lr"], rel=1e-9)
        assert ours_group["momentum"] == pytest.approx(their_group["momentum"], rel=1e-9)
        for opt, sched in ((optimizer, scheduler), (theirs_optimizer, theirs)):
            opt.step()
            sched.step()
