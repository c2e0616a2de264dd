"""Drop-in for PyTorch's CyclicLR: its keyword names, its public attributes with its values (read-only),
OneCycleLR's momentum defaults, and momentum cycling for every schedule kind, recorded in the history."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from clr_core import CosineRestarts, CyclicSchedule, Join, OneCycle, momentum_for, warmup  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402

from .clr_torch_helpers import make_optimizer  # noqa: E402


def stepped_lrs(scheduler: Any, steps: int = 12) -> list[float]:
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.optimizer.step()
        scheduler.step()
    return lrs


def test_step_size_up_is_an_exact_synonym_of_step_size() -> None:
    by_torch_name = CyclicLR(make_optimizer(), 0.01, 0.05, step_size_up=3, step_size_down=5)
    by_our_name = CyclicLR(make_optimizer(), 0.01, 0.05, step_size=3, step_size_down=5)
    assert by_torch_name.schedules == by_our_name.schedules
    assert stepped_lrs(by_torch_name) == stepped_lrs(by_our_name)
    with pytest.raises(TypeError, match=r"give step_size or step_size_up \(PyTorch's name for it\), not both: "
                                        r"got step_size=4 and step_size_up=3"):
        CyclicLR(make_optimizer(), 0.01, 0.05, step_size=4, step_size_up=3)


ATTRIBUTES = ("base_lrs", "max_lrs", "mode", "gamma", "scale_mode", "total_size", "step_ratio", "cycle_momentum",
              "base_momentums", "max_momentums")
SETUPS = {
    "triangular": {},
    "triangular2, asymmetric": {"mode": "triangular2", "step_size_down": 3},
    "exp_range": {"mode": "exp_range", "gamma": 0.99},
    "custom scale_fn by iteration": {"scale_fn": lambda x: 0.5, "scale_mode": "iterations", "step_size_down": 7},
}


@pytest.mark.parametrize("arguments", SETUPS.values(), ids=SETUPS)
def test_pytorchs_attributes_have_pytorchs_values(arguments: dict[str, Any]) -> None:
    bounds = {"base_lr": [0.01, 0.02], "max_lr": 0.05, "base_momentum": [0.7, 0.75], "max_momentum": 0.95}
    theirs = torch.optim.lr_scheduler.CyclicLR(make_optimizer(2, momentum=0.9), step_size_up=5, **bounds,
                                               **arguments)
    ours = CyclicLR(make_optimizer(2, momentum=0.9), step_size_up=5, cycle_momentum=True, **bounds, **arguments)
    for name in ATTRIBUTES:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert stepped_lrs(ours) == pytest.approx(stepped_lrs(theirs), rel=1e-12)


def test_the_attributes_are_read_only_and_follow_a_reset() -> None:
    scheduler = CyclicLR(make_optimizer(), 0.01, 0.05, step_size=4, mode="triangular2")
    for name in ("mode", "gamma", "scale_mode", "total_size", "step_ratio"):
        with pytest.raises(AttributeError):
            setattr(scheduler, name, 1)
    scheduler.reset(step_size=6)
    assert (scheduler.total_size, scheduler.step_ratio) == (12.0, 0.5)
    with pytest.raises(AttributeError, match="base_momentums exists only with cycle_momentum=True"):
        scheduler.base_momentums  # noqa: B018  (as PyTorch's, which sets it only when cycling momentum)
    one_cycle = CyclicLR(make_optimizer(), schedule=OneCycle(0.1, total_steps=20))
    with pytest.raises(AttributeError, match="CyclicLR.mode belongs to the cyclic schedule, but this scheduler "
                                             "runs a OneCycle"):
        one_cycle.mode  # noqa: B018


def test_one_cycle_momentum_follows_one_cycle_lrs_defaults() -> None:
    """No bounds given: 0.95 -> 0.85 -> 0.95 as OneCycleLR (not CyclicLR's 0.9 / 0.8)."""
    optimizer, their_optimizer = make_optimizer(momentum=0.5), make_optimizer(momentum=0.5)
    ours = CyclicLR(optimizer, schedule=OneCycle(max_lr=0.1, total_steps=30), cycle_momentum=True)
    theirs = torch.optim.lr_scheduler.OneCycleLR(their_optimizer, max_lr=0.1, total_steps=30)
    assert (ours.base_momentums, ours.max_momentums) == ([0.85], [0.95])
    for _ in range(29):
        assert optimizer.param_groups[0]["momentum"] == pytest.approx(their_optimizer.param_groups[0]["momentum"],
                                                                      rel=1e-12)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(their_optimizer.param_groups[0]["lr"], rel=1e-9)
        for opt, scheduler in ((optimizer, ours), (their_optimizer, theirs)):
            opt.step()
            scheduler.step()
    assert ours.history["momentum"][0] == 0.95


KINDS = {
    "warmup of a cyclic schedule": warmup(CyclicSchedule(0.02, 0.1, step_size=4), steps=3),
    "a join": Join([CyclicSchedule(0.02, 0.1, step_size=2), CosineRestarts(0.08, period=5, min_lr=0.01)], [8]),
    "cosine restarts": CosineRestarts(0.1, period=6, period_mult=2.0, min_lr=0.01),
}


@pytest.mark.parametrize("schedule", KINDS.values(), ids=KINDS)
def test_every_kind_cycles_momentum_and_the_history_records_what_sgd_applied(schedule: Any) -> None:
    """One weight, gradient 1, SGD with momentum: the weight is what the recorded lrs and momenta give."""
    weight = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    optimizer = torch.optim.SGD([weight], lr=0.5, momentum=0.5)
    scheduler = CyclicLR(optimizer, schedule=schedule, cycle_momentum=True)
    for _ in range(25):
        optimizer.zero_grad()
        weight.sum().backward()  # d/dw w = 1
        optimizer.step()
        scheduler.step()
    lrs, momenta = scheduler.history["lr"], scheduler.history["momentum"]
    assert momenta == [momentum_for(schedule, 0.8, 0.9).lr_at(i) for i in range(25)]
    assert min(momenta) >= 0.8 and max(momenta) <= 0.9 and len(set(momenta)) > 5
    expected, buffer = 0.0, None
    for lr, momentum in zip(lrs, momenta):  # torch.optim.SGD: buf = momentum * buf + grad; w -= lr * buf
        buffer = 1.0 if buffer is None else momentum * buffer + 1.0
        expected -= lr * buffer
    assert weight.item() == pytest.approx(expected, rel=1e-12)


def test_several_groups_record_their_momentum_like_their_lr() -> None:
    scheduler = CyclicLR(make_optimizer(2, momentum=0.5), [0.01, 0.02], 0.05, step_size=2, cycle_momentum=True,
                         base_momentum=[0.8, 0.6])
    stepped_lrs(scheduler, 3)
    assert scheduler.history["momentum"] == pytest.approx([0.9, 0.85, 0.8])
    assert scheduler.history["momentum_group1"] == pytest.approx([0.9, 0.75, 0.6])


def test_pytorchs_positional_order_is_refused_never_misread() -> None:
    """PyTorch's fifth positional argument is step_size_down; ours is mode: a clear error, not other lrs."""
    with pytest.raises(ValueError, match="mode must be one of 'triangular', 'triangular2', 'exp_range', got 500"):
        CyclicLR(make_optimizer(), 0.001, 0.006, 500, 500)


def test_an_iterations_scale_restarts_with_a_reset_where_pytorchs_keeps_counting() -> None:
    """'iterations' mode: the scale receives the cycle iteration count, PyTorch's `last_epoch` (no reset)."""
    arguments = {"base_lr": 0.01, "max_lr": 0.05, "mode": "exp_range", "gamma": 0.9}
    ours = CyclicLR(make_optimizer(), step_size=2, **arguments)
    theirs = torch.optim.lr_scheduler.CyclicLR(make_optimizer(), step_size_up=2, cycle_momentum=False, **arguments)
    assert stepped_lrs(ours, 6) == pytest.approx(stepped_lrs(theirs, 6), rel=1e-12)
    ours.reset()
    assert stepped_lrs(ours, 3) == pytest.approx([CyclicSchedule(step_size=2, **arguments).lr_at(i) for i in range(3)])
    assert stepped_lrs(theirs, 3)[1] == pytest.approx(0.01 + 0.04 * 0.5 * 0.9**7)
