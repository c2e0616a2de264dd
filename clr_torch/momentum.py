"""Momentum cycled inversely to the learning rate, computed by `clr_core`, written where the optimizer keeps it.

Smith (arXiv:1803.09820) pairs a rising lr with a falling momentum. The momentum of each param group is a
core schedule, ``clr_core.momentum_for(lr_schedule, base_momentum, max_momentum)``, stepped and recorded by
the scheduler's `clr_core.ScheduleState` at the same cycle iteration as the lr; this module only checks the
bounds and writes the values. For any kind but a one-cycle that is the lr mapped from the schedule's
``lr_range()`` onto the momentum range, reversed (`clr_core.Mirrored`); for a `CyclicSchedule`::

    momentum = max_momentum - (max_momentum - base_momentum) * (lr - base_lr) / (max_lr - base_lr)

clipped to ``[base_momentum, max_momentum]``. So the momentum is `max_momentum` at ``lr == base_lr`` and
`base_momentum` at ``lr == max_lr``; amplitude scaling (``'triangular2'``, ``'exp_range'``, a custom
``scale_fn``) shrinks both swings alike, as in PyTorch's ``CyclicLR``, and a group with
``base_lr == max_lr`` keeps `max_momentum`. A `clr_core.OneCycle` brings its own momentum (PyTorch's
``OneCycleLR`` phases). The bounds and their defaults (OneCycleLR's (0.85, 0.95) for a one-cycle, CyclicLR's
(0.8, 0.9) otherwise) come from the core's face builder (`clr_core.extend.face_state`), as on every face.

The value goes to ``group['betas'][0]`` for the Adam family and to ``group['momentum']`` for SGD and
RMSprop; an optimizer with neither is refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor
from torch.optim import Optimizer

from clr_core.extend import checks, momentum_bounds

from .groups import write_value


def momentum_key(optimizer: Optimizer, index: int) -> str:
    """``'betas'`` or ``'momentum'``: where param group `index` keeps its momentum.

    Raises:
        ValueError: the group has neither (e.g. Adagrad, Adadelta, Rprop, LBFGS).

    Examples:
        >>> import torch
        >>> params = [torch.nn.Parameter(torch.zeros(1))]
        >>> momentum_key(torch.optim.Adam(params), 0), momentum_key(torch.optim.SGD(params, lr=0.1), 0)
        ('betas', 'momentum')
    """
    group = optimizer.param_groups[index]
    if "betas" in group:
        return "betas"
    if "momentum" in group:
        return "momentum"
    raise ValueError(f"cycle_momentum=True needs an optimizer with 'momentum' (SGD, RMSprop) or 'betas' (Adam "
                     f"family) in its param groups, but {type(optimizer).__name__} param group {index} has "
                     f"neither; use cycle_momentum=False with this optimizer")


class MomentumCycler:
    """Per param group: the momentum bounds, and where to write the momentum the core state computed.

    The momentum itself is stepped (and recorded in ``history['momentum']``) by `clr_core.ScheduleState`
    from these bounds (`bounds`); this class checks them against the optimizer and writes the values.

    Args:
        optimizer: the optimizer whose groups receive the momentum.
        bounds: ``(base_momentum, max_momentum)`` per group, checked already (``state.momentum_bounds`` of
            `clr_core.extend.face_state`).

    Raises:
        ValueError: a group without momentum. Nothing is written to the optimizer here.

    Examples:
        >>> import torch
        >>> optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        >>> cycler = MomentumCycler(optimizer, [(0.8, 0.9)])
        >>> cycler.bounds
        [(0.8, 0.9)]
        >>> cycler.write(optimizer.param_groups, [0.85]); optimizer.param_groups[0]["momentum"]
        0.85
    """

    def __init__(self, optimizer: Optimizer, bounds: Sequence[tuple[float, float]]) -> None:
        count = len(optimizer.param_groups)
        self.keys = [momentum_key(optimizer, index) for index in range(count)]
        self._in_betas = [key == "betas" for key in self.keys]
        self._all_betas = all(self._in_betas)
        self._no_betas = not any(self._in_betas)
        self.base_momentums = [base for base, _ in bounds]
        self.max_momentums = [top for _, top in bounds]

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """``(base_momentum, max_momentum)`` of each group, as `clr_core.ScheduleState` takes them."""
        return list(zip(self.base_momentums, self.max_momentums))

    def write(self, groups: Sequence[dict[str, Any]], momentums: Sequence[float]) -> None:
        """Write each group's momentum into its ``momentum`` or ``betas[0]``.

        A number is replaced and a tensor filled in place; ``type(x) is float`` is tested before
        ``isinstance(x, Tensor)``, which is slow, since this runs at every step.
        """
        if self._no_betas:
            for group, momentum in zip(groups, momentums):
                if type(group["momentum"]) is float:
                    group["momentum"] = momentum
                else:
                    write_value(group, "momentum", momentum)
        elif self._all_betas:
            for group, momentum in zip(groups, momentums):
                betas = group["betas"]
                if type(betas[0]) is float:
                    group["betas"] = (momentum, *betas[1:])
                else:
                    _write_beta1(group, momentum)
        else:
            for group, in_betas, momentum in zip(groups, self._in_betas, momentums):
                if in_betas:
                    _write_beta1(group, momentum)
                else:
                    write_value(group, "momentum", momentum)

    def state_dict(self) -> dict[str, list[float]]:
        """The bounds, as plain data (the momentum schedules are derived from the lr schedules)."""
        return {"base_momentum": list(self.base_momentums), "max_momentum": list(self.max_momentums)}

    def checked_state(self, state: Any) -> tuple[list[float], list[float]]:
        """The bounds a `state_dict()` holds, checked (one per group, in range) without adopting them."""
        if not isinstance(state, Mapping):
            raise ValueError(f"momentum state must be a mapping from state_dict(), got {state!r:.200}")
        count = len(self.keys)
        bases = checks.per_item("base_momentum", state.get("base_momentum"), count)
        maxes = checks.per_item("max_momentum", state.get("max_momentum"), count)
        return _checked_bounds(bases, maxes, count > 1)

    def adopt(self, bounds: tuple[list[float], list[float]]) -> None:
        """Take bounds from `checked_state`."""
        self.base_momentums, self.max_momentums = bounds


def _write_beta1(group: dict[str, Any], momentum: float) -> None:
    betas = group["betas"]
    if type(betas[0]) is not float and isinstance(betas[0], Tensor):
        betas[0].fill_(momentum)
    else:
        group["betas"] = (momentum, *betas[1:])


def _checked_bounds(bases: list[Any], maxes: list[Any], name_groups: bool) -> tuple[list[float], list[float]]:
    checked = [momentum_bounds(base, top, f" (param group {index})" if name_groups else "")
               for index, (base, top) in enumerate(zip(bases, maxes))]
    return [base for base, _ in checked], [top for _, top in checked]
