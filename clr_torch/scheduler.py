"""`CyclicLR`: cyclical learning rates for a PyTorch optimizer, every value computed by `clr_core`.

The scheduler only moves values: the lrs come from `clr_core` schedules (one per param group), the
counters and the history live in one `clr_core.ScheduleState`, and the momentum (when asked for) comes from
the core's momentum schedules (`clr_torch.momentum`). There is no formula here.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from clr_core import CyclicSchedule, History, RangeTestResult, Schedule, ScheduleState
from clr_core.extend import checks, face_state, planned_schedule

from .groups import value_copy, write_value
from .momentum import MomentumCycler
from .stepping import AppliedSteps, SteppingRate

#: The version of the `CyclicLR.state_dict()` layout: 2 holds a packed history; 1 (plain lists) loads too.
STATE_FORMAT = 2
_LOADABLE_FORMATS = (1, 2)

_STEP_SIZE = 2000.0  # the default of step_size (and of PyTorch's step_size_up)

# PyTorch's own call-order warnings, word for word, so that warnings filters written for its schedulers work.
REPLACED_STEP_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
CALL_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, arXiv:1506.01186) applied to each param group of an optimizer.

    For the cycle iteration count ``i`` (optimizer steps since the start or the last `reset`), each group's
    lr is its schedule's ``lr_at(i)``; for the built-in cyclic schedule::

        cycle = floor(1 + i / (2 * step_size))
        x     = abs(i / step_size - 2 * cycle + 1)
        lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale_fn(s)

    with ``s = cycle`` (``scale_mode='cycle'``) or ``s = i`` (``'iterations'``), computed by
    `clr_core.CyclicSchedule` (see it for the exact semantics and the built-in modes). Iterations are
    optimizer steps: call ``scheduler.step()`` once after each ``optimizer.step()``. The first step runs at
    ``lr_at(0) == base_lr``, which overrides the optimizer's own lr from construction on.

    Args:
        optimizer: the optimizer whose param groups receive the lrs.
        base_lr: lower bound, a float >= 0, or a list/tuple with one per param group.
        max_lr: upper bound, a float >= `base_lr`, or a list/tuple with one per param group.
        step_size: optimizer steps in the rising half of a cycle, a float > 0 (Smith: 2 to 8 epochs).
        mode: ``'triangular'``, ``'triangular2'`` or ``'exp_range'``; ignored when `scale_fn` is given.
        gamma: the decay of ``'exp_range'`` (``gamma**i``), in (0, 1].
        scale_fn: a function of one float giving the amplitude factor, or a built-in such as
            ``clr_core.exp_range(0.99)``; it receives the 1-based cycle number (``scale_mode='cycle'``) or
            the cycle iteration count (``'iterations'``). A lambda works and resumes exactly: it stays in
            your code, the state dict names it.
        scale_mode: ``'cycle'`` or ``'iterations'``: what a custom `scale_fn` receives.
        last_epoch: ``-1`` starts the cycle; ``k >= 0`` starts as if batches ``0..k`` were done, so the
            first step runs at ``lr_at(k + 1)`` (to resume with history, use `load_state_dict`).
        step_size_up: PyTorch's name for `step_size` (give one of them).
        step_size_down: optimizer steps in the falling half (default `step_size`).
        waveform: ``'triangle'`` or ``'cosine'`` (a smooth rise and fall between the same bounds).
        schedule: instead of the cyclic arguments, any `clr_core.Schedule` object (shared by every group)
            or a list/tuple with one per param group.
        cycle_momentum: cycle momentum inversely to the lr (``group['momentum']`` or ``group['betas'][0]``)
            and record it in ``history['momentum']``; see `clr_torch.momentum` for the mapping, which works
            for every schedule kind with an ``lr_range()``. Off by default (PyTorch's is on), so any
            optimizer works.
        base_momentum: the momentum at the highest lr, in [0, 1), one or one per group; default 0.8
            (PyTorch's CyclicLR), 0.85 for a `clr_core.OneCycle` (PyTorch's OneCycleLR), as on every face
            (`clr_core.extend.default_momentum`).
        max_momentum: the momentum at the lowest lr, in [base_momentum, 1), one or one per group; default
            0.9, 0.95 for a `clr_core.OneCycle`.
        keep_history: True keeps the whole `history` (default); False records none (O(1) memory, a
            `state_dict()` of a few KB at any length; log to TensorBoard or a CSV instead); an int N >= 1
            keeps the last N steps. Resuming is exact in every mode: the counters and schedules are the state.

    PyTorch's attributes are there, read-only and with its values: `base_lrs`, `max_lrs`, `mode`, `gamma`,
    `scale_mode`, `total_size`, `step_ratio` (for the cyclic schedule) and, with momentum cycling,
    `base_momentums` and `max_momentums`. As PyTorch's class, construction sets each group's lr to its first
    value, so ``group['initial_lr']`` (where `SequentialLR` and schedulers built later start) is `base_lr`
    unless a scheduler built earlier set it.

    Raises:
        TypeError, ValueError: for any bad argument, with its name, range and value. Everything is checked
            before the optimizer is touched, so a refused construction leaves it as it was.

    Examples:
        >>> import torch
        >>> model = torch.nn.Linear(2, 1)
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.05, step_size=2)
        >>> used = []
        >>> for _ in range(5):
        ...     used.append(optimizer.param_groups[0]["lr"])
        ...     model(torch.ones(4, 2)).pow(2).mean().backward()
        ...     optimizer.step()
        ...     optimizer.zero_grad()
        ...     scheduler.step()
        >>> [round(lr, 6) for lr in used]
        [0.01, 0.03, 0.05, 0.03, 0.01]
        >>> scheduler.history["iterations"]
        [1, 2, 3, 4, 5]
    """

    def __init__(self, optimizer: Optimizer, base_lr: Any = 0.001, max_lr: Any = 0.006,
                 step_size: float = _STEP_SIZE, mode: str = "triangular", gamma: float = 1.0, scale_fn: Any = None,
                 scale_mode: str = "cycle", last_epoch: int = -1, *, step_size_up: float | None = None,
                 step_size_down: float | None = None, waveform: str = "triangle", schedule: Any = None,
                 cycle_momentum: bool = False, base_momentum: Any = None, max_momentum: Any = None,
                 keep_history: bool | int = True) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        if step_size_up is not None:
            if step_size != _STEP_SIZE:
                raise TypeError(f"give step_size or step_size_up (PyTorch's name for it), not both: got "
                                f"step_size={step_size!r} and step_size_up={step_size_up!r}")
            step_size = step_size_up
        state = face_state(schedule, groups=len(optimizer.param_groups), cycle_momentum=cycle_momentum,
                           base_momentum=base_momentum, max_momentum=max_momentum, keep_history=keep_history,
                           base_lr=base_lr, max_lr=max_lr, step_size=step_size, mode=mode, gamma=gamma,
                           scale_fn=scale_fn, scale_mode=scale_mode, step_size_down=step_size_down,
                           waveform=waveform)
        momentum = None if state.momentum_bounds is None else MomentumCycler(optimizer, state.momentum_bounds)
        state.start_at(_completed_steps(last_epoch))
        # Everything is valid: from here on the optimizer is changed.
        self._state = state
        self._momentum = momentum
        self._group_count = len(optimizer.param_groups)
        self.cycle_momentum = cycle_momentum
        # The optimizer's applied steps, counted by a step hook: a scheduler step that follows none (a
        # GradScaler skip) records no history row; an irregular rate warns (see clr_torch.stepping).
        self._applied = AppliedSteps()
        self._seen = 0
        self._rate = SteppingRate()
        optimizer.register_step_post_hook(self._applied.hook)
        # As PyTorch's CyclicLR, the groups start at the first lrs, so `initial_lr` (set by LRScheduler unless
        # a scheduler built before this one did) is the cycle's start, where SequentialLR begins.
        self._write(optimizer.param_groups, state.lrs)
        # LRScheduler wraps optimizer.step (for the call-order warning) and calls self.step() once, which
        # writes the first lrs; last_epoch is ours to count, so the base class always sees a fresh start.
        super().__init__(optimizer, last_epoch=-1)
        self._refresh_bounds()

    @classmethod
    def from_range_test(cls, optimizer: Optimizer, result: RangeTestResult, *, epochs: int, steps_per_epoch: int,
                        mode: str = "triangular", metric: str | None = None, skip_start: int | None = None,
                        higher_is_better: bool | None = None, cycle_momentum: bool = False,
                        base_momentum: Any = None, max_momentum: Any = None, keep_history: bool | int = True,
                        **options: Any) -> CyclicLR:
        """A scheduler running ``result.schedule(...)``: the range test's bounds, planned in epochs.

        The step size is 2 to 8 epochs and `epochs` ends on a cycle boundary; ``mode='one_cycle'`` runs a
        `clr_core.OneCycle` to the suggested ``max_lr`` instead (see `clr_core.RangeTestResult.schedule`, which
        takes `epochs`, `steps_per_epoch`, `mode`, `metric`, `skip_start`, `higher_is_better` and the schedule's
        `options`). Every param group runs the plan. Call ``scheduler.step()`` after each ``optimizer.step()``,
        ``epochs * steps_per_epoch`` times in all.

        Args:
            optimizer: the optimizer whose param groups receive the lrs.
            result: a `clr_core.RangeTestResult`, e.g. from `clr_torch.range_test`.
            epochs: the length of the run in epochs.
            steps_per_epoch: optimizer steps per epoch (``len(loader)``, or
                `clr_core.steps_per_epoch` under gradient accumulation).
            mode: ``'triangular'`` (default, for now), ``'triangular2'``, ``'exp_range'`` or ``'one_cycle'``.
            metric: the curve to read (see `clr_core.RangeTestResult.suggest_bounds`).
            skip_start: steps to leave out at the start of the curve.
            higher_is_better: the metric's direction.
            cycle_momentum: as in `CyclicLR` (defaults: (0.8, 0.9), or (0.85, 0.95) for one-cycle).
            base_momentum: as in `CyclicLR`.
            max_momentum: as in `CyclicLR`.
            keep_history: as in `CyclicLR`.
            **options: further arguments of the schedule (``gamma``, ``waveform``, ``pct_start``, ...).

        Raises:
            ValueError: no bounds, or a run too short for a cycle (the message suggests ``mode='one_cycle'``).
        """
        schedule = planned_schedule(result, "clr_torch", epochs=epochs, steps_per_epoch=steps_per_epoch, mode=mode,
                                    metric=metric, skip_start=skip_start, higher_is_better=higher_is_better, **options)
        return cls(optimizer, schedule=schedule, cycle_momentum=cycle_momentum, base_momentum=base_momentum,
                   max_momentum=max_momentum, keep_history=keep_history)

    @property
    def state(self) -> ScheduleState:
        """The core state: schedules, counters (`cycle_iterations`, `total_iterations`) and history."""
        return self._state

    @property
    def history(self) -> History:
        """``history['lr']`` (first group), ``'lr_group1'``, ..., ``'iterations'`` and logged metrics.

        With momentum cycling also ``'momentum'`` (first group), ``'momentum_group1'``, ...
        """
        return self._state.history

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        """The core schedule of each param group, as changed by the latest reset or load."""
        return self._state.schedules

    def step(self, epoch: int | None = None) -> None:
        """Record the optimizer step just taken and write the next lrs (and momentum) into the optimizer.

        A step the optimizer did not apply (GradScaler skips ``optimizer.step()`` when a gradient is not
        finite) is not recorded: the counters and the rate move on, as PyTorch's schedulers do, and the
        history gets no row. The optimizer's applied steps are counted by a step hook, and a scheduler stepped
        once per many optimizer steps, or several times per optimizer step, warns once (see
        `clr_torch.stepping`).

        Inside a function compiled with ``torch.compile`` the step runs in Python, as PyTorch's own schedulers
        do (their module is skipped by the compiler), so the graphs never hold a step count and the number
        of graphs stays constant.

        Args:
            epoch: accepted for compatibility only when it is the next count (``last_epoch + 1``); this
                scheduler counts optimizer steps itself.
        """
        if _compile_region() is not None:  # a compiled function is running: step again, outside its graphs
            _outside_graphs()(self, epoch)
            return
        if epoch is not None:
            self._check_epoch(epoch)
        count = self._step_count
        if count == 1:
            self._warn_on_call_order()
        groups = self.optimizer.param_groups
        if len(groups) != self._group_count:
            raise RuntimeError(f"the optimizer has {len(groups)} param groups but this scheduler was built for "
                               f"{self._group_count}; build the scheduler after adding param groups")
        state = self._state
        if count:
            applied = self._applied.count
            if applied - self._seen == 1:
                state.step()
            else:  # no optimizer step since the last one (a GradScaler skip), or several
                self._irregular_step(applied - self._seen)
            self._seen = applied
        self._step_count = count + 1
        self._write(groups, state.lrs)
        self.last_epoch = state.total_iterations

    def _irregular_step(self, applied_since: int) -> None:
        """A step after `applied_since` optimizer steps (not one): judge the rate, record only what ran.

        After none (a GradScaler skip) the counters move on, as PyTorch's schedulers do, and nothing is recorded.
        """
        self._rate.irregular(applied_since, self._applied.count)
        if applied_since:
            self._state.step()
        else:
            self._state.skip()

    def _write(self, groups: list[dict[str, Any]], lrs: list[float]) -> None:
        """Write `lrs` (and the momentum they give) into `groups`; a tensor lr is filled in place.

        This runs at every step: ``type(x) is float`` is tested before ``isinstance(x, Tensor)`` (slow).
        """
        tensors = False
        for group, lr in zip(groups, lrs):
            if type(group["lr"]) is float:
                group["lr"] = lr
            else:
                write_value(group, "lr", lr)
                tensors = tensors or isinstance(group["lr"], Tensor)
        if self._momentum is not None:
            momentums = self._state.momentums
            assert momentums is not None  # the state holds momentum bounds whenever momentum cycles
            self._momentum.write(groups, momentums)
        # a fresh list of floats, never written into: torch's `list[float | Tensor]` is invariant
        self._last_lr = [value_copy(group["lr"]) for group in groups] if tensors else lrs  # type: ignore[assignment]

    def _update_lr(self, epoch: int | None = None) -> None:
        """What `SequentialLR` calls at this scheduler's milestone (``_update_lr(0)``): restart the cycle.

        As PyTorch's CyclicLR does; the history and `total_iterations` carry on.
        """
        if epoch != 0:
            raise ValueError(f"CyclicLR._update_lr takes only epoch=0 (SequentialLR's restart at a milestone), "
                             f"got {epoch!r}; call step() to advance")
        if self._state.cycle_iterations:
            self._state.reset()
        self._seen = self._applied.count  # the optimizer steps before the milestone ran under another scheduler
        self._write(self.optimizer.param_groups, self._state.lrs)

    def get_lr(self) -> list[float]:  # type: ignore[override]  # floats only, narrower than torch's list type
        """The lrs the next optimizer step runs at, one per param group (as `get_last_lr()` after `step`)."""
        return self._state.lrs

    def log(self, **metrics: Any) -> None:
        """Record metrics (``loss=...``) in the history at the current iteration, without stepping.

        Call it after ``scheduler.step()`` so the values line up with that step's row.
        """
        self._state.log(**metrics)

    def reset(self, base_lr: Any = None, max_lr: Any = None, step_size: Any = None) -> None:
        """Restart the cycle; change only the arguments given (one value, or one per param group).

        The next step runs at the (new) `base_lr`; ``history['iterations']`` and `last_epoch` keep counting.
        Needs schedules with a ``replace`` method (as `CyclicSchedule`) when arguments are given.
        """
        self._state.reset(base_lr=base_lr, max_lr=max_lr, step_size=step_size)
        self._write(self.optimizer.param_groups, self._state.lrs)
        self._refresh_bounds()

    def _reset(self, new_base_lr: Any = None, new_max_lr: Any = None, new_step_size: Any = None) -> None:
        """The classic Keras callback's spelling of `reset`."""
        self.reset(base_lr=new_base_lr, max_lr=new_max_lr, step_size=new_step_size)

    # PyTorch's CyclicLR attributes, read-only (they follow the schedule, which a reset or a load changes).
    @property
    def mode(self) -> str:
        """The cyclic schedule's mode (``'triangular'``, ...), as PyTorch's attribute."""
        return self._cyclic("mode").mode

    @property
    def gamma(self) -> float:
        """The cyclic schedule's ``'exp_range'`` decay."""
        return self._cyclic("gamma").gamma

    @property
    def scale_mode(self) -> str:
        """What the scale function receives: the mode's own, or the one given with a custom `scale_fn`."""
        return self._cyclic("scale_mode").scale_mode

    @property
    def total_size(self) -> float:
        """Optimizer steps in one cycle, ``step_size + step_size_down``."""
        schedule = self._cyclic("total_size")
        return schedule.step_size + schedule.falling_steps

    @property
    def step_ratio(self) -> float:
        """The rising fraction of a cycle, ``step_size / total_size``."""
        schedule = self._cyclic("step_ratio")
        return schedule.step_size / (schedule.step_size + schedule.falling_steps)

    @property
    def base_momentums(self) -> list[float]:
        """The momentum of each group at its highest lr (only with ``cycle_momentum=True``, as PyTorch's)."""
        return list(self._cycler("base_momentums").base_momentums)

    @property
    def max_momentums(self) -> list[float]:
        """The momentum of each group at its lowest lr (only with ``cycle_momentum=True``)."""
        return list(self._cycler("max_momentums").max_momentums)

    def _cyclic(self, name: str) -> CyclicSchedule:
        schedule = self._state.schedule
        if not isinstance(schedule, CyclicSchedule):
            raise AttributeError(f"CyclicLR.{name} belongs to the cyclic schedule, but this scheduler runs a "
                                 f"{type(schedule).__name__}; see .schedules")
        return schedule

    def _cycler(self, name: str) -> MomentumCycler:
        if self._momentum is None:
            raise AttributeError(f"CyclicLR.{name} exists only with cycle_momentum=True")
        return self._momentum

    def state_dict(self) -> dict[str, Any]:
        """Plain Python data (safe for ``torch.load(weights_only=True)``, and for ``json``).

        The core state (its history packed into base64 text, see `clr_core.History.state_dict`), the step count
        and the momentum bounds. A custom `scale_fn` is named, never stored.
        """
        return {
            "format": STATE_FORMAT,
            "schedule_state": self._state.state_dict(),
            "step_count": self._step_count,
            "momentum": None if self._momentum is None else self._momentum.state_dict(),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any], plan: str | None = None) -> None:
        """Continue exactly where a scheduler built with the same arguments saved `state_dict()`.

        Adopts the counters and the history, and the plan `plan` chooses (see
        `clr_core.ScheduleState.load_state_dict`): ``'saved'`` continues the saved schedules and momentum
        bounds (bounds changed by a reset included; a custom `scale_fn` comes from this scheduler and must have
        the saved name); ``'current'`` continues this scheduler's own schedules and momentum bounds from the
        saved counters, so the lr jumps at the seam to the new plan's lr at that count; None (the default)
        continues the saved plan and warns once, naming both, when it differs from the one built. Writes
        the restored lrs into the optimizer, so loading before or after the optimizer's state gives the same.

        Raises:
            ValueError: not a state of this class, or one that does not fit this scheduler (another custom
                function, another number of param groups, momentum cycling on in one and off in the other).
                Nothing changes then.
        """
        version = state_dict.get("format") if isinstance(state_dict, Mapping) else None
        if type(version) is not int or version not in _LOADABLE_FORMATS:
            keys = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            raise ValueError(f"state_dict must come from clr_torch.CyclicLR.state_dict() (format 1 or "
                             f"{STATE_FORMAT}), got {keys!r:.300}; a torch.optim.lr_scheduler.CyclicLR state cannot "
                             f"be loaded (restart the cycle with last_epoch instead)")
        step_count = checks.count("step_count", state_dict.get("step_count"))
        saved_momentum = state_dict.get("momentum")
        if (saved_momentum is None) != (self._momentum is None):
            saved, own = ("on", "off") if saved_momentum is not None else ("off", "on")
            raise ValueError(f"cannot load: the saved scheduler had momentum cycling {saved} but this one has it "
                             f"{own}; build it with cycle_momentum={saved == 'on'} before loading")
        keep_own = plan == "current"
        bounds = None if self._momentum is None or keep_own else self._momentum.checked_state(saved_momentum)
        # a missing or non-mapping 'schedule_state' is refused there, with a ValueError showing what it is
        self._state.load_state_dict(state_dict.get("schedule_state"), plan=plan)  # type: ignore[arg-type]
        if self._momentum is not None and bounds is not None:  # checked above: adopting them cannot fail
            self._momentum.adopt(bounds)
            self._state.set_momentum(self._momentum.bounds)
        self._step_count = max(step_count, 1)
        self._seen = self._applied.count
        self._write(self.optimizer.param_groups, self._state.lrs)
        self.last_epoch = self._state.total_iterations
        self._refresh_bounds()

    def _refresh_bounds(self) -> None:
        """`base_lrs` and `max_lrs` of the current schedules (torch schedulers expose `base_lrs`)."""
        schedules = self._state.schedules
        self.base_lrs = [item.base_lr if hasattr(item, "base_lr") else item.lr_at(0) for item in schedules]
        self.max_lrs = [getattr(item, "max_lr", None) for item in schedules]

    def _check_epoch(self, epoch: Any) -> None:
        if epoch != self.last_epoch + 1:
            raise ValueError(f"CyclicLR counts optimizer steps itself: step() takes no epoch (or only the next "
                             f"count, {self.last_epoch + 1}), got epoch={epoch!r}; to jump, build the scheduler "
                             f"with last_epoch or load a state_dict")

    def _warn_on_call_order(self) -> None:
        """PyTorch's check at the first real step: was ``optimizer.step()`` called (and not replaced)?"""
        optimizer_step = self.optimizer.step
        if not hasattr(optimizer_step, "_wrapped_by_lr_sched"):
            warnings.warn(REPLACED_STEP_WARNING, UserWarning, stacklevel=3)
        elif not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(CALL_ORDER_WARNING, UserWarning, stacklevel=3)


def _always_in_region() -> bool:
    return True


# The compiler's frame hook, None unless a compiled function is running (one C call, no import of the
# compiler); a torch without it takes the safe path at every step.
_compile_region: Callable[[], Any] = getattr(getattr(torch._C, "_dynamo", None), "eval_frame", None) and \
    getattr(torch._C._dynamo.eval_frame, "get_eval_frame_callback", None) or _always_in_region


@functools.cache
def _outside_graphs() -> Callable[[CyclicLR, int | None], None]:
    """``scheduler.step(epoch)`` run by Python, with the compiler's frame hook off (``torch.compiler.disable``)."""
    disabled: Callable[[CyclicLR, int | None], None] = torch.compiler.disable(
        lambda scheduler, epoch: scheduler.step(epoch))
    return disabled


def _completed_steps(last_epoch: Any) -> int:
    """Optimizer steps already done for a given `last_epoch` (the index of the last batch, -1 for none)."""
    return checks.count("last_epoch", last_epoch, low=-1) + 1
