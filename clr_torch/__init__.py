"""clr_torch: cyclical learning rates (Smith, arXiv:1506.01186) as a PyTorch lr scheduler.

`CyclicLR` is a `torch.optim.lr_scheduler.LRScheduler`: call ``scheduler.step()`` after each
``optimizer.step()``. Every lr comes from `clr_core`; see docs/torch.md. `range_test` runs Smith's LR range
test on a model to pick the bounds.
"""

from . import _framework as _framework  # first: a missing framework is told with the extra to install
from .range_test import range_test
from .scheduler import STATE_FORMAT, CyclicLR

__all__ = ["STATE_FORMAT", "CyclicLR", "range_test"]
