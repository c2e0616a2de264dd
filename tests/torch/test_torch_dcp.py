"""PyTorch's distributed checkpoint (DCP) loads in place into a template's keys: the usual resume (a fresh
scheduler's `state_dict()` as the template, `dcp.load`, `load_state_dict`) brings the whole state back,
history included, because the state dict has the same keys whatever was recorded. One process without a
process group, and FSDP2 on 2 gloo processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
dcp = pytest.importorskip("torch.distributed.checkpoint")

from torch.distributed.checkpoint._nested_dict import flatten_state_dict  # noqa: E402

from clr_core import OneCycle  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402
from tests.torch.clr_torch_helpers import free_port, gloo_worker, train_on_sums  # noqa: E402

STEPS, SAVE_AT = 12, 7


def build(seed: int = 0, **options: Any) -> tuple[Any, Any, CyclicLR]:
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=1.0, momentum=0.9)
    return model, optimizer, CyclicLR(optimizer, base_lr=0.01, max_lr=[0.1, 0.2], step_size=3, **options)



def keys(state: dict[str, Any]) -> list[str]:
    """The keys DCP saves and loads: the flattened paths of the state, as DCP itself flattens it."""
    return sorted(flatten_state_dict(state)[0])


@pytest.mark.parametrize("options", [{}, {"cycle_momentum": True}, {"keep_history": 5}, {"keep_history": False}])
def test_a_fresh_and_a_used_scheduler_have_the_same_keys(options):
    _, _, fresh = build(**options)
    model, optimizer, used = build(**options)
    train_on_sums(model, optimizer, used, 0, SAVE_AT)
    used._state.log(loss=0.5)  # a metric column the fresh one lacks
    assert keys({"sched": fresh.state_dict()}) == keys({"sched": used.state_dict()})


@pytest.mark.filterwarnings("ignore:torch.distributed is disabled:UserWarning")  # one process, as intended
def test_dcp_round_trips_the_history_into_a_fresh_schedulers_template(tmp_path):
    model, optimizer, scheduler = build(cycle_momentum=True)
    straight = train_on_sums(model, optimizer, scheduler, 0, STEPS)
    model, optimizer, scheduler = build(cycle_momentum=True)
    resumed = train_on_sums(model, optimizer, scheduler, 0, SAVE_AT)
    saved_history = scheduler.history.to_dict()
    dcp.save({"sched": scheduler.state_dict(), "optim": optimizer.state_dict(), "model": model.state_dict()},
             checkpoint_id=tmp_path)
    model, optimizer, scheduler = build(seed=3, cycle_momentum=True)
    template = {"sched": scheduler.state_dict(), "optim": optimizer.state_dict(), "model": model.state_dict()}
    dcp.load(template, checkpoint_id=tmp_path)
    model.load_state_dict(template["model"])
    optimizer.load_state_dict(template["optim"])
    scheduler.load_state_dict(template["sched"])
    assert scheduler.history.to_dict() == saved_history and len(saved_history["lr"]) == SAVE_AT
    resumed += train_on_sums(model, optimizer, scheduler, SAVE_AT, STEPS)
    assert resumed == straight
    assert scheduler.history["iterations"] == list(range(1, STEPS + 1))


def test_a_history_lost_on_the_way_is_refused(tmp_path):
    """A loader that fills the counters but keeps the template's (empty) history must not load silently."""
    model, optimizer, scheduler = build()
    train_on_sums(model, optimizer, scheduler, 0, SAVE_AT)
    saved = scheduler.state_dict()
    _, _, fresh = build()
    lost = {**saved, "schedule_state": {**saved["schedule_state"], "history": {
        **fresh.state_dict()["schedule_state"]["history"], "steps": SAVE_AT}}}
    with pytest.raises(ValueError, match="'iterations' has 0 entries, but a history that keeps everything holds 7"):
        fresh.load_state_dict(lost)
    assert fresh.last_epoch == 0 and fresh.history == {}


# FSDP2 and DCP on 2 gloo processes.

WORLD = 2



def fsdp_build(seed: int) -> tuple[Any, Any, CyclicLR]:
    from torch.distributed.fsdp import fully_shard

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 1))
    for layer in model:
        fully_shard(layer)
    fully_shard(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    scheduler = CyclicLR(optimizer, schedule=OneCycle(0.1, STEPS), cycle_momentum=True)
    return model, optimizer, scheduler


def run_fsdp_rank(rank: int, folder: str) -> dict[str, Any]:
    """Train straight through, and again with a DCP save and load into fresh objects halfway: what each did."""
    from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

    model, optimizer, scheduler = fsdp_build(seed=0)
    straight = train_on_sums(model, optimizer, scheduler, 0, STEPS)
    model, optimizer, scheduler = fsdp_build(seed=0)
    resumed = train_on_sums(model, optimizer, scheduler, 0, SAVE_AT)
    model_state, optimizer_state = get_state_dict(model, optimizer)
    dcp.save({"model": model_state, "optim": optimizer_state, "sched": scheduler.state_dict()},
             checkpoint_id=Path(folder) / "checkpoint")
    model, optimizer, scheduler = fsdp_build(seed=rank + 7)  # fresh, and different on each rank
    model_state, optimizer_state = get_state_dict(model, optimizer)
    template = {"model": model_state, "optim": optimizer_state, "sched": scheduler.state_dict()}
    dcp.load(template, checkpoint_id=Path(folder) / "checkpoint")
    set_state_dict(model, optimizer, model_state_dict=template["model"], optim_state_dict=template["optim"])
    scheduler.load_state_dict(template["sched"])
    history_after_load = scheduler.history.to_dict()
    resumed += train_on_sums(model, optimizer, scheduler, SAVE_AT, STEPS)
    return {"straight": straight, "resumed": resumed, "history_after_load": history_after_load,
            "iterations": scheduler.history["iterations"].tolist()}


def test_fsdp2_and_dcp_on_two_gloo_processes_resume_the_whole_state(tmp_path):
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("needs torch.distributed gloo")
    torch.multiprocessing.spawn(gloo_worker, args=(free_port(), WORLD, str(tmp_path), run_fsdp_rank), nprocs=WORLD,
                                join=True)
    for rank in range(WORLD):
        result = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert result["resumed"] == result["straight"]
        assert result["history_after_load"]["iterations"] == list(range(1, SAVE_AT + 1))
        assert len(result["history_after_load"]["lr"]) == SAVE_AT
        assert result["iterations"] == list(range(1, STEPS + 1))
