"""clr_core.extend: what adapter and schedule authors need, beyond the user's API in `clr_core`.

- Writing a schedule kind: `ScheduleBase` (gives the checked `lr_at`), `register_schedule_kind`, the ops
  protocol `ArrayOps` with the namespaces `MATH_OPS` and `numpy_ops()`, and the scale-function classes.
- Writing an adapter: `checks` (argument checks that word every error the same way, `checks.per_item` for
  "one value or one per param group"), the one face builder `face_state` (a constructor's arguments in; the
  schedules, the momentum and the state out; with `face_schedules`, `face_momentum` and the momentum
  defaults `default_momentum`, `CYCLIC_MOMENTUM`, `ONE_CYCLE_MOMENTUM`), `planned_schedule` (a range test's
  plan for a face's ``from_range_test``), `cyclic_arguments` ("schedule= or
  the cyclic arguments"), `checked_schedule`, `CYCLIC_DEFAULTS`, `lr_at_array` (a schedule over an array of
  iterations), the mode names as `Literal` types (``typing.get_args(Mode)`` lists them), `momentum_bounds`,
  and `describe_schedules` / `restore_schedules` for state dicts, `Batches` (a range-test runner's data:
  read again when exhausted, no batch kept) and `adaptive_optimizer` (whether a runner's optimizer is
  adaptive, from its class names).
- Loading and saving safely: `ImportRefused` (a config's import path refused in safe mode), `atomic_path` /
  `atomic_write_text` (files written to a temporary name and moved into place).
- Computing a schedule in float32 (JAX without x64): `CountOps`, the namespace for an array module that keeps
  the step counter an exact integer, so every int32 step is exact to float32 rounding.

Everything else in `clr_core` is private; the adapters and `clr_tools` import only from `clr_core` and this
module, and a test keeps it so.
"""

from . import _checks as checks
from ._arrays import lr_at_array
from ._counts import CountOps
from ._files import atomic_path, atomic_write_text
from ._frameworks import require as require_framework
from ._import_path import import_path_of, resolve_import_path
from ._ops import MATH_OPS, ArrayOps, numpy_ops
from .faces import (
    CYCLIC_MOMENTUM,
    ONE_CYCLE_MOMENTUM,
    default_momentum,
    face_momentum,
    face_schedules,
    face_state,
    planned_schedule,
)
from .range_test.adaptive import adaptive_optimizer
from .range_test.data import Batches
from .schedules._formula import Waveform
from .schedules.base import ScheduleBase, describe_schedules, register_schedule_kind, restore_schedules
from .schedules.cyclic import CYCLIC_DEFAULTS, Mode, ScaleMode, checked_schedule, cyclic_arguments
from .schedules.momentum import momentum_bounds
from .schedules.scale import (
    CustomScale,
    ExpRange,
    ImportRefused,
    ScaleFunction,
    Triangular,
    Triangular2,
    scale_from_config,
)

__all__ = [
    "CYCLIC_DEFAULTS",
    "CYCLIC_MOMENTUM",
    "CountOps",
    "MATH_OPS",
    "ONE_CYCLE_MOMENTUM",
    "ArrayOps",
    "Batches",
    "CustomScale",
    "ExpRange",
    "ImportRefused",
    "Mode",
    "ScaleFunction",
    "ScaleMode",
    "ScheduleBase",
    "Triangular",
    "Triangular2",
    "Waveform",
    "adaptive_optimizer",
    "atomic_path",
    "atomic_write_text",
    "checked_schedule",
    "checks",
    "cyclic_arguments",
    "default_momentum",
    "describe_schedules",
    "face_momentum",
    "face_schedules",
    "face_state",
    "planned_schedule",
    "import_path_of",
    "lr_at_array",
    "momentum_bounds",
    "numpy_ops",
    "register_schedule_kind",
    "require_framework",
    "resolve_import_path",
    "restore_schedules",
    "scale_from_config",
]
