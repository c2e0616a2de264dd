"""Schedule kinds, each an immutable value with a checked `lr_at`. Re-exports only.

The cyclic policy, its compositions (joins, anneals, warmup, one-cycle, restarts, warmup-stable-decay), scale
functions and momentum schedules.
"""

from .anneal import Anneal
from .base import Schedule, ScheduleBase, register_schedule_kind, schedule_from_config, schedule_to_config
from .cyclic import CyclicSchedule
from .join import Join, ScheduleEnded
from .momentum import Mirrored, momentum_bounds, momentum_for
from .one_cycle import OneCycle
from .restarts import CosineRestarts
from .scale import exp_range, register_scale_fn, triangular, triangular2
from .warmup import warmup
from .wsd import WSD

__all__ = [
    "Anneal",
    "CosineRestarts",
    "CyclicSchedule",
    "Join",
    "Mirrored",
    "OneCycle",
    "Schedule",
    "ScheduleBase",
    "ScheduleEnded",
    "WSD",
    "exp_range",
    "momentum_bounds",
    "momentum_for",
    "register_scale_fn",
    "register_schedule_kind",
    "schedule_from_config",
    "schedule_to_config",
    "triangular",
    "triangular2",
    "warmup",
]
