"""Saving files so that nothing saved is lost: write to a temporary name in the same folder, then move it.

`os.replace` is atomic on one file system, so a reader sees the old file or the new one, never half of
either; a write that fails (a full disk, an exception, Ctrl-C) leaves the old file as it was and removes its
temporary.

What is replaced is always a regular file. A symlink is followed and the file it points to is replaced (the
link stays a link); a target that is not a regular file (``/dev/null``, a FIFO, a socket, or anything
reached through ``/proc``, as ``/dev/stdout`` is) is written through, opened and written as ``cp`` or ``tee``
would, so a device or a pipe is never swapped for a file.

A process killed while writing (SIGKILL; SIGTERM or SIGHUP with their default action) cannot remove its
temporary, ``.<name>.<random>.clr.tmp``; the next write to the same target removes it. The writer holds a
lock on its temporary (``fcntl.flock``; the kernel drops it when the process dies, however it dies), so a
temporary another process is still writing is never taken for a stale one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator

PathLike = str | os.PathLike[str]

_SUFFIX = ".clr.tmp"
_MAGIC = "/proc/"  # the kernel's links to open files: /dev/stdout -> /proc/self/fd/1 -> whatever fd 1 is
_MAX_LINKS = 40  # as the kernel's ELOOP limit

if sys.platform != "win32":
    import fcntl

    def _lock(handle: int, *, wait: bool) -> bool:
        """Take the exclusive lock on the open file `handle`; without `wait`, False when another holds it."""
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True
else:  # Windows refuses to remove a file another process has open: that is the lock
    def _lock(handle: int, *, wait: bool) -> bool:
        """Always True: an open temporary cannot be removed on Windows."""
        return True


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[str]:
    """Yield the name to write `path` through: a temporary next to it, moved onto it when the block ends.

    For writers that want a file name (``figure.savefig(temporary)``). On an error the temporary is removed
    and `path` is untouched. A symlink's target is what gets replaced; a target that is not a regular file
    (a device, a FIFO, ``/dev/stdout``) is yielded itself, to be written through.

    Examples:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> with atomic_path(target) as temporary:
        ...     _ = pathlib.Path(temporary).write_text("new")
        >>> target.read_text()
        'new'
    """
    target = os.fspath(path)
    if not target:
        raise ValueError("cannot write '': the output must be a file name")
    resolved = _replaceable(target)
    if resolved is None:
        yield target
        return
    if os.path.isdir(resolved):
        raise IsADirectoryError(f"cannot write {target!r}: it is a folder; give a file name")
    folder, name = os.path.split(resolved)
    _remove_stale(folder, name)
    handle, temporary = _locked_temporary(target, folder, name)
    try:
        os.chmod(temporary, _mode_for(resolved))  # mkstemp makes it private; keep the permissions a file gets
        yield temporary
        os.replace(temporary, resolved)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    finally:
        os.close(handle)  # releases the lock, after the move: a cleaner never sees it unlocked in place


def atomic_write_text(path: PathLike, text: str, *, newline: str | None = None) -> None:
    """Write `text` (UTF-8) to `path` atomically: the old file stays whole if anything fails.

    A target that is not a regular file (``/dev/stdout``, a FIFO) is written through (see `atomic_path`).
    """
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline=newline) as file:
            file.write(text)
            file.flush()
            if stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # a pipe or a terminal has nothing to sync
                os.fsync(file.fileno())


def _replaceable(target: str) -> str | None:
    """The regular file (existing or not) that writing `target` should replace, or None to write through.

    Follows symlinks one at a time (folders resolved as they come), so that a link into ``/proc`` is seen as
    such even when it ends at a regular file: ``/dev/stdout`` redirected to a file is written through, since
    replacing that file would leave the process's later output in the old one, unlinked.
    """
    current = os.path.abspath(target)
    for _ in range(_MAX_LINKS):
        folder, name = os.path.split(current)
        current = os.path.join(os.path.realpath(folder), name)
        if current.startswith(_MAGIC):
            return None
        if not os.path.islink(current):
            break
        current = os.path.join(os.path.dirname(current), os.readlink(current))  # relative to the link's folder
    else:
        raise OSError(errno.ELOOP, f"cannot write {target!r}: too many levels of symbolic links")
    try:
        mode = os.stat(current).st_mode
    except FileNotFoundError:
        return current  # a new file (or the missing target of a dangling link)
    return current if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else None


def _locked_temporary(target: str, folder: str, name: str) -> tuple[int, str]:
    """A new temporary for `name` in `folder`, open and locked, so that no cleaner takes it for stale."""
    while True:
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=_SUFFIX, dir=folder)
        except OSError as error:  # name the file the user asked for, not our temporary
            raise type(error)(error.errno, f"cannot write {target!r}: {error.strerror}") from error
        _lock(handle, wait=True)
        with contextlib.suppress(OSError):  # still ours: a cleaner did not remove it before we locked it
            if os.path.samestat(os.stat(temporary), os.fstat(handle)):
                return handle, temporary
        os.close(handle)


def _remove_stale(folder: str, name: str) -> None:
    """Remove temporaries of `name` that no process holds any more (their writer was killed)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.[A-Za-z0-9_]+{re.escape(_SUFFIX)}")
    try:
        entries = os.listdir(folder)
    except OSError:
        return  # mkstemp will say what is wrong with the folder
    for entry in entries:
        if not pattern.fullmatch(entry):
            continue
        stale = os.path.join(folder, entry)
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove: leave it
            handle = os.open(stale, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if _lock(handle, wait=False) and os.path.samestat(os.stat(stale), os.fstat(handle)):
                    os.remove(stale)
            finally:
                os.close(handle)


def _mode_for(target: str) -> int:
    """The old file's permissions, or those a new file gets under the current umask."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
