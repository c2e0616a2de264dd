"""clr_core: cyclical learning rates as pure math and plain state, with no third-party import.

`CyclicSchedule` gives the lr at any iteration (`lr_at`), `ScheduleState` steps it with two counters and a
`History`, and both save to plain data. The Keras and PyTorch adapters build on these.
"""

from .cyclic import MODES, SCALE_MODES, CyclicSchedule
from .history import History
from .import_path import import_path_of, resolve_import_path
from .ops import MATH_OPS, ArrayOps, numpy_ops
from .progress import ProgressBar
from .range_test import SWEEPS, RangeSweep, RangeTest, RangeTestResult
from .protocol import Schedule, register_schedule_kind, schedule_from_config, schedule_to_config
from .scale import (
    CustomScale,
    ExpRange,
    ScaleFunction,
    Triangular,
    Triangular2,
    exp_range,
    scale_from_config,
    triangular,
    triangular2,
)
from .state import ScheduleState

__all__ = [
    "MATH_OPS",
    "MODES",
    "SCALE_MODES",
    "ArrayOps",
    "CustomScale",
    "CyclicSchedule",
    "ExpRange",
    "History",
    "ScaleFunction",
    "ProgressBar",
    "RangeSweep",
    "RangeTest",
    "RangeTestResult",
    "SWEEPS",
    "Schedule",
    "ScheduleState",
    "Triangular",
    "Triangular2",
    "exp_range",
    "import_path_of",
    "numpy_ops",
    "register_schedule_kind",
    "resolve_import_path",
    "scale_from_config",
    "schedule_from_config",
    "schedule_to_config",
    "triangular",
    "triangular2",
]
