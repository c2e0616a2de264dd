"""Parity with PyTorch's own `torch.optim.lr_scheduler.CyclicLR`, step for step, lr and momentum."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from clr_torch import CyclicLR  # noqa: E402
from tests.hypothesis_profiles import examples  # noqa: E402

from .clr_torch_helpers import close, group_lrs, make_optimizer  # noqa: E402

TorchCyclicLR = torch.optim.lr_scheduler.CyclicLR


def run_both(steps: int, groups: int, ours: dict[str, Any], theirs: dict[str, Any], *, momentum_key: str | None = None,
             optimizer: Any = None, options: dict[str, Any] | None = None) -> tuple[list[Any], list[Any]]:
    """The lrs (and momenta) each optimizer step runs at, for our scheduler and PyTorch's."""
    options = {} if options is None else options
    runs = []
    for build in (lambda opt: CyclicLR(opt, **ours), lambda opt: TorchCyclicLR(opt, **theirs)):
        opt = make_optimizer(groups, optimizer, **options)
        scheduler = build(opt)
        seen = []
        for _ in range(steps):
            row = group_lrs(opt)
            if momentum_key == "betas":
                row += [group["betas"][0] for group in opt.param_groups]
            elif momentum_key:
                row += [group[momentum_key] for group in opt.param_groups]
            seen.append(row)
            opt.step()
            scheduler.step()
        runs.append(seen)
    return runs[0], runs[1]


def assert_parity(ours: list[list[float]], theirs: list[list[float]]) -> None:
    assert len(ours) == len(theirs)
    for step, (mine, torchs) in enumerate(zip(ours, theirs)):
        for a, b in zip(mine, torchs, strict=True):
            assert close(a, b), f"step {step}: ours {a!r} vs torch {b!r}"


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("step_size_down", [None, 3])
def test_lrs_match_torch_step_for_step(mode: str, groups: int, step_size_down: int | None) -> None:
    base = [0.001 * (k + 1) for k in range(groups)] if groups > 1 else 0.001
    top = [0.01 * (k + 1) for k in range(groups)] if groups > 1 else 0.01
    common = {"base_lr": base, "max_lr": top, "mode": mode, "gamma": 0.97}
    ours, theirs = run_both(
        60, groups,
        {**common, "step_size": 5, "step_size_down": step_size_down},
        {**common, "step_size_up": 5, "step_size_down": step_size_down, "cycle_momentum": False})
    assert_parity(ours, theirs)
    # Not a constant: the cycle really moves (and triangular2 / exp_range really shrink it).
    assert len({row[0] for row in ours}) > 3


def test_custom_scale_fn_matches_torch_in_both_scale_modes() -> None:
    for scale_mode in ("cycle", "iterations"):
        common = {"base_lr": 0.01, "max_lr": 0.1, "scale_fn": lambda s: 1.0 / (1.0 + s), "scale_mode": scale_mode}
        ours, theirs = run_both(40, 2, {**common, "step_size": 4},
                                {**common, "step_size_up": 4, "cycle_momentum": False})
        assert_parity(ours, theirs)


def test_resume_with_last_epoch_matches_torch() -> None:
    # PyTorch needs 'initial_lr' in every group to resume with last_epoch (its first step after resuming uses
    # it as base_lr, so it must be base_lr); ours needs nothing.
    theirs_opt = make_optimizer(2)
    for group in theirs_opt.param_groups:
        group["initial_lr"] = 0.01
    theirs = TorchCyclicLR(theirs_opt, 0.01, 0.1, step_size_up=4, last_epoch=6, cycle_momentum=False)
    ours_opt = make_optimizer(2)
    ours = CyclicLR(ours_opt, 0.01, 0.1, step_size=4, last_epoch=6)
    assert ours.last_epoch == theirs.last_epoch == 7
    for _ in range(10):
        assert_parity([group_lrs(ours_opt)], [group_lrs(theirs_opt)])
        for opt, scheduler in ((ours_opt, ours), (theirs_opt, theirs)):
            opt.step()
            scheduler.step()


@pytest.mark.parametrize("optimizer, key, options", [
    (None, "momentum", {"momentum": 0.9}),
    ("Adam", "betas", {}),
    ("RMSprop", "momentum", {"momentum": 0.5}),
])
@pytest.mark.parametrize("mode", ["triangular", "exp_range"])
def test_momentum_matches_torch(optimizer: str | None, key: str, options: dict[str, Any], mode: str) -> None:
    cls = None if optimizer is None else getattr(torch.optim, optimizer)
    common = {"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.3], "mode": mode, "gamma": 0.95,
              "base_momentum": 0.75, "max_momentum": 0.95, "cycle_momentum": True}
    ours, theirs = run_both(30, 2, {**common, "step_size": 4}, {**common, "step_size_up": 4},
                            momentum_key=key, optimizer=cls, options=options)
    assert_parity(ours, theirs)
    momenta = [row[2] for row in ours]
    assert momenta[0] == 0.95 and min(momenta) == pytest.approx(0.75 if mode == "triangular" else 0.78, abs=0.01)


@settings(max_examples=examples(40))
@given(base_lr=st.floats(1e-6, 1.0), span=st.floats(0.0, 2.0), step_size=st.integers(1, 30),
       step_size_down=st.one_of(st.none(), st.integers(1, 30)),
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.9, 1.0),
       groups=st.integers(1, 3))
def test_parity_with_torch_over_random_arguments(base_lr: float, span: float, step_size: int,
                                                 step_size_down: int | None, mode: str, gamma: float,
                                                 groups: int) -> None:
    steps = min(4 * (step_size + (step_size_down or step_size)), 150)
    common = {"base_lr": base_lr, "max_lr": base_lr + span, "mode": mode, "gamma": gamma}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither scheduler may warn in a proper loop
        ours, theirs = run_both(steps, groups, {**common, "step_size": step_size, "step_size_down": step_size_down},
                                {**common, "step_size_up": step_size, "step_size_down": step_size_down,
                                 "cycle_momentum": False})
    assert_parity(ours, theirs)


def test_moving_a_running_torch_scheduler_over_with_last_epoch() -> None:
    """docs/torch.md, migration: ``last_epoch=old.last_epoch - 1`` continues PyTorch's cycle where it was."""
    theirs_opt = make_optimizer(1)
    theirs = TorchCyclicLR(theirs_opt, 0.01, 0.1, step_size_up=4, mode="triangular2", cycle_momentum=False)
    for _ in range(11):
        theirs_opt.step()
        theirs.step()
    ours_opt = make_optimizer(1)
    ours = CyclicLR(ours_opt, 0.01, 0.1, step_size=4, mode="triangular2", last_epoch=theirs.last_epoch - 1)
    for _ in range(12):
        assert_parity([group_lrs(ours_opt)], [group_lrs(theirs_opt)])
        for opt, scheduler in ((ours_opt, ours), (theirs_opt, theirs)):
            opt.step()
            scheduler.step()
    assert ours.last_epoch == theirs.last_epoch == 23
