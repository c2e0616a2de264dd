"""Saving files so that nothing saved is lost: write to a temporary name in the same folder, then move it.

`os.replace` is atomic on one file system, so a reader sees the old file or the new one, never half of
either; a write that fails (a full disk, an interrupted process) leaves the old file as it was and removes
its temporary.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

PathLike = str | os.PathLike[str]


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[str]:
    """Yield a temporary path next to `path`; when the block ends without error, move it onto `path`.

    For writers that want a file name (``figure.savefig(temporary)``). On an error the temporary is removed
    and `path` is untouched.

    Examples:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> with atomic_path(target) as temporary:
        ...     _ = pathlib.Path(temporary).write_text("new")
        >>> target.read_text()
        'new'
    """
    target = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(target))
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot write {target!r}: it is a folder; give a file name")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as error:  # name the file the user asked for, not our temporary
        raise type(error)(error.errno, f"cannot write {target!r}: {error.strerror}") from error
    os.close(handle)
    os.chmod(temporary, _mode_for(target))  # mkstemp makes it private; keep the permissions a file would get
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def atomic_write_text(path: PathLike, text: str, *, newline: str | None = None) -> None:
    """Write `text` (UTF-8) to `path` atomically: the old file stays whole if anything fails."""
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline=newline) as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())


def _mode_for(target: str) -> int:
    """The old file's permissions, or those a new file gets under the current umask."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
