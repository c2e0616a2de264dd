"""Turning Keras batch logs into history rows: the numbers they hold, and the loss of each batch alone.

Keras reports ``logs['loss']`` after a batch as the running mean over the epoch so far, not the loss of that
batch. With ``mean_k`` the mean after ``k`` batches of the epoch, the batches since the previous report
(``j`` of them, so ``mean_j`` before) had the mean loss::

    batch_loss = (k * mean_k - j * mean_j) / (k - j)

which is the loss of batch ``k`` itself when reports come after every batch (``steps_per_execution=1``),
and the mean over the last call's batches otherwise. It assumes equal batch sizes (Keras weights its mean by
samples), so the last batch of an epoch, if smaller, gets an approximation; and it inherits the float32
rounding of Keras' mean, multiplied by ``k`` (about 1e-4 relative error after 1000 batches of an epoch).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

BATCH_LOSS = "batch_loss"
RESERVED = ("lr", "iterations", "batch", "size")


def numeric_metrics(logs: Mapping[str, Any] | None) -> dict[str, float]:
    """The numbers in Keras' (already pythonified) batch `logs`, leaving out what the history records itself.

    Examples:
        >>> numeric_metrics({"loss": 0.5, "lr": 0.1, "note": "x", "accuracy": 1})
        {'loss': 0.5, 'accuracy': 1.0}
    """
    return {key: float(value) for key, value in (logs or {}).items()
            if key not in RESERVED and not isinstance(value, bool) and isinstance(value, numbers.Real)}


class BatchLoss:
    """The loss of the batches since the previous report, from Keras' running mean over the epoch.

    Examples:
        >>> tracker = BatchLoss()
        >>> tracker.start_epoch()
        >>> [tracker.update(mean, batches) for mean, batches in ((4.0, 1), (3.0, 2), (2.5, 4))]
        [4.0, 2.0, 2.0]
    """

    def __init__(self) -> None:
        self.mean = 0.0
        self.batches = 0

    def start_epoch(self) -> None:
        """Forget the previous epoch's mean: Keras restarts it at each epoch."""
        self.mean, self.batches = 0.0, 0

    def update(self, mean: float, batches: int) -> float:
        """Record the running `mean` after `batches` batches of the epoch; return the new batches' loss."""
        new = batches - self.batches
        if new <= 0 or not math.isfinite(mean):
            loss = mean
        else:
            loss = (batches * mean - self.batches * self.mean) / new
        self.mean, self.batches = mean, batches
        return loss
