"""The LR range test on a user's own JAX training step: a thin runner over `clr_core.RangeTest`.

The step is the user's jitted function ``step(state, batch, lr) -> (state, loss)``; the runner calls it with
each lr of the sweep (a Python float: a jitted step traces once, the lr is an argument, not a constant),
threads the state through, and records each loss. JAX state is immutable: the caller's `state` is never
changed (unless the step donates its buffers), so nothing needs restoring; the trained state is dropped.
"""

from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from clr_core import RangeSweep, RangeTest, RangeTestResult, RangeTestWarning
from clr_core.extend import Batches, adaptive_optimizer, checks

Step = Callable[[Any, Any, float], tuple[Any, Any]]
#: optax states of adaptive transformations whose names `clr_core.extend.adaptive_optimizer` does not know
#: (adam, adan, lion and the like it does).
ADAPTIVE_STATES = ("ScaleByRmsState", "ScaleByRmsWithCountState", "ScaleByRssState", "ScaleByRStdDevState",
                   "ScaleByRStdDevWithCountState", "ScaleByAdaDeltaState", "ScaleByAmsgradState",
                   "ScaleByBeliefState", "ScaleByNovogradState", "ScaleBySM3State", "FactoredState",
                   "ScaleByAdemamixState", "ScaleBySimplifiedAdEMAMixState", "SophiaState", "MadgradState")


def range_test(step: Step, state: Any, batches: Iterable[Any], *, start_lr: float = 1e-7, end_lr: float = 10.0,
               num_iter: int = 100, sweep: str = "exponential", beta: float = 0.98, diverge_factor: float = 4.0,
               accumulation_steps: int = 1, evaluate: Callable[[Any], Mapping[str, Any]] | None = None,
               eval_every: int = 1, on_step: Callable[[int, float, float], None] | None = None,
               adaptive: bool | None = None) -> RangeTestResult:
    """Sweep the lr from `start_lr` to `end_lr` through the user's step and record the loss of each step.

    Args:
        step: ``step(state, batch, lr) -> (state, loss)``, one training step at `lr` (usually jitted): it
            applies `lr`, e.g. through ``optax.inject_hyperparams`` or ``optax.scale(-lr)``.
        state: the training state the first step starts from (params, optimizer state, ...); not changed.
        batches: the training batches, any objects `step` takes; iterated again when exhausted, never held
            once used.
        start_lr: the first lr of the sweep (see `clr_core.RangeSweep`).
        end_lr: the last lr of the sweep.
        num_iter: the most steps to run (fewer when the loss diverges); may exceed the data's length.
        sweep: ``'exponential'`` or ``'linear'``.
        beta: loss smoothing of the stop decision in [0, 1) (see `clr_core.RangeTest`).
        diverge_factor: stop when the smoothed loss exceeds this many times its best.
        accumulation_steps: calls of `step` per point of the curve, each on its own batch at the same lr (an
            ``optax.MultiSteps`` optimizer that updates every k calls); the point's loss is their mean.
        evaluate: ``evaluate(state) -> {name: value}``, e.g. ``{'val_loss': ..., 'val_accuracy': ...}``,
            called every `eval_every` points; the values land in ``result.metrics`` (Smith's accuracy method:
            ``result.suggest_bounds(metric='val_accuracy')``).
        eval_every: points between evaluations.
        on_step: called as ``on_step(steps_done, lr, loss)`` after each point, e.g. a progress bar's
            ``range_step`` (`clr_tools.progress.ProgressBar`).
        adaptive: whether the optimizer scales each update by running statistics of the gradients, which
            makes `max_lr` step back 32 from the cliff instead of 8 (``result.adaptive``). None tells by the
            optax states inside `state` (``ScaleByAdamState``, ``ScaleByRmsState``, ...: adam, adamw, rmsprop,
            adagrad, lion, adafactor, ...); a `state` that holds no optax state at all gets a
            `RangeTestWarning` asking for `adaptive`, and is read as not adaptive.

    Returns:
        The `clr_core.RangeTestResult`; ``result.suggest_bounds()`` gives ``(base_lr, max_lr)``.

    Raises:
        TypeError: `step` or `evaluate` is not callable, or `step` did not return ``(state, scalar loss)``.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> x = jnp.linspace(-1.0, 1.0, 32); y = 3.0 * x
        >>> @jax.jit
        ... def step(w, batch, lr):
        ...     loss, grad = jax.value_and_grad(lambda w: jnp.mean((w * batch[0] - batch[1]) ** 2))(w)
        ...     return w - lr * grad, loss
        >>> result = range_test(step, jnp.float32(0.0), [(x, y)], start_lr=1e-3, end_lr=100.0, num_iter=50,
        ...                     adaptive=False)
        >>> result.stopped_early, len(result.lrs) < 50
        (True, True)
    """
    for name, function in (("step", step), ("evaluate", evaluate)):
        if function is not None and not callable(function):
            raise TypeError(f"{name} must be callable, got {type(function).__name__}")
    accumulation = checks.count("accumulation_steps", accumulation_steps, low=1)
    if adaptive is None:
        adaptive = _adaptive_state(state)
    test = RangeTest(RangeSweep(start_lr, end_lr, num_iter, sweep), beta=beta, diverge_factor=diverge_factor,
                     adaptive=adaptive)
    data = Batches(batches, "batches")
    current = state

    def train_step(lr: float) -> float:
        nonlocal current
        total = 0.0
        for _ in range(accumulation):
            current, loss = _state_and_loss(step(current, data.next(), lr))
            total += loss
        return total / accumulation

    def evaluate_now() -> dict[str, float]:
        assert evaluate is not None
        values = evaluate(current)
        if not isinstance(values, Mapping):
            raise TypeError(f"evaluate must return a mapping of metric names to values, e.g. {{'val_loss': ...}}, "
                            f"got {type(values).__name__}")
        return {str(name): float(np.asarray(value)) for name, value in values.items()}

    return test.run(train_step, on_step=on_step, evaluate=None if evaluate is None else evaluate_now,
                    eval_every=eval_every)


def _adaptive_state(state: Any) -> bool:
    """Whether `state` holds the state of an adaptive optax transformation; warn if it holds no optax state."""
    import jax

    names, nodes = [], [state]
    while nodes:
        node = nodes.pop()
        if type(node).__module__.startswith("optax"):
            names.append(type(node).__name__)
        children = jax.tree_util.tree_leaves(node, is_leaf=functools.partial(operator.is_not, node))  # one level
        if not (len(children) == 1 and children[0] is node):
            nodes.extend(children)
    if not names:
        warnings.warn("range_test cannot tell from state whether the optimizer is adaptive (no optax state in "
                      "it): its bounds are read as for SGD; pass adaptive=True for Adam, AdamW, RMSprop and the "
                      "like, adaptive=False to silence this", RangeTestWarning, stacklevel=3)
    return any(name in ADAPTIVE_STATES or adaptive_optimizer([name]) for name in names)


def _state_and_loss(output: Any) -> tuple[Any, float]:
    if not isinstance(output, tuple) or len(output) != 2:
        got = f"a tuple of {len(output)} items" if isinstance(output, tuple) else type(output).__name__
        raise TypeError(f"step must return (state, loss), got {got}")
    state, loss = output
    value = np.asarray(loss)
    if value.size != 1 or not np.issubdtype(value.dtype, np.number):
        raise TypeError(f"step must return (state, loss) with a scalar loss, got a loss of shape {value.shape} "
                        f"and dtype {value.dtype}")
    return state, float(value.reshape(()))
