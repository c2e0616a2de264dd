"""Which plan continues on resume: the saved schedules or the ones built (DESIGN.md section 6).

A state dict holds the schedules it ran (bounds changed by a reset included). Loading it into an object
built with other schedules is either a resume of the saved plan (``plan='saved'``) or a change of plan that
keeps the counters and the history (``plan='current'``, e.g. a longer run, or a cooldown branched from a
stable run). Without a choice the saved plan continues, as before, and a warning names both plans.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from . import _checks
from .schedules.base import Schedule, describe_schedules

PLANS = ("saved", "current")


def checked(plan: Any) -> str | None:
    """`plan` if it is None, ``'saved'`` or ``'current'``; else a `ValueError` listing them."""
    if plan is None:
        return None
    return _checks.choice("plan", plan, PLANS)


def check_saved(saved: Any, count: int, holder: str) -> None:
    """Raise `ValueError` unless `saved` is `describe_schedules` output for `count` schedules (any kinds)."""
    if isinstance(saved, (str, bytes)) or not isinstance(saved, Sequence) or len(saved) != count:
        found = len(saved) if isinstance(saved, Sequence) and not isinstance(saved, (str, bytes)) else saved
        raise ValueError(f"cannot restore: the saved {holder} has {found!r:.100} schedules but this one has "
                         f"{count}; build it with as many before loading")
    for entry in saved:
        if not isinstance(entry, Mapping) or set(entry) != {"kind", "description"} or \
                not isinstance(entry["kind"], str):
            raise ValueError(f"cannot restore: each saved schedule in the {holder} must be a dict with 'kind' "
                             f"and 'description', got {entry!r:.200}")


def warn_if_changed(built: Sequence[Schedule], saved: Sequence[Schedule], stacklevel: int) -> None:
    """Warn once, naming both plans, when the `saved` schedules (restored) differ from the `built` ones."""
    changed = [k for k, (own, other) in enumerate(zip(built, saved))
               if describe_schedules([own]) != describe_schedules([other])]
    if not changed:
        return
    k = changed[0]
    where = f" (param group {k})" if len(built) > 1 else ""
    warnings.warn(f"the loaded state's plan{where} differs from the one built: saved {_named(saved[k])}, built "
                  f"{_named(built[k])}; continuing with the saved plan. Pass plan='saved' to adopt it without "
                  f"this warning, or plan='current' to keep the counters and history and continue with the "
                  f"plan built", UserWarning, stacklevel=stacklevel + 1)


def _named(schedule: Schedule) -> str:
    """The schedule's repr, cut to 300 characters (a join of joins stays readable)."""
    text = repr(schedule)
    return text if len(text) <= 300 else f"{text[:297]}..."
