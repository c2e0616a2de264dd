"""Ours among PyTorch's schedulers: inside SequentialLR and ChainedScheduler it gives the lrs (and momentum)
PyTorch's own CyclicLR gives in the same slot, before and after LinearLR, ConstantLR and ExponentialLR."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from clr_torch import CyclicLR  # noqa: E402

from .clr_torch_helpers import make_optimizer  # noqa: E402

lr_scheduler = torch.optim.lr_scheduler


def ours(optimizer: Any, momentum: bool) -> Any:
    return CyclicLR(optimizer, [0.001, 0.002], [0.006, 0.01], step_size=4, step_size_down=3,
                    cycle_momentum=momentum)


def theirs(optimizer: Any, momentum: bool) -> Any:
    return lr_scheduler.CyclicLR(optimizer, [0.001, 0.002], [0.006, 0.01], step_size_up=4, step_size_down=3,
                                 cycle_momentum=momentum)


# Each builds the composition around `cyclic` (ours or PyTorch's CyclicLR), in the order a user would.
COMPOSITIONS: dict[str, Callable[[Any, Callable[[Any], Any]], Any]] = {
    "Sequential: cyclic, then ConstantLR": lambda o, cyclic: lr_scheduler.SequentialLR(
        o, [cyclic(o), lr_scheduler.ConstantLR(o, factor=0.5)], milestones=[6]),
    "Sequential: LinearLR warmup, then cyclic": lambda o, cyclic: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4), cyclic(o)], milestones=[5]),
    "Sequential: ConstantLR, cyclic, ExponentialLR": lambda o, cyclic: lr_scheduler.SequentialLR(
        o, [lr_scheduler.ConstantLR(o, factor=0.3, total_iters=2), cyclic(o), lr_scheduler.ExponentialLR(o, 0.8)],
        milestones=[3, 12]),
    "Chained: cyclic, then ExponentialLR": lambda o, cyclic: lr_scheduler.ChainedScheduler(
        [cyclic(o), lr_scheduler.ExponentialLR(o, gamma=0.9)]),
    "Chained: ConstantLR, then cyclic": lambda o, cyclic: lr_scheduler.ChainedScheduler(
        [lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3), cyclic(o)]),
    "Chained: cyclic, then LinearLR": lambda o, cyclic: lr_scheduler.ChainedScheduler(
        [cyclic(o), lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=5)]),
}


def run(build: Callable[[Any, Callable[[Any], Any]], Any], cyclic: Callable[[Any, bool], Any],
        momentum: bool) -> tuple[list[float], list[float]]:
    """The lr and momentum of both param groups at each of 20 steps, and lr, initial_lr and momentum after
    construction (flat lists)."""
    optimizer = make_optimizer(2, lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's own construction steps its schedulers out of order
        scheduler = build(optimizer, lambda o: cyclic(o, momentum))
    built = [group[key] for group in optimizer.param_groups for key in ("lr", "initial_lr", "momentum")]
    seen = []
    for _ in range(20):
        seen.extend(group[key] for group in optimizer.param_groups for key in ("lr", "momentum"))
        optimizer.step()
        scheduler.step()
    return seen, built


# Built after another scheduler, PyTorch's CyclicLR runs its first step at that scheduler's `initial_lr` (0.1
# here, above max_lr: its first lr is computed from `base_lrs` before it sets them); ours runs it at base_lr.
FIRST_STEP_AT_INITIAL_LR = {"Chained: ConstantLR, then cyclic"}


@pytest.mark.parametrize("momentum", [False, True], ids=["lr", "lr and momentum"])
@pytest.mark.parametrize("name", COMPOSITIONS)
def test_ours_gives_what_pytorchs_cyclic_lr_gives_in_the_same_slot(name: str, momentum: bool) -> None:
    expected, expected_groups = run(COMPOSITIONS[name], theirs, momentum)
    seen, groups = run(COMPOSITIONS[name], ours, momentum)
    if name in FIRST_STEP_AT_INITIAL_LR:  # the one difference, and only at the first step
        assert [expected[0], expected[2]] == [0.1, 0.1] and [seen[0], seen[2]] == [0.001, 0.002]
        expected[0], expected[2], expected_groups[0], expected_groups[3] = 0.001, 0.002, 0.001, 0.002
    assert groups == pytest.approx(expected_groups, rel=1e-12)  # initial_lr included: base_lr, as PyTorch's
    assert seen == pytest.approx(expected, rel=1e-12)


def test_the_issues_example_runs_at_half_the_base_lr_after_the_milestone() -> None:
    """`ConstantLR` after ours starts from ``initial_lr``, which is our `base_lr` (PyTorch: 0.0005, not 0.05)."""
    optimizer = make_optimizer(1, lr=0.1)
    scheduler = lr_scheduler.SequentialLR(
        optimizer, [CyclicLR(optimizer, 0.001, 0.006, step_size=4), lr_scheduler.ConstantLR(optimizer, factor=0.5)],
        milestones=[6])
    for _ in range(7):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0005)
    assert scheduler._schedulers[0].base_lrs == [0.001]


def test_an_earlier_scheduler_keeps_its_initial_lr_as_in_pytorch() -> None:
    optimizer = make_optimizer(1, lr=0.1)
    lr_scheduler.ConstantLR(optimizer, factor=0.5)
    scheduler = CyclicLR(optimizer, 0.001, 0.006, step_size=4)
    assert optimizer.param_groups[0]["initial_lr"] == 0.1 and scheduler.base_lrs == [0.001]


def test_a_milestone_restarts_our_cycle_and_the_history_carries_on() -> None:
    """SequentialLR hands the second slot to us at its milestone: the cycle starts at base_lr there."""
    optimizer = make_optimizer(1, lr=0.1)
    first = CyclicLR(optimizer, 0.001, 0.006, step_size=4)
    scheduler = lr_scheduler.SequentialLR(optimizer, [first, lr_scheduler.ConstantLR(optimizer, factor=0.5),
                                                      first], milestones=[3, 5])
    lrs = []
    for _ in range(9):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[:3] == pytest.approx([0.001, 0.00225, 0.0035])
    assert lrs[5:] == pytest.approx([0.001, 0.00225, 0.0035, 0.00475])  # restarted at the milestone
    assert first.history["iterations"] == [1, 2, 3, 4, 5, 6]  # only the steps it ran, counted on
