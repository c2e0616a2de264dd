"""Decisions every rank of a `torch.distributed` process group takes together, for the range test.

Outside a process group each helper is the plain single-process operation. Inside one, a value one rank
alone decides (a loss, a sum, "this step raised") is reduced across the ranks first, so that every rank
records the same curve, stops at the same step, and raises at the same step: none is left waiting in a
collective that another rank, gone on to raise, never joins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

T = TypeVar("T")


def in_process_group() -> bool:
    """True under an initialized `torch.distributed` process group."""
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _device() -> str:
    return "cuda" if torch.distributed.get_backend() == "nccl" else "cpu"


def sum_across(values: list[float]) -> list[float]:
    """Each value summed over every rank (the values themselves outside a process group)."""
    if not in_process_group():
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=_device())
    torch.distributed.all_reduce(tensor)
    return [float(value) for value in tensor]


def mean_across(value: float) -> float:
    """The mean of a number over every rank, so each records the same and stops at the same step."""
    if not in_process_group():
        return value
    return sum_across([value])[0] / torch.distributed.get_world_size()


def together(work: Callable[[], T], what: str) -> T:
    """``work()`` on this rank; when it raises on any rank, every rank raises, at this same point.

    `what` ends the other ranks' message: ``"rank 1 raised <what>: ..."``, e.g. ``"in the evaluation"``.

    The rank whose `work` raised raises its own error; every other rank raises a RuntimeError that names
    the ranks that failed. One small all-reduce per call, and only inside a process group.
    """
    if not in_process_group():
        return work()
    try:
        value = work()
    except Exception:
        _agree(failed=True, what=what)
        raise
    _agree(failed=False, what=what)
    return value


def _agree(*, failed: bool, what: str) -> None:
    flags = torch.zeros(torch.distributed.get_world_size(), dtype=torch.float64, device=_device())
    flags[torch.distributed.get_rank()] = float(failed)
    torch.distributed.all_reduce(flags)
    failed_ranks = [rank for rank, flag in enumerate(flags.tolist()) if flag]
    if failed_ranks and not failed:
        who = f"rank {failed_ranks[0]}" if len(failed_ranks) == 1 else f"ranks {failed_ranks}"
        raise RuntimeError(f"{who} raised {what}: the range test stops "
                           f"on every rank (that rank's own error says why); the model and optimizer are restored")
