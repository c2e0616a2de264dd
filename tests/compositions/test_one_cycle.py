"""`OneCycle` against PyTorch's `OneCycleLR`, step for step, lr and momentum."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clr_core import Anneal, OneCycle, ScheduleState, momentum_for, schedule_from_config, schedule_to_config
from tests.errors import raised
from tests.hypothesis_profiles import examples


def torch_one_cycle(total, **kwargs):
    torch = pytest.importorskip("torch")
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, total_steps=total, **kwargs)
    lrs, momenta = [], []
    for step in range(total):
        lrs.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        if step < total - 1:
            scheduler.step()
    return lrs, momenta


@settings(max_examples=examples(40))
@given(total=st.integers(20, 400), pct=st.floats(0.1, 0.45), strategy=st.sampled_from(["cos", "linear"]),
       three_phase=st.booleans(), max_lr=st.floats(1e-3, 1.0), div=st.floats(1.0, 50.0), final=st.floats(1.0, 1e4))
def test_lrs_and_momenta_match_pytorch_one_cycle(total, pct, strategy, three_phase, max_lr, div, final):
    arguments = dict(max_lr=max_lr, pct_start=pct, anneal_strategy=strategy, three_phase=three_phase,
                     div_factor=div, final_div_factor=final)
    lrs, momenta = torch_one_cycle(total, **arguments)
    ours = OneCycle(total_steps=total, **arguments)
    momentum = momentum_for(ours, 0.85, 0.95)
    assert [ours.lr_at(i) for i in range(total)] == pytest.approx(lrs, rel=1e-9)
    assert [momentum.lr_at(i) for i in range(total)] == pytest.approx(momenta, rel=1e-9)


def test_past_the_last_step_it_holds_repeats_or_raises_clearly():
    assert OneCycle(1.0, 10).lr_at(25) == OneCycle(1.0, 10).lr_at(9)
    assert OneCycle(1.0, 10, after="repeat").lr_at(13) == OneCycle(1.0, 10).lr_at(3)
    with pytest.raises(ValueError, match="covers iterations 0 to 9 and iteration 10 is past its end"):
        OneCycle(1.0, 10, after="raise").lr_at(10)


def test_with_raise_every_one_of_the_total_steps_runs_as_in_pytorch():
    state = ScheduleState(OneCycle(1.0, 10, after="raise"))
    lrs = [state.step() for _ in range(9)]
    state.step()  # the tenth step, the last of total_steps, is recorded
    assert len(state.history["lr"]) == 10 and state.history["lr"][1:] == lrs
    with pytest.raises(ValueError, match="iteration 10 is past its end"):
        state.step()


def test_one_cycle_saves_and_resumes():
    schedule = OneCycle(0.5, 100, three_phase=True, anneal_strategy="linear")
    assert schedule_from_config(json.loads(json.dumps(schedule_to_config(schedule)))) == schedule
    original = ScheduleState(schedule)
    for _ in range(40):
        original.step()
    restored = ScheduleState(OneCycle(0.5, 100, three_phase=True, anneal_strategy="linear"))
    restored.load_state_dict(original.state_dict())
    assert [restored.step() for _ in range(50)] == [original.step() for _ in range(50)]


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"max_lr": 0, "total_steps": 10}, ValueError, "max_lr must be a finite number > 0, got 0"),
    ({"max_lr": 1, "total_steps": 10.0}, TypeError, "total_steps must be an int >= 2, got float 10.0"),
    ({"max_lr": 1, "total_steps": 2**53 + 1}, ValueError,
     "total_steps must be an int in [2, 2**53], got 9007199254740993"),
    ({"max_lr": 1, "total_steps": 10, "pct_start": 1.2}, ValueError,
     "pct_start must be a finite number in (0, 1), got 1.2"),
    ({"max_lr": 1, "total_steps": 3, "pct_start": 0.1}, ValueError,
     "pct_start * total_steps must leave every phase at least one step: pct_start=0.1 with total_steps=3 gives "
     "phase ends [-0.7, 2.0]"),
    ({"max_lr": 1, "total_steps": 10, "anneal_strategy": "exp"}, ValueError,
     "anneal_strategy must be one of 'cos', 'linear', got 'exp'"),
    ({"max_lr": 1, "total_steps": 10, "div_factor": 0.5}, ValueError,
     "div_factor must be a finite number >= 1, got 0.5"),
    ({"max_lr": 1, "total_steps": 10, "three_phase": 1}, TypeError, "three_phase must be True or False, got int 1"),
])
def test_bad_one_cycle_arguments_are_refused(arguments, error, message):
    assert raised(OneCycle, **arguments) == (error, message)


def test_the_cosine_keeps_both_ends_whatever_their_ratio():
    """The textbook ``end + (start - end) / 2 * (1 + cos(pi p))`` gave 0.0 for a start below half an ulp of end."""
    schedule = OneCycle(1.0, 100, div_factor=1e20)
    assert schedule.lr_at(0) == 1e-20 and schedule.lr_at(99) == schedule.min_lr == 1e-24
    assert Anneal(1e-30, 1.0, 10, shape="cosine").lr_at(0) == 1e-30
    # near the end the small term survives; the textbook form, which loses about 5 of its 16 digits there,
    # agrees to 1e-9
    tail = Anneal(1.0, 1e-12, 1000, shape="cosine").lr_at(999)
    textbook = 1e-12 + (1.0 - 1e-12) / 2 * (1 + math.cos(math.pi * 0.999))
    assert tail == pytest.approx(textbook, rel=1e-9)
