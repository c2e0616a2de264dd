"""The one check every face runs first: its framework is installed, else an error naming the extra to install."""

from __future__ import annotations

from importlib import import_module


def require(face: str, framework: str, *modules: str, extra: str) -> None:
    """Import each of `modules`, or raise `ImportError` saying `face` needs `framework` and which extra brings it.

    Examples:
        >>> require("clr_core", "the standard library", "math", extra="core")
        >>> require("clr_x", "X", "no_such_module_xyz", extra="x")
        Traceback (most recent call last):
        ...
        ImportError: clr_x needs X (no_such_module_xyz is not installed): pip install "clr-cyclical[x]"
    """
    for module in modules:
        try:
            import_module(module)
        except ImportError as error:
            raise ImportError(f'{face} needs {framework} ({module} is not installed): pip install '
                              f'"clr-cyclical[{extra}]"') from error
