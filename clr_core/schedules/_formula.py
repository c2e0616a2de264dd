"""The cyclical learning rate formula, written once for every kind of number (see `clr_core._ops`).

Smith's triangle (arXiv:1506.01186, section 3.1), for a cycle iteration count ``i >= 0``::

    cycle = floor(1 + i / (2 * step_size))
    x     = abs(i / step_size - 2 * cycle + 1)
    lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale_fn(s)

with ``s = cycle`` or ``s = i``. We compute the same numbers in a form that stays exact at any iteration:
the position inside the cycle comes from ``fmod`` (exact in IEEE arithmetic), and ``max(0, 1 - x)`` is
``min(position / step_size, (2 * step_size - position) / step_size)``, which also gives the asymmetric
cycle when the falling half has its own length.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

from .._ops import ArrayOps
from .scale import ScaleFunction

Waveform = Literal["triangle", "cosine"]
WAVEFORMS: tuple[str, ...] = get_args(Waveform)


def cyclic_lr(iteration: Any, base_lr: float, max_lr: float, step_size_up: float, step_size_down: float,
              scale: ScaleFunction, scale_mode: str, ops: ArrayOps, waveform: str = "triangle") -> Any:
    """The learning rate at `iteration` (a float, or an array of the kind `ops` handles).

    `scale` receives the cycle number when `scale_mode == 'cycle'`, else the iteration itself. The
    ``'cosine'`` waveform bends the triangle's height ``h`` into ``(1 - cos(pi * h)) / 2``: the same ends
    and peak, a smooth rise and fall, computed as ``sin(pi * h / 2)**2`` (no cancellation near ``h = 0``).

    Examples:
        >>> from clr_core._ops import MATH_OPS
        >>> from clr_core.schedules.scale import triangular
        >>> [cyclic_lr(i, 1.0, 5.0, 4.0, 4.0, triangular, "cycle", MATH_OPS) for i in range(0, 9, 2)]
        [1.0, 3.0, 5.0, 3.0, 1.0]
    """
    # The 1-based cycle number and the triangle's height in [0, 1], from the exact position in the cycle.
    period = step_size_up + step_size_down
    position = ops.fmod(iteration, period)
    cycle = ops.floor((iteration - position) / period + 0.5) + 1.0
    height = ops.minimum(position / step_size_up, (period - position) / step_size_down)
    if waveform == "cosine":
        height = ops.sin(math.pi / 2.0 * height)
        height = height * height
    factor = scale.evaluate(cycle if scale_mode == "cycle" else iteration, ops)
    # The sum can round one ulp above max_lr (0.3 + 0.69999 * 1.0 > 0.99999), never below base_lr. Scale
    # factors are checked to lie in [0, 1] wherever the host can check them, so the cap only removes that
    # rounding (inside a compiled graph it also holds an unchecked factor above 1 at max_lr).
    return ops.minimum(base_lr + (max_lr - base_lr) * (height * factor), max_lr)
