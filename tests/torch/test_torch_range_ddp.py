"""The range test under DistributedDataParallel (gloo, 2 processes): one stop decision, one result, no hang.

Each rank trains on its own data, and rank 1's data is scaled up so that its own loss would blow up steps
before rank 0's: deciding alone, rank 1 would stop while rank 0 waits in the next gradient all-reduce until
the process-group timeout.
"""

from __future__ import annotations

import gc
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from clr_torch import range_test  # noqa: E402

from .test_torch_ddp import free_port  # noqa: E402

WORLD = 2


def batches(rank: int, count: int) -> list[tuple[Any, Any]]:
    generator = torch.Generator().manual_seed(rank)
    scale = 1.0 + 4.0 * rank  # rank 1: larger inputs, larger losses, an earlier blow-up on its own
    out = []
    for _ in range(count):
        x = scale * torch.randn(16, 4, generator=generator)
        out.append((x, x.sum(dim=1, keepdim=True)))
    return out


def run_rank(rank: int) -> dict[str, Any]:
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

    result = range_test(model, optimizer, loss_fn, batches(rank, 5), start_lr=1e-4, end_lr=10.0, num_iter=200,
                        validation_data=batches(rank + 10, 2), eval_every=20)
    return {"lrs": result.lrs, "losses": result.losses, "stopped_early": result.stopped_early,
            "metrics": result.metrics, "own_losses": own_losses,
            "restored": all(torch.equal(a, b) for a, b in zip(model.parameters(), before))}


def worker(rank: int, port: int, folder: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD,
                            timeout=timedelta(seconds=30))
    try:
        result = run_rank(rank)
        gc.collect()  # every DDP model is gone before the group is
        (Path(folder) / f"rank{rank}.json").write_text(json.dumps(result))
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed gloo")
def test_every_rank_takes_the_same_stop_decision_and_returns_the_same_result(tmp_path: Path) -> None:
    torch.multiprocessing.spawn(worker, args=(free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    first, second = (json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in range(WORLD))
    assert first["stopped_early"] and len(first["lrs"]) < 200  # it diverged, and both ranks stopped there
    for key in ("lrs", "losses", "stopped_early", "metrics"):
        assert first[key] == second[key], key
    assert first["own_losses"] != second["own_losses"]  # each rank saw its own data ...
    mean = [(a + b) / 2 for a, b in zip(first["own_losses"], second["own_losses"])]
    assert first["losses"] == pytest.approx(mean, rel=1e-6)  # ... and both recorded the mean of the two
    steps = len(first["lrs"])
    assert len(first["metrics"]["val_loss"]) == steps // 20 + (steps % 20 > 0)
    assert first["restored"] and second["restored"]
