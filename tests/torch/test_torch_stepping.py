"""What the torch scheduler records and checks about the optimizer's real steps (optimizer step hooks).

A step GradScaler skips is not recorded (the rate moves on, as PyTorch's schedulers do); a scheduler stepped
once per many optimizer steps, or several times per optimizer step, warns once, naming the fix; the right
rate never warns.
"""

from __future__ import annotations

import warnings

import pytest

from clr_torch import CyclicLR
from clr_torch.scheduler import CALL_ORDER_WARNING
from clr_torch.stepping import SETTLED, TOO_OFTEN_WARNING, TOO_RARELY_WARNING

torch = pytest.importorskip("torch")


def one_weight(lr: float = 0.1) -> tuple[torch.nn.Parameter, torch.optim.SGD]:
    """One weight under plain SGD: with gradient g, a step at rate lr moves it by exactly -lr * g."""
    weight = torch.nn.Parameter(torch.zeros(()))
    return weight, torch.optim.SGD([weight], lr=lr)


def amp_run(scheduler_class, skipped=(2, 6), steps=10):
    """PyTorch's AMP recipe on CPU; the loss of each step in `skipped` has an infinite gradient."""
    weight, optimizer = one_weight()
    scheduler = scheduler_class(optimizer)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4)
    moves, offered = [], []
    for step in range(steps):
        offered.append(optimizer.param_groups[0]["lr"])
        slope = float("inf") if step in skipped else 1.0
        before = weight.item()
        scaler.scale(weight * slope).backward()  # gradient 1.0, or inf
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
        scheduler.step()
        moves.append(before - weight.item())
    return scheduler, moves, offered


def ours(optimizer):
    return CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)


def theirs(optimizer):
    return torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size_up=4,
                                             cycle_momentum=False)


def test_gradscaler_skips_are_not_recorded_and_the_rate_moves_on_as_pytorchs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler, moves, offered = amp_run(ours)
    _, torch_moves, torch_offered = amp_run(theirs)
    assert offered == pytest.approx(torch_offered, rel=1e-12)  # PyTorch's convention: the rate moves on
    assert moves == pytest.approx(torch_moves, rel=1e-12)
    ran = [(step, moves[step]) for step in range(10) if moves[step] != 0.0]
    assert [step for step, _ in ran] == [0, 1, 3, 4, 5, 7, 8, 9]  # the two skipped steps moved nothing
    # 10 scheduler steps, 2 skipped: 8 rows, each the rate its step applied (SGD moved the weight by lr * 1.0)
    assert scheduler.history["iterations"] == [1, 2, 4, 5, 6, 8, 9, 10]
    assert scheduler.history["lr"] == pytest.approx([move for _, move in ran], rel=1e-6)
    assert scheduler.state.total_iterations == 10 and scheduler.last_epoch == 10


def train(scheduler_steps_per_optimizer_step=1, optimizer_steps_per_scheduler_step=1, updates=12, **options):
    """`updates` scheduler steps (or optimizer steps), each rate as given; returns the scheduler and warnings."""
    weight, optimizer = one_weight()
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4, **options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(updates):
            for _ in range(optimizer_steps_per_scheduler_step):
                weight.grad = torch.ones(())
                optimizer.step()
            for _ in range(scheduler_steps_per_optimizer_step):
                scheduler.step()
    return scheduler, [str(item.message) for item in caught]


def test_gradscaler_skipping_early_steps_does_not_warn():
    """fp16's first steps: a skip before the first applied step, then skips between the first few applied."""
    skipped = (0, 2, 3, 5, 6, 8)
    with warnings.catch_warnings():
        # a skipped first step gets torch's call-order warning, as PyTorch's schedulers do; ours must not warn
        warnings.filterwarnings("error", message="CyclicLR: ")
        scheduler, moves, _ = amp_run(ours, skipped=skipped, steps=30)
    assert len(scheduler.history["iterations"]) == 30 - len(skipped) == sum(move != 0.0 for move in moves)


def test_the_right_rate_never_warns_and_records_every_step():
    scheduler, caught = train()
    assert caught == []
    assert scheduler.history["iterations"] == list(range(1, 13))


def test_a_plan_stepped_once_per_epoch_warns_once_naming_lightnings_interval():
    scheduler, caught = train(optimizer_steps_per_scheduler_step=5, updates=3)
    assert caught == [TOO_RARELY_WARNING.format(applied=5)]
    assert "'interval': 'step'" in caught[0]
    assert caught[0] == (
        "CyclicLR: scheduler.step() was called once for 5 optimizer steps, so the schedule runs 5x slower than "
        "planned (its plan counts optimizer steps). Call scheduler.step() after every optimizer.step(); in "
        "Lightning return {'scheduler': scheduler, 'interval': 'step'} from configure_optimizers (its default "
        "interval is 'epoch')")


@pytest.mark.parametrize("per_step", [2, 4])
def test_a_plan_stepped_several_times_per_optimizer_step_warns_once_naming_the_fixes(per_step):
    """Accelerate with `per_step` processes (its default), or a step per micro-batch under accumulation."""
    scheduler, caught = train(scheduler_steps_per_optimizer_step=per_step, updates=SETTLED + 2)
    assert len(caught) == 1
    # judged once the optimizer has taken SETTLED steps: the first scheduler step after it without one
    assert caught[0] == TOO_OFTEN_WARNING.format(idle=(per_step - 1) * (SETTLED - 1) + 1, applied=SETTLED)
    assert "step_scheduler_with_optimizer=False" in caught[0] and "per micro-batch" in caught[0]
    # one row per optimizer step: the scheduler step right after it; the others ran nothing
    assert scheduler.history["iterations"] == list(range(1, (SETTLED + 2) * per_step, per_step))


def test_the_too_often_message_in_full():
    assert TOO_OFTEN_WARNING.format(idle=2, applied=2) == (
        "CyclicLR: 2 of the scheduler.step() calls since the optimizer's first step followed no optimizer.step() "
        "(2 optimizer steps so far), so the schedule runs faster than planned (and those calls are not "
        "recorded). Call scheduler.step() once per optimizer step: under gradient accumulation once per "
        "accumulated update, not per micro-batch; with Accelerate and several processes, build "
        "Accelerator(step_scheduler_with_optimizer=False) and step it yourself after optimizer.step()")


def test_micro_batch_stepping_under_accumulation_warns_and_one_step_per_update_does_not():
    def run(per_micro_batch):
        weight, optimizer = one_weight()
        scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for batch in range(4 * (SETTLED + 2)):
                (weight * 1.0).backward()
                if batch % 4 == 3:
                    optimizer.step()
                    optimizer.zero_grad()
                    if not per_micro_batch:
                        scheduler.step()
                if per_micro_batch:
                    scheduler.step()
        return scheduler, [str(item.message) for item in caught]

    right, none = run(per_micro_batch=False)
    assert none == [] and right.history["iterations"] == list(range(1, SETTLED + 3))
    _, caught = run(per_micro_batch=True)
    # torch's own call-order warning (the first micro-batch steps before any optimizer step), then ours, once
    assert caught == [CALL_ORDER_WARNING, TOO_OFTEN_WARNING.format(idle=3 * (SETTLED - 1) + 1, applied=SETTLED)]


def test_the_first_iteration_call_order_mistake_gets_torchs_warning_only():
    weight, optimizer = one_weight()
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step()  # before any optimizer.step(): torch warns; the step did not run, so it is not recorded
        for _ in range(6):
            weight.grad = torch.ones(())
            optimizer.step()
            scheduler.step()
    assert [str(item.message) for item in caught] == [CALL_ORDER_WARNING]
    assert scheduler.history["iterations"] == [2, 3, 4, 5, 6, 7]


def test_resume_and_a_sequential_milestone_do_not_warn():
    first, _ = train(updates=5)
    weight, optimizer = one_weight()
    warmup = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=0.5, total_iters=3)
    resumed = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=4)
    resumed.load_state_dict(first.state_dict())
    sequential = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, resumed], milestones=[3])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(8):
            weight.grad = torch.ones(())
            optimizer.step()
            sequential.step()
    assert [str(item.message) for item in caught if "CyclicLR" in str(item.message)] == []
    assert resumed.history["iterations"][-1] > 5  # it recorded the steps it ran after the milestone
