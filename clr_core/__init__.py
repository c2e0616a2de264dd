"""clr_core: cyclical learning rates as pure math and plain state, with no third-party import.

`CyclicSchedule` gives the lr at any iteration (`lr_at`), `ScheduleState` steps it with two counters and a
`History`, and both save to plain data. The Keras and PyTorch adapters build on these.
"""

from .anneal import Anneal
from .base import ScheduleBase
from .cyclic import MODES, SCALE_MODES, CyclicSchedule
from .formula import WAVEFORMS
from .history import History
from .import_path import import_path_of, resolve_import_path
from .join import Join, ScheduleEnded
from .mirrored import Mirrored, momentum_bounds, momentum_for
from .one_cycle import OneCycle
from .ops import MATH_OPS, ArrayOps, numpy_ops
from .range_result import RangeTestResult, RangeTestWarning
from .range_test import RangeTest
from .sweep import SWEEPS, RangeSweep
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
from .restarts import CosineRestarts
from .state import ScheduleState
from .units import ends_on_cycle_boundary, epochs_to_steps, steps_per_epoch
from .warmup import warmup

__all__ = [
    "MATH_OPS",
    "MODES",
    "SCALE_MODES",
    "SWEEPS",
    "WAVEFORMS",
    "Anneal",
    "ArrayOps",
    "CosineRestarts",
    "CustomScale",
    "CyclicSchedule",
    "ExpRange",
    "History",
    "Join",
    "Mirrored",
    "OneCycle",
    "RangeSweep",
    "RangeTest",
    "RangeTestResult",
    "RangeTestWarning",
    "ScaleFunction",
    "Schedule",
    "ScheduleBase",
    "ScheduleEnded",
    "ScheduleState",
    "Triangular",
    "Triangular2",
    "ends_on_cycle_boundary",
    "epochs_to_steps",
    "exp_range",
    "import_path_of",
    "momentum_bounds",
    "momentum_for",
    "numpy_ops",
    "register_schedule_kind",
    "resolve_import_path",
    "scale_from_config",
    "schedule_from_config",
    "schedule_to_config",
    "steps_per_epoch",
    "triangular",
    "triangular2",
    "warmup",
]
