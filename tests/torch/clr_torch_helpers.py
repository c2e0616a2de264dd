"""Shared helpers for the clr_torch tests: small optimizers over real parameters, and group snapshots.

A plain module (not a conftest), imported by the test modules of this package.
"""

from __future__ import annotations

import copy
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
