"""Optimizer param groups: writing values without aliasing.

A param group's ``lr`` (or ``momentum``, or ``betas[0]``) may be a Python number or a ``torch.Tensor`` (the
``torch.compile``-friendly setup). A tensor is filled in place, so anything holding it (a compiled graph, a
fused optimizer) sees the new value; a number is replaced.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor


def write_value(group: dict[str, Any], key: str, value: float) -> None:
    """Set ``group[key]`` to `value`: a tensor already there is filled in place, anything else replaced.

    Examples:
        >>> import torch
        >>> group = {"lr": torch.tensor(0.1), "momentum": 0.9}
        >>> held = group["lr"]
        >>> write_value(group, "lr", 0.5); write_value(group, "momentum", 0.8)
        >>> group["lr"] is held, float(held), group["momentum"]
        (True, 0.5, 0.8)
    """
    current = group[key]
    if isinstance(current, Tensor):
        current.fill_(value)
    else:
        group[key] = value


def value_copy(value: Any) -> Any:
    """A number as is, a tensor as a clone: what `get_last_lr()` hands out, so callers cannot alias it."""
    return value.clone() if isinstance(value, Tensor) else value
