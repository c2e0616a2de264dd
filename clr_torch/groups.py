"""Optimizer param groups: one value per group from an argument, and writing values without aliasing.

A param group's ``lr`` (or ``momentum``, or ``betas[0]``) may be a Python number or a ``torch.Tensor`` (the
``torch.compile``-friendly setup). A tensor is filled in place, so anything holding it (a compiled graph, a
fused optimizer) sees the new value; a number is replaced.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor


def per_group(name: str, value: Any, count: int) -> list[Any]:
    """`value` repeated for `count` param groups, or a list/tuple of exactly `count` values as a list.

    Args:
        name: the argument's name, for the error message.
        value: one value for every group, or a list/tuple with one value per group.
        count: the number of param groups.

    Raises:
        ValueError: a list/tuple of another length.

    Examples:
        >>> per_group("base_lr", 0.1, 2), per_group("base_lr", (0.1, 0.2), 2)
        ([0.1, 0.1], [0.1, 0.2])
    """
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{name} must be one value or a list of {count} (one per param group), "
                             f"got {len(value)} values: {list(value)!r}")
        return list(value)
    return [value] * count


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
