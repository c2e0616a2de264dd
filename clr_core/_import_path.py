"""Naming a Python function by its import path (``"package.module:function"``) and finding it again.

Configs hold names, never function objects: that is how a saved schedule stays loadable in another process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

HOW_TO_SAVE = (
    "define it with `def` at the top level of an importable module (then it is saved as "
    "'package.module:function'), or use a built-in scale function such as clr_core.exp_range(gamma)"
)


def import_path_of(fn: Callable[..., Any], *, argument: str = "scale_fn") -> str:
    """Return ``"module:qualname"`` for `fn`, or raise `ValueError` saying how to make it savable.

    Examples:
        >>> import_path_of(import_path_of)
        'clr_core._import_path:import_path_of'
    """
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise ValueError(f"{argument}={fn!r} cannot be saved in a config: a lambda, a local function or a "
                         f"callable object has no import path; {HOW_TO_SAVE}")
    path = f"{module}:{qualname}"
    try:
        found = resolve_import_path(path, argument=argument)
    except ValueError:
        found = None
    if found is not fn:
        raise ValueError(f"{argument}={fn!r} cannot be saved in a config: {path!r} does not lead back to "
                         f"it; {HOW_TO_SAVE}")
    return path


def resolve_import_path(path: str, *, argument: str = "scale_fn") -> Callable[..., Any]:
    """Import and return the callable that ``"module:qualname"`` names.

    Examples:
        >>> resolve_import_path("math:sqrt")(4.0)
        2.0
    """
    module_name, sep, qualname = path.partition(":") if isinstance(path, str) else ("", "", "")
    if not sep or not module_name or not qualname:
        raise ValueError(f"{argument} must be an import path 'package.module:function', got {path!r}")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"{argument} import path {path!r} cannot be loaded: {error}") from error
    if not callable(target):
        raise ValueError(f"{argument} import path {path!r} names {target!r}, which is not callable")
    function: Callable[..., Any] = target
    return function
