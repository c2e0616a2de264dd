"""The LR range test (Smith, arXiv:1506.01186, section 3.3). Re-exports only.

The sweep, the bookkeeping loop and the result with its suggested bounds, framework-free; each adapter adds
a thin runner.
"""

from .loop import RangeTest
from .result import RangeTestResult
from .sweep import RangeSweep

__all__ = ["RangeSweep", "RangeTest", "RangeTestResult"]
