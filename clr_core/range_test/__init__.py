"""The LR range test (Smith, arXiv:1506.01186, section 3.3): the sweep, the bookkeeping loop and the result
with its suggested bounds. Framework-free; each adapter adds a thin runner. Re-exports only."""

from .loop import RangeTest
from .result import RangeTestResult
from .sweep import RangeSweep

__all__ = ["RangeSweep", "RangeTest", "RangeTestResult"]
