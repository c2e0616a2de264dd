"""clr_keras: cyclical learning rates (Smith, arXiv:1506.01186) for Keras 3.

Two faces of the same `clr_core` formula:

- `CyclicLR`, a callback and drop-in replacement for the classic one (history, ``_reset``), exact at every
  optimizer step also with ``steps_per_execution > 1``, and with ``cycle_momentum=True`` cycling the
  optimizer's momentum inversely to the rate, step by step (`clr_keras.momentum`);
- `CyclicLRSchedule`, a ``LearningRateSchedule`` computed inside the compiled train step, saved with the
  model.
"""

from . import _framework as _framework  # first: a missing Keras is told with the extra to install
from .callback import CyclicLR
from .ops import KERAS_OPS, KerasOps
from .range_test import range_test
from .schedule import CyclicLRSchedule

__all__ = ["KERAS_OPS", "CyclicLR", "CyclicLRSchedule", "KerasOps", "range_test"]
