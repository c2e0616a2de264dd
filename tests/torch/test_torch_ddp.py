"""DistributedDataParallel, gloo, 2 processes on this machine: same lrs on every rank, exact resume."""

from __future__ import annotations

import gc
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from clr_core import CyclicSchedule  # noqa: E402
from clr_torch import CyclicLR  # noqa: E402

WORLD = 2
STEPS, SAVE_AT = 10, 4


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(seed: int) -> tuple[Any, Any, CyclicLR]:
    torch.manual_seed(seed)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size=3, cycle_momentum=True)
    return model, optimizer, scheduler


def train(rank: int, model: Any, optimizer: Any, scheduler: CyclicLR, start: int, stop: int) -> list[float]:
    used = []
    for step in range(start, stop):
        generator = torch.Generator().manual_seed(100 * step + rank)  # each rank its own data
        x = torch.randn(8, 4, generator=generator)
        loss = (model(x) - x.sum(dim=1, keepdim=True)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return used


def run_rank(rank: int, folder: str) -> dict[str, Any]:
    """Train straight through, then save at SAVE_AT (rank 0), resume on fresh objects and finish."""
    model, optimizer, scheduler = build(seed=0)
    straight = train(rank, model, optimizer, scheduler, 0, STEPS)
    straight_weights = [p.detach().clone() for p in model.parameters()]

    model, optimizer, scheduler = build(seed=0)
    resumed = train(rank, model, optimizer, scheduler, 0, SAVE_AT)
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
    resumed += train(rank, model, optimizer, scheduler, SAVE_AT, STEPS)

    every_rank: list[Any] = [None] * WORLD
    dist.all_gather_object(every_rank, {"straight": straight, "resumed": resumed})
    return {
        "straight": straight,
        "resumed": resumed,
        "ranks_agree": all(item == every_rank[0] for item in every_rank),
        "weights_equal": all(torch.equal(a, b) for a, b in zip(model.parameters(), straight_weights)),
        "iterations": scheduler.history["iterations"].tolist(),
    }


def worker(rank: int, port: int, folder: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD,
                            timeout=timedelta(seconds=60))
    try:
        result = run_rank(rank, folder)
        # Every DDP model is gone before the group is: one outliving it can abort the process at exit.
        gc.collect()
        (Path(folder) / f"rank{rank}.json").write_text(json.dumps(result))
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed gloo")
def test_ddp_ranks_apply_the_same_lrs_and_resume_exactly(tmp_path: Path) -> None:
    torch.multiprocessing.spawn(worker, args=(free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    results = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in range(WORLD)]
    expected = [CyclicSchedule(0.01, 0.1, 3).lr_at(i) for i in range(STEPS)]
    for result in results:
        assert result["straight"] == expected and result["resumed"] == expected
        assert result["ranks_agree"] and result["weights_equal"]
        assert result["iterations"] == list(range(1, STEPS + 1))
