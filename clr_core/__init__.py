"""clr_core: cyclical learning rates as pure math and plain state, with no third-party import.

Schedules (`CyclicSchedule` and its compositions) give the lr at any iteration with `lr_at`;
`ScheduleState` steps them with two counters and a `History`; `RangeTest` finds the bounds. Everything
saves to plain data. This is the user's API; adapter and schedule authors also use `clr_core.extend`.
"""

from importlib.metadata import PackageNotFoundError, version

from .history import History
from .range_test import RangeSweep, RangeTest, RangeTestResult, RangeTestWarning
from .schedules import (
    WSD,
    Anneal,
    CosineRestarts,
    CyclicSchedule,
    Join,
    Mirrored,
    OneCycle,
    Schedule,
    ScheduleEnded,
    exp_range,
    momentum_for,
    register_scale_fn,
    schedule_from_config,
    schedule_to_config,
    triangular,
    triangular2,
    warmup,
)
from .state import ScheduleState
from .units import ends_on_cycle_boundary, epochs_to_steps, steps_per_epoch

try:
    __version__ = version("clr-cyclical")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Anneal",
    "CosineRestarts",
    "CyclicSchedule",
    "History",
    "Join",
    "Mirrored",
    "OneCycle",
    "RangeSweep",
    "RangeTest",
    "RangeTestResult",
    "RangeTestWarning",
    "Schedule",
    "ScheduleEnded",
    "ScheduleState",
    "WSD",
    "ends_on_cycle_boundary",
    "epochs_to_steps",
    "exp_range",
    "momentum_for",
    "register_scale_fn",
    "schedule_from_config",
    "schedule_to_config",
    "steps_per_epoch",
    "triangular",
    "triangular2",
    "warmup",
]
