"""Evaluating a schedule on a numpy array: checked input, cache-sized chunks, checked output.

Large arrays are processed in chunks of `CHUNK` elements, so the formula's temporaries stay in the CPU cache
and are never allocated at full size: faster than one pass over the whole array, and the peak memory is the
result plus a few chunks. Each chunk is still computed with whole-array numpy operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._checks import ITERATION_LIMIT as LIMIT
from ._ops import ArrayOps, numpy_ops

CHUNK = 1 << 14


def lr_at_array(evaluate: Callable[[Any, ArrayOps], Any], iteration: Any) -> Any:
    """``evaluate(i, numpy_ops())`` over an array (or list) of iterations; a 0-d input gives a numpy float.

    Raises `TypeError` for arrays that are not ints or floats (and for any list or array when numpy is not
    installed), `ValueError` for negative or non-finite iterations and for non-finite results.
    """
    try:
        ops = numpy_ops()
    except ModuleNotFoundError as error:
        raise TypeError(f"iteration must be a number when numpy is not installed, got {type(iteration).__name__}: "
                        f'pass a number, or install numpy (pip install "clr-cyclical[numpy]")') from error
    np = ops.np
    values = np.asarray(iteration)
    if values.dtype == bool or not (np.issubdtype(values.dtype, np.integer)
                                    or np.issubdtype(values.dtype, np.floating)):
        raise TypeError(f"iteration must be a number or an array of ints or floats, "
                        f"got {type(iteration).__name__} of dtype {values.dtype}")
    flat = ops.to_float(values).reshape(-1)
    if flat.size and not (flat.min() >= 0 and flat.max() < LIMIT):  # two passes, no temporary array
        bad = flat[~((flat >= 0) & (flat < LIMIT))][0]
        raise ValueError(f"iteration must hold numbers in [0, 2**53), got {float(bad)!r} among them")
    lrs = np.empty(flat.shape)
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite lr is reported below, with its iteration
        for start in range(0, flat.size, CHUNK):
            lrs[start:start + CHUNK] = evaluate(flat[start:start + CHUNK], ops)
        total = lrs.sum()  # lrs near the float maximum may overflow it: then every one is checked
    if not np.isfinite(total):  # a NaN or inf anywhere makes the sum non-finite
        finite = np.isfinite(lrs)
        if not finite.all():
            raise ValueError(f"the schedule gave a non-finite lr at iteration {float(flat[~finite][0])!r}")
    lrs = lrs.reshape(values.shape)
    return lrs[()] if lrs.ndim == 0 else lrs
