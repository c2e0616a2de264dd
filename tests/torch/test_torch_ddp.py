"""DistributedDataParallel, gloo, 2 processes on this machine: same lrs on every rank, exact resume, and one
range-test stop decision and result on every rank (no hang); an empty validation shard on one rank, and an
error on one rank raised on every rank at the same step, with every model restored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from clr_core import CyclicSchedule  # noqa: E402
from clr_torch import CyclicLR, range_test  # noqa: E402
from tests.torch.clr_torch_helpers import free_port, gloo_worker, train_on_sums  # noqa: E402

WORLD = 2
STEPS, SAVE_AT = 10, 4



def build(seed: int) -> tuple[Any, Any, CyclicLR]:
    torch.manual_seed(seed)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size=3, cycle_momentum=True)
    return model, optimizer, scheduler



def run_rank(rank: int, folder: str) -> dict[str, Any]:
    """Train straight through, then save at SAVE_AT (rank 0), resume on fresh objects and finish."""

    def own_data(step: int) -> int:
        return 100 * step + rank  # each rank its own data

    model, optimizer, scheduler = build(seed=0)
    straight = train_on_sums(model, optimizer, scheduler, 0, STEPS, seed=own_data)
    straight_weights = [p.detach().clone() for p in model.parameters()]

    model, optimizer, scheduler = build(seed=0)
    resumed = train_on_sums(model, optimizer, scheduler, 0, SAVE_AT, seed=own_data)
    checkpoint = Path(folder) / "checkpoint.pt"
    if rank == 0:
        torch.save({"model": model.module.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict()}, checkpoint)
    dist.barrier()
    model, optimizer, scheduler = build(seed=rank + 7)  # fresh, and different on each rank
    state = torch.load(checkpoint, map_location="cpu")
    model.module.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    resumed += train_on_sums(model, optimizer, scheduler, SAVE_AT, STEPS, seed=own_data)

    every_rank: list[Any] = [None] * WORLD
    dist.all_gather_object(every_rank, {"straight": straight, "resumed": resumed})
    return {
        "straight": straight,
        "resumed": resumed,
        "ranks_agree": all(item == every_rank[0] for item in every_rank),
        "weights_equal": all(torch.equal(a, b) for a, b in zip(model.parameters(), straight_weights)),
        "iterations": scheduler.history["iterations"].tolist(),
    }


def range_batches(rank: int, count: int) -> list[tuple[Any, Any]]:
    """Each rank its own data; rank 1's is scaled up, so that its own loss would blow up steps before rank
    0's: deciding alone, rank 1 would stop while rank 0 waits in the next gradient all-reduce until the
    process-group timeout."""
    generator = torch.Generator().manual_seed(rank)
    scale = 1.0 + 4.0 * rank  # rank 1: larger inputs, larger losses, an earlier blow-up on its own
    out = []
    for _ in range(count):
        x = scale * torch.randn(16, 4, generator=generator)
        out.append((x, x.sum(dim=1, keepdim=True)))
    return out


def run_range_test_rank(rank: int) -> dict[str, Any]:
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    before = [p.detach().clone() for p in model.parameters()]
    own_losses = []

    def loss_fn(output: Any, target: Any) -> Any:
        loss = torch.nn.functional.mse_loss(output, target)
        if torch.is_grad_enabled():  # a training step, not the evaluation
            own_losses.append(float(loss))
        return loss

    result = range_test(model, optimizer, loss_fn, range_batches(rank, 5), start_lr=1e-4, end_lr=10.0, num_iter=200,
                        validation_data=range_batches(rank + 10, 2), eval_every=20)
    return {"lrs": result.lrs, "losses": result.losses, "stopped_early": result.stopped_early,
            "metrics": result.metrics, "own_losses": own_losses,
            "restored": all(torch.equal(a, b) for a, b in zip(model.parameters(), before))}


def outcome(call: Any) -> dict[str, Any]:
    """What a range test call gave: its result's lrs and metrics, or the exact error it raised."""
    try:
        result = call()
    except Exception as error:  # the test compares what each rank raised
        return {"error": [type(error).__name__, str(error)]}
    return {"lrs": result.lrs, "losses": result.losses, "metrics": result.metrics}


def run_shared_decisions_rank(rank: int) -> dict[str, Any]:
    """Ranks decide together: an empty validation shard on rank 1, errors on one rank, accumulation."""
    out: dict[str, Any] = {}
    own_validation: list[float] = []

    def loss_fn(output: Any, target: Any) -> Any:
        loss = torch.nn.functional.mse_loss(output, target)
        if not torch.is_grad_enabled():
            own_validation.append(float(loss))
        return loss

    def run(data: list[Any], validation: list[Any] | None, buffers: bool = False, **options: Any) -> dict[str, Any]:
        torch.manual_seed(0)
        # with buffers (BatchNorm) a forward of the DDP wrapper broadcasts them: a collective of its own
        module = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1)) \
            if buffers else torch.nn.Linear(4, 1)
        model = torch.nn.parallel.DistributedDataParallel(module)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        before = [p.detach().clone() for p in model.parameters()]
        steps: list[int] = []
        got = outcome(lambda: range_test(model, optimizer, loss_fn, data, start_lr=1e-4, end_lr=1.0, num_iter=12,
                                         validation_data=validation, eval_every=4,
                                         on_step=lambda done, lr, loss: steps.append(done), **options))
        got["steps"] = len(steps)
        got["restored"] = all(torch.equal(a, b) for a, b in zip(model.parameters(), before))
        return got

    data = range_batches(rank, 3)
    own_validation.clear()
    out["empty_shard"] = run(data, range_batches(10, 2) if rank == 0 else [], accumulation_steps=2, buffers=True)
    out["own_validation"] = list(own_validation)
    out["no_validation_anywhere"] = run(data, [])
    bad = [data[0], data[1], {"x": data[2][0]}] if rank == 1 else data
    out["bad_batch_on_rank_1"] = run(bad, None)
    bad_validation = [data[0][0]] if rank == 0 else range_batches(10, 1)
    out["bad_validation_on_rank_0"] = run(data, bad_validation)
    return out


def run_all(rank: int, folder: str) -> dict[str, Any]:
    """Every check of this module on one rank."""
    return {"resume": run_rank(rank, folder), "range_test": run_range_test_rank(rank),
            "together": run_shared_decisions_rank(rank)}


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """One spawn of two processes for every test here: each start costs seconds."""
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("needs torch.distributed gloo")
    folder = tmp_path_factory.mktemp("ddp")
    torch.multiprocessing.spawn(gloo_worker, args=(free_port(), WORLD, str(folder), run_all), nprocs=WORLD, join=True)
    return [json.loads((folder / f"rank{rank}.json").read_text()) for rank in range(WORLD)]


def test_ddp_ranks_apply_the_same_lrs_and_resume_exactly(ranks: list[dict[str, Any]]) -> None:
    results = [rank["resume"] for rank in ranks]
    expected = [CyclicSchedule(0.01, 0.1, 3).lr_at(i) for i in range(STEPS)]
    for result in results:
        assert result["straight"] == expected and result["resumed"] == expected
        assert result["ranks_agree"] and result["weights_equal"]
        assert result["iterations"] == list(range(1, STEPS + 1))


def test_every_rank_takes_the_same_range_test_stop_decision_and_returns_the_same_result(
        ranks: list[dict[str, Any]]) -> None:
    first, second = (rank["range_test"] for rank in ranks)
    assert first["stopped_early"] and len(first["lrs"]) < 200  # it diverged, and both ranks stopped there
    for key in ("lrs", "losses", "stopped_early", "metrics"):
        assert first[key] == second[key], key
    assert first["own_losses"] != second["own_losses"]  # each rank saw its own data ...
    mean = [(a + b) / 2 for a, b in zip(first["own_losses"], second["own_losses"])]
    assert first["losses"] == pytest.approx(mean, rel=1e-6)  # ... and both recorded the mean of the two
    steps = len(first["lrs"])
    assert len(first["metrics"]["val_loss"]) == steps // 20 + (steps % 20 > 0)
    assert first["restored"] and second["restored"]


def test_an_empty_validation_shard_on_one_rank_is_fine_when_the_total_is_not(ranks: list[dict[str, Any]]) -> None:
    first, second = (rank["together"] for rank in ranks)
    assert "error" not in first["empty_shard"], first["empty_shard"]
    assert first["empty_shard"] == second["empty_shard"]
    assert first["empty_shard"]["steps"] >= 8 and first["empty_shard"]["restored"] and second["empty_shard"]["restored"]
    # rank 0 alone held validation batches (two per evaluation): the val_loss is the mean of its own
    own = first["own_validation"]
    assert second["own_validation"] == []
    assert first["empty_shard"]["metrics"]["val_loss"] == pytest.approx(
        [(own[k] + own[k + 1]) / 2 for k in range(0, len(own), 2)], rel=1e-9)


def test_an_error_on_one_rank_is_raised_on_every_rank_at_the_same_step(ranks: list[dict[str, Any]]) -> None:
    first, second = (rank["together"] for rank in ranks)
    message = ("validation_data held no batch (on any rank): it must hold at least one each time it is read (a list "
               "or a DataLoader, not a generator)")
    for rank in (first, second):
        assert rank["no_validation_anywhere"]["error"] == ["ValueError", message]
        assert rank["no_validation_anywhere"]["steps"] == 3  # the first evaluation, after step 4, raised
    # rank 1's third batch is a dict: rank 1 raises its own error, rank 0 says which rank failed, both at step 3
    assert second["bad_batch_on_rank_1"]["error"] == [
        "TypeError", "data must give (x, y) batches for loss_fn(model(x), y), got a dict batch with keys ['x']: for "
                     "any other batch pass batch_loss=lambda model, batch: <its loss> and None as loss_fn"]
    assert first["bad_batch_on_rank_1"]["error"] == [
        "RuntimeError", "rank 1 raised while reading the training data: the range test stops on every rank (that "
                        "rank's own error says why); the model and optimizer are restored"]
    assert first["bad_batch_on_rank_1"]["steps"] == second["bad_batch_on_rank_1"]["steps"] == 2
    assert first["bad_validation_on_rank_0"]["error"][0] == "TypeError"
    assert second["bad_validation_on_rank_0"]["error"] == [
        "RuntimeError", "rank 0 raised in the evaluation: the range test stops on every rank (that rank's own "
                        "error says why); the model and optimizer are restored"]
    for rank in (first, second):
        assert all(rank[key]["restored"] for key in rank if key != "own_validation")
