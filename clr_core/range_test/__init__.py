"""The LR range test (Smith, arXiv:1506.01186, section 3.3). Re-exports only.

The sweep, the bookkeeping loop, the result with its suggested bounds and the robust curve it reads, and the
batches a runner trains on, framework-free; each adapter adds a thin runner.
"""

from .combine import CombinedBounds, combine_range_tests
from .data import Batches
from .loop import RangeTest
from .result import RangeTestResult, RangeTestWarning
from .sweep import RangeSweep

__all__ = ["Batches", "CombinedBounds", "RangeSweep", "RangeTest", "RangeTestResult", "RangeTestWarning",
           "combine_range_tests"]
