"""A function's fingerprint: what "the same function" means when a state is restored in another process.

Two functions are the same when they have the same qualified name and the same code: the same bytecode, the
same constants (numbers, strings, nested functions' code, recursively), the same names they read (globals,
attributes), the same default arguments and the same values captured from enclosing functions: numbers,
strings, bytes, lists, tuples, sets and dicts by value (item by item, 20 levels deep), arrays with a buffer
(numpy arrays, ``array.array``) by dtype, shape and bytes, functions by their code; any other object (a
torch tensor, an instance of a class of your own) by its type only. So ``lambda s: 0.5 ** s`` and
``lambda s: 0.9 ** s`` differ, and the same source gives the same fingerprint in a new process. What a
function reads from globals is compared by name only: a changed global constant is not seen.

Bytecode differs between Python versions, so the fingerprint records the version (``"3.12"``); a state
saved under another version is compared by name only, with a warning (see `same_function`).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import types
import warnings
from collections.abc import Mapping
from typing import Any

from .._checks import shown as _shown

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
_PLAIN = (bool, int, float, complex, str, bytes, type(None))
_FORMAT = re.compile(r"[0-9]+\.[0-9]+:[0-9a-f]{32}")


def fingerprint(fn: Any) -> str:
    """``"<python version>:<sha256 of the code>"`` for `fn`, stable across processes.

    `fn` may be a function, a `functools.partial` or a callable object.

    Examples:
        >>> fingerprint(lambda s: 0.5 ** s) == fingerprint(lambda s: 0.5 ** s)
        True
        >>> fingerprint(lambda s: 0.5 ** s) == fingerprint(lambda s: 0.9 ** s)
        False
    """
    digest = hashlib.sha256()
    _feed(digest, fn, depth=0)
    return f"{PYTHON}:{digest.hexdigest()[:32]}"


def _feed(digest: Any, value: Any, depth: int) -> None:
    """Add `value` to `digest`: code objects field by field, containers item by item, the rest by type."""
    if depth > 20:  # a self-referencing structure: stop, deterministically
        digest.update(b"<deep>")
        return
    if isinstance(value, _PLAIN):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        digest.update(f"{type(value).__name__}[{len(items)}](".encode())
        for item in items:
            _feed(digest, item, depth + 1)
        digest.update(b")")
    elif isinstance(value, Mapping):  # a dict of settings a closure reads: by its items
        items = sorted(value.items(), key=lambda item: repr(item[0]))
        digest.update(f"{type(value).__name__}{{{len(items)}}}(".encode())
        for key, item in items:
            _feed(digest, key, depth + 1)
            _feed(digest, item, depth + 1)
        digest.update(b")")
    elif isinstance(value, types.CodeType):
        digest.update(b"code(")
        digest.update(value.co_code)
        for part in (value.co_consts, value.co_names, value.co_varnames, value.co_freevars, value.co_argcount,
                     value.co_kwonlyargcount):
            _feed(digest, part, depth + 1)
        digest.update(b")")
    elif isinstance(value, types.FunctionType):
        digest.update(f"function {value.__qualname__}(".encode())
        _feed(digest, value.__code__, depth + 1)
        _feed(digest, value.__defaults__, depth + 1)
        _feed(digest, tuple(sorted((value.__kwdefaults__ or {}).items())), depth + 1)
        cells = tuple(_cell_value(cell) for cell in value.__closure__ or ())
        _feed(digest, cells, depth + 1)
        digest.update(b")")
    elif isinstance(value, types.MethodType):
        _feed(digest, value.__func__, depth + 1)
        _feed(digest, value.__self__, depth + 1)
    elif isinstance(value, functools.partial):
        digest.update(b"partial(")
        _feed(digest, value.func, depth + 1)
        _feed(digest, value.args, depth + 1)
        _feed(digest, tuple(sorted(value.keywords.items())), depth + 1)
        digest.update(b")")
    elif (view := _buffer(value)) is not None:  # numpy arrays, array.array, bytearray: dtype, shape, bytes
        kind = type(value)
        digest.update(f"buffer {kind.__module__}.{kind.__qualname__} {view.format} {view.shape}(".encode())
        digest.update(view.tobytes())
        digest.update(b")")
    else:  # a callable object or a captured value of another kind: its type, and its __call__'s code if any
        kind = type(value)
        digest.update(f"object {kind.__module__}.{kind.__qualname__}(".encode())
        call = vars(kind).get("__call__")
        if isinstance(call, types.FunctionType):
            _feed(digest, call.__code__, depth + 1)
        digest.update(b")")


def _buffer(value: Any) -> memoryview | None:
    """`value`'s buffer (a numpy array, an ``array.array``), or None for an object without one."""
    if isinstance(value, types.FunctionType | type):
        return None
    try:
        return memoryview(value)
    except TypeError:
        return None


def _cell_value(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell (a name assigned after the function was made)
        return "<empty cell>"


def same_function(saved: str, own: str, name: str) -> bool:
    """Whether a saved fingerprint matches `own`.

    Under another Python version only the name can be compared, so this warns and answers True (the caller
    has already compared the names).
    """
    if not isinstance(saved, str) or not _FORMAT.fullmatch(saved):
        raise ValueError(f"cannot restore: the saved scale_fn {name!r} has a malformed fingerprint "
                         f"{_shown(saved)} (expected '<python version>:<32 hex digits>', as saved)")
    if saved == own:
        return True
    saved_python = saved.partition(":")[0]
    if saved_python != PYTHON:
        warnings.warn(f"the saved scale_fn {name!r} was fingerprinted under Python {saved_python}, this is "
                      f"Python {PYTHON}: its code cannot be compared, only its name; make sure it is unchanged",
                      RuntimeWarning, stacklevel=4)
        return True
    return False
