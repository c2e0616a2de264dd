"""Saving and resuming: a restored run continues exactly as the uninterrupted one (lrs and model weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from clr_core import CosineRestarts, CyclicSchedule, exp_range, warmup  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402
from tests.errors import raised  # noqa: E402

from .clr_torch_helpers import group_lrs, make_optimizer  # noqa: E402

PLAIN_TYPES = (dict, list, tuple, str, int, float, bool, type(None))


def halving(cycle: float) -> float:
    """A named custom scale function (module level)."""
    return 0.5 ** (cycle - 1.0)


def other_halving(cycle: float) -> float:
    return 0.5 ** (cycle - 1.0)


def data(step: int) -> tuple[Any, Any]:
    generator = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(16, 4, generator=generator)
    return x, x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1


def build(seed: int, *, scale_fn: Any = None, cycle_momentum: bool = False, optimizer: str = "SGD",
          scale_mode: str = "cycle") -> tuple[Any, Any, CyclicLR]:
    """Model, optimizer and scheduler, built the same way in every run (apart from the model's init seed)."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    groups = [{"params": model[0].parameters()}, {"params": model[2].parameters()}]
    if optimizer == "SGD":
        opt = torch.optim.SGD(groups, lr=0.7, momentum=0.9)
    else:
        opt = torch.optim.AdamW(groups, lr=0.7)
    scheduler = CyclicLR(opt, base_lr=[0.001, 0.002], max_lr=[0.02, 0.03], step_size=3, step_size_down=4,
                         scale_fn=scale_fn, scale_mode=scale_mode, cycle_momentum=cycle_momentum)
    return model, opt, scheduler


def train(model: Any, opt: Any, scheduler: CyclicLR, start: int, stop: int) -> list[list[float]]:
    used = []
    for step in range(start, stop):
        x, y = data(step)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        used.append(group_lrs(opt))
        opt.step()
        scheduler.step()
        scheduler.log(loss=loss.item())
    return used


def assert_plain(value: Any, where: str = "state") -> None:
    assert isinstance(value, PLAIN_TYPES), f"{where} holds {type(value).__name__}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            assert_plain(item, f"{where}[{index}]")


CASES = {
    "builtin": {},
    "lambda": {"scale_fn": lambda cycle: 1.0 / cycle},
    "named": {"scale_fn": halving},
    "iterations": {"scale_fn": lambda i: 0.99 ** i, "scale_mode": "iterations"},
    "savable builtin": {"scale_fn": exp_range(0.95), "scale_mode": "iterations"},
    "momentum": {"cycle_momentum": True},
    "adamw betas": {"cycle_momentum": True, "optimizer": "AdamW"},
}


@pytest.mark.parametrize("optimizer_first", [True, False], ids=["optimizer-first", "scheduler-first"])
@pytest.mark.parametrize("case", list(CASES))
def test_resume_equals_uninterrupted_run(tmp_path: Path, case: str, optimizer_first: bool) -> None:
    options = CASES[case]
    model, opt, scheduler = build(0, **options)
    expected_lrs = train(model, opt, scheduler, 0, 20)
    expected_weights = [p.detach().clone() for p in model.parameters()]

    model, opt, scheduler = build(0, **options)
    lrs = train(model, opt, scheduler, 0, 8)
    state = scheduler.state_dict()
    assert_plain(state)
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": state},
               tmp_path / "checkpoint.pt")

    model, opt, scheduler = build(1, **options)  # fresh objects, other initial weights and optimizer lr
    checkpoint = torch.load(tmp_path / "checkpoint.pt")  # weights_only=True by default
    model.load_state_dict(checkpoint["model"])
    if optimizer_first:
        opt.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
    else:
        scheduler.load_state_dict(checkpoint["scheduler"])
        opt.load_state_dict(checkpoint["optimizer"])
    lrs += train(model, opt, scheduler, 8, 20)

    assert lrs == expected_lrs
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), expected_weights))
    assert scheduler.history["iterations"] == list(range(1, 21))
    assert scheduler.history["lr"] == [row[0] for row in expected_lrs]
    assert len(scheduler.history["loss"]) == 20 and scheduler.last_epoch == 20


def test_load_alone_puts_the_restored_lr_and_momentum_into_the_optimizer() -> None:
    _, opt, scheduler = build(0, cycle_momentum=True)
    for _ in range(5):
        opt.step()
        scheduler.step()
    saved, saved_groups = scheduler.state_dict(), [(g["lr"], g["momentum"]) for g in opt.param_groups]
    _, fresh_opt, fresh = build(0, cycle_momentum=True)
    fresh.load_state_dict(saved)
    assert [(g["lr"], g["momentum"]) for g in fresh_opt.param_groups] == saved_groups
    assert fresh.get_last_lr() == scheduler.get_last_lr() and fresh.last_epoch == 5
    assert fresh.base_lrs == [0.001, 0.002]


def test_bounds_changed_by_a_reset_are_restored_from_the_state() -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    scheduler.reset(base_lr=0.02, max_lr=0.3, step_size=2)
    optimizer.step()
    scheduler.step()
    fresh_optimizer = make_optimizer(1)
    fresh = CyclicLR(fresh_optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    fresh.load_state_dict(scheduler.state_dict(), plan="saved")
    new = CyclicSchedule(0.02, 0.3, 2)
    assert group_lrs(fresh_optimizer) == [new.lr_at(1)]
    assert fresh.base_lrs == [0.02] and fresh.max_lrs == [0.3]
    for i in range(2, 7):
        fresh_optimizer.step()
        fresh.step()
        assert group_lrs(fresh_optimizer) == [new.lr_at(i)]
    assert fresh.history["iterations"] == list(range(1, 10))


@pytest.mark.parametrize("saved, rebuilt, used, has", [
    (lambda c: 1.0 / c, None, "custom function '<lambda>'", "none (a built-in mode)"),
    (None, lambda c: 1.0 / c, "none (a built-in mode)", "custom function '<lambda>'"),
    (halving, other_halving, "custom function 'halving'", "custom function 'other_halving'"),
    (halving, lambda c: 1.0 / c, "custom function 'halving'", "custom function '<lambda>'"),
])
def test_custom_function_mismatch_is_a_clear_error_and_changes_nothing(saved: Any, rebuilt: Any, used: str,
                                                                       has: str) -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4, scale_fn=saved)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    fresh_optimizer = make_optimizer(1)
    fresh = CyclicLR(fresh_optimizer, base_lr=0.01, max_lr=0.05, step_size=4, scale_fn=rebuilt)
    assert raised(fresh.load_state_dict, scheduler.state_dict()) == (
        ValueError, f"cannot restore: the saved schedule used scale_fn {used} but this one has {has}; build the "
                    f"schedule with the same scale_fn before loading its state")
    assert fresh.state.total_iterations == 0 and group_lrs(fresh_optimizer) == [0.01] and fresh.last_epoch == 0


def test_momentum_on_one_side_only_is_refused() -> None:
    _, _, with_momentum = build(0, cycle_momentum=True)
    _, _, without = build(0)
    assert raised(without.load_state_dict, with_momentum.state_dict()) == (
        ValueError, "cannot load: the saved scheduler had momentum cycling on but this one has it off; build it "
                    "with cycle_momentum=True before loading")
    assert raised(with_momentum.load_state_dict, without.state_dict()) == (
        ValueError, "cannot load: the saved scheduler had momentum cycling off but this one has it on; build it "
                    "with cycle_momentum=False before loading")


def test_momentum_bounds_are_adopted_from_the_state() -> None:
    optimizer = make_optimizer(1, momentum=0.5)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=2, cycle_momentum=True,
                         base_momentum=0.6, max_momentum=0.7)
    fresh_optimizer = make_optimizer(1, momentum=0.5)
    fresh = CyclicLR(fresh_optimizer, base_lr=0.01, max_lr=0.05, step_size=2, cycle_momentum=True)
    fresh.load_state_dict(scheduler.state_dict())
    assert fresh_optimizer.param_groups[0]["momentum"] == 0.7
    fresh_optimizer.step()
    fresh.step()
    fresh_optimizer.step()
    fresh.step()
    assert fresh_optimizer.param_groups[0]["momentum"] == pytest.approx(0.6)


@pytest.mark.parametrize("state, shown", [
    ({"last_epoch": 3, "max_lrs": [0.1], "_scale_fn_custom": None}, "['_scale_fn_custom', 'last_epoch', 'max_lrs']"),
    ("not a dict", "'str'"),
], ids=["torch's own CyclicLR state", "not a dict"])
def test_foreign_state_is_refused(state: Any, shown: str) -> None:
    optimizer = make_optimizer(1)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    assert raised(scheduler.load_state_dict, state) == (
        ValueError, f"state_dict must come from clr_torch.CyclicLR.state_dict() (format 1 or 2), got {shown}; a "
                    f"torch.optim.lr_scheduler.CyclicLR state cannot be loaded (restart the cycle with last_epoch "
                    f"instead)")


def test_group_count_mismatch_is_refused() -> None:
    optimizer = make_optimizer(2)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    other = CyclicLR(make_optimizer(3), base_lr=0.01, max_lr=0.05, step_size=4)
    assert raised(scheduler.load_state_dict, other.state_dict()) == (
        ValueError, "cannot restore: the saved state has 3 schedules but this one has 2; build it with as many "
                    "before loading")


def test_torch_cyclic_lr_drops_a_lambda_but_we_refuse_to_guess(tmp_path: Path) -> None:
    """Why the design: PyTorch's own state silently forgets a lambda scale_fn; ours names it."""
    optimizer = make_optimizer(1)
    ours = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4, scale_fn=lambda c: 1.0 / c)
    description = ours.state_dict()["schedule_state"]["schedules"][0]["description"]
    assert description["scale_fn"]["custom"] == ("test_torch_cyclic_lr_drops_a_lambda_but_we_refuse_to_guess."
                                                 "<locals>.<lambda>")
    torch.save(ours.state_dict(), tmp_path / "s.pt")
    assert torch.load(tmp_path / "s.pt") == ours.state_dict()


def test_composed_core_schedule_resumes_exactly(tmp_path: Path) -> None:
    """Any core schedule: a warmup joined to a cyclic schedule with a lambda scale_fn, saved and resumed."""
    def make() -> tuple[Any, CyclicLR]:
        schedule = warmup(CyclicSchedule(0.01, 0.1, 3, scale_fn=lambda cycle: 0.9 ** cycle), steps=4)
        optimizer = make_optimizer(2)
        return optimizer, CyclicLR(optimizer, schedule=schedule)

    optimizer, scheduler = make()
    expected = [group_lrs(optimizer)]
    for _ in range(15):
        optimizer.step()
        scheduler.step()
        expected.append(group_lrs(optimizer))
    optimizer, scheduler = make()
    for _ in range(6):
        optimizer.step()
        scheduler.step()
    torch.save(scheduler.state_dict(), tmp_path / "scheduler.pt")
    optimizer, scheduler = make()
    scheduler.load_state_dict(torch.load(tmp_path / "scheduler.pt"))
    resumed = [group_lrs(optimizer)]
    for _ in range(9):
        optimizer.step()
        scheduler.step()
        resumed.append(group_lrs(optimizer))
    assert resumed == expected[6:]
    assert expected[0] == [0.0, 0.0] and expected[4] == [0.01, 0.01]  # the warmup ramps up to base_lr


def test_cosine_restarts_through_the_adapter_match_torch() -> None:
    ours_optimizer, theirs_optimizer = make_optimizer(1), make_optimizer(1, lr=0.1)
    ours = CyclicLR(ours_optimizer, schedule=CosineRestarts(max_lr=0.1, period=5, period_mult=2, min_lr=0.001))
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs_optimizer, T_0=5, T_mult=2, eta_min=0.001)
    for _ in range(30):
        assert group_lrs(ours_optimizer)[0] == pytest.approx(group_lrs(theirs_optimizer)[0], rel=1e-9)
        for optimizer, scheduler in ((ours_optimizer, ours), (theirs_optimizer, theirs)):
            optimizer.step()
            scheduler.step()
