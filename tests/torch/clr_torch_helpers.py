"""Shared helpers for the clr_torch tests: small optimizers over real parameters, and group snapshots.

A plain module (not a conftest), imported by the test modules of this package.
"""

from __future__ import annotations

import copy
import gc
import json
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")


def make_optimizer(groups: int = 1, cls: Any = None, lr: float = 0.5, **options: Any) -> Any:
    """An optimizer (SGD by default) with `groups` param groups, one small parameter each."""
    cls = torch.optim.SGD if cls is None else cls
    params = [{"params": [torch.nn.Parameter(torch.full((2,), float(k + 1)))]} for k in range(groups)]
    return cls(params, lr=lr, **options)


def group_snapshot(optimizer: Any) -> list[dict[str, Any]]:
    """Everything in the param groups except the parameters, deep-copied (tensors cloned)."""
    return [copy.deepcopy({key: value for key, value in group.items() if key != "params"})
            for group in optimizer.param_groups]


def group_lrs(optimizer: Any) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    """Relative difference at most `rel` (exact zeros compare equal)."""
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def free_port() -> int:
    """A free TCP port on loopback, for a process group of test processes."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def join_gloo(rank: int, port: int, world: int) -> None:
    """Join a gloo process group of `world` test processes on loopback, with a timeout that bounds a hang."""
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                         world_size=world, timeout=timedelta(seconds=60))


def gloo_worker(rank: int, port: int, world: int, folder: str, run: Callable[[int, str], dict[str, Any]]) -> None:
    """One of `world` test processes: join the group, ``run(rank, folder)``, write its result to ``rank<rank>.json``.

    Every model of `run` is gone before the group is (a DDP or FSDP object outliving it can abort the process
    at exit: "terminate called without an active exception"), and no rank leaves before the others wrote.
    """
    join_gloo(rank, port, world)
    try:
        result = run(rank, folder)
        gc.collect()
        (Path(folder) / f"rank{rank}.json").write_text(json.dumps(result))
        torch.distributed.barrier()
    finally:
        torch.distributed.destroy_process_group()


def train_on_sums(model: Any, optimizer: Any, scheduler: Any, start: int, stop: int,
                  seed: Callable[[int], int] = lambda step: step) -> list[float]:
    """Steps `start` to `stop` of learning the sum of 4 random inputs (the data of step k from ``seed(k)``).

    Returns the lr of param group 0 at each step, read before the optimizer applies it.
    """
    used = []
    for step in range(start, stop):
        x = torch.randn(8, 4, generator=torch.Generator().manual_seed(seed(step)))
        loss = (model(x) - x.sum(dim=1, keepdim=True)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return used
