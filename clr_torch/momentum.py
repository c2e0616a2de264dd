"""Momentum cycled inversely to the learning rate, computed by `clr_core`, written where the optimizer keeps it.

Smith (arXiv:1803.09820) pairs a rising lr with a falling momentum. The momentum of each param group is a
core schedule, ``clr_core.momentum_for(lr_schedule, base_momentum, max_momentum)``, evaluated at the same
cycle iteration as the lr; this module only writes its values. For a `CyclicSchedule` that is the lr mapped
from its range onto the momentum range, reversed (`clr_core.Mirrored`)::

    momentum = max_momentum - (max_momentum - base_momentum) * (lr - base_lr) / (max_lr - base_lr)

clipped to ``[base_momentum, max_momentum]``. So the momentum is `max_momentum` at ``lr == base_lr`` and
`base_momentum` at ``lr == max_lr``; amplitude scaling (``'triangular2'``, ``'exp_range'``, a custom
``scale_fn``) shrinks both swings alike, as in PyTorch's ``CyclicLR``, and a group with
``base_lr == max_lr`` keeps `max_momentum`. A `clr_core.OneCycle` brings its own momentum (PyTorch's
``OneCycleLR`` phases).

The value goes to ``group['betas'][0]`` for the Adam family and to ``group['momentum']`` for SGD and
RMSprop; an optimizer with neither is refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor
from torch.optim import Optimizer

from clr_core import Schedule, momentum_for
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
    """Per param group: the momentum bounds, the core momentum schedule, and where to write its value.

    Args:
        optimizer: the optimizer whose groups receive the momentum.
        base_momentum: lowest momentum (at the highest lr), one float or a list/tuple per group, in [0, 1).
        max_momentum: highest momentum (at the lowest lr), one float or a list/tuple per group, in
            [base_momentum, 1).
        schedules: the lr schedule of each group; ``clr_core.momentum_for`` turns each into its momentum.

    Raises:
        ValueError, TypeError: bad bounds, a list of the wrong length, a group without momentum, or an lr
            schedule the core cannot derive a momentum from. Nothing is written to the optimizer here.

    Examples:
        >>> import torch
        >>> from clr_core import CyclicSchedule
        >>> optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        >>> cycler = MomentumCycler(optimizer, 0.8, 0.9, [CyclicSchedule(0.1, 0.3, step_size=2)])
        >>> [round(cycler.momentums(i)[0], 12) for i in range(5)]
        [0.9, 0.85, 0.8, 0.85, 0.9]
        >>> cycler.write(optimizer.param_groups, 2); optimizer.param_groups[0]["momentum"]
        0.8
    """

    def __init__(self, optimizer: Optimizer, base_momentum: Any, max_momentum: Any,
                 schedules: Sequence[Schedule]) -> None:
        count = len(optimizer.param_groups)
        self.keys = [momentum_key(optimizer, index) for index in range(count)]
        self._in_betas = [key == "betas" for key in self.keys]
        bases = checks.per_item("base_momentum", base_momentum, count)
        maxes = checks.per_item("max_momentum", max_momentum, count)
        per_group_bounds = isinstance(base_momentum, (list, tuple)) or isinstance(max_momentum, (list, tuple))
        self.base_momentums, self.max_momentums = _checked_bounds(bases, maxes, per_group_bounds)
        self.rebind(schedules)

    def rebind(self, schedules: Sequence[Schedule]) -> None:
        """Derive the momentum schedules from new lr schedules (after a reset or a load)."""
        built: dict[tuple[int, float, float], Schedule] = {}
        derived = []
        for index, (schedule, base, top) in enumerate(zip(schedules, self.base_momentums, self.max_momentums)):
            key = (id(schedule), base, top)
            if key not in built:
                try:
                    built[key] = momentum_for(schedule, base, top)
                except TypeError as error:
                    raise TypeError(f"cycle_momentum=True, param group {index}: {error}") from error
            derived.append(built[key])
        self.schedules: list[Schedule] = derived
        # One momentum schedule and one place to write it for every group (the usual case): one value a step.
        self._shared = all(item is derived[0] for item in derived) and len(set(self._in_betas)) == 1

    def momentums(self, iteration: int) -> list[float]:
        """The momentum of each group at cycle iteration `iteration`."""
        first = self.schedules[0]
        value = first.lr_at(iteration)
        return [value if item is first else item.lr_at(iteration) for item in self.schedules]

    def write(self, groups: Sequence[dict[str, Any]], iteration: int) -> None:
        """Write each group's momentum at cycle iteration `iteration` into its ``momentum`` or ``betas[0]``.

        A number is replaced and a tensor filled in place; ``type(x) is float`` is tested before
        ``isinstance(x, Tensor)``, which is slow, since this runs at every step.
        """
        if self._shared:
            momentum = self.schedules[0].lr_at(iteration)
            if self._in_betas[0]:
                for group in groups:
                    betas = group["betas"]
                    if type(betas[0]) is float:
                        group["betas"] = (momentum, *betas[1:])
                    else:
                        _write_beta1(group, momentum)
            else:
                for group in groups:
                    if type(group["momentum"]) is float:
                        group["momentum"] = momentum
                    else:
                        write_value(group, "momentum", momentum)
            return
        for group, in_betas, momentum in zip(groups, self._in_betas, self.momentums(iteration)):
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

    def adopt(self, bounds: tuple[list[float], list[float]], schedules: Sequence[Schedule]) -> None:
        """Take bounds from `checked_state` and derive the momentum from `schedules`."""
        self.base_momentums, self.max_momentums = bounds
        self.rebind(schedules)


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
