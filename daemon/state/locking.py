"""One instance per user (and one reset wizard per library): an OS file lock, released when the process dies."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from endnoted.common.errors import AlreadyRunning, StateDiskFull, StateStoreError
from endnoted.common.files import NotRegular, create_private, private_dir

# Windows locks byte ranges, and a locked range cannot even be read by others: lock one byte far
# past the pid, so a second instance can still read who holds the lock and say "already running".
WINDOWS_LOCK_OFFSET = 1 << 20


def _lock(handle: IO[str]) -> None:
    """Take the OS lock on `handle` without waiting; raise OSError when someone else holds it."""
    # Each lock module exists on its own platform only, so each is imported where it is used.
    if sys.platform.startswith("win"):  # pragma: no cover - Windows only
        import msvcrt
        handle.seek(WINDOWS_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


class FileLock:
    """An exclusive, non-blocking lock on a file; the holder's pid is written inside for messages.

    `locker` takes the OS lock (default: flock, or msvcrt.locking on Windows); a test passes
    Windows' behaviour, which cannot exist on Linux.
    """

    def __init__(self, path: Path, what: str, *, locker: Callable[[IO[str]], None] = _lock) -> None:
        self.path = path
        self.what = what
        self.locker = locker
        self._handle: IO[str] | None = None

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip()[:20] or "another process"
        except OSError:   # unreadable (another platform's lock semantics): still "already running"
            return "another process"

    def acquire(self) -> FileLock:
        """Take the lock; raise AlreadyRunning if another process holds it, StateStoreError if it cannot be taken."""
        try:
            private_dir(self.path.parent)
            create_private(self.path)   # 0600 whatever the umask: it names our pid, nothing more, but it is ours
            handle = self.path.open("a+", encoding="utf-8")
        except NotRegular as error:   # a FIFO there: refused before an open could wait on it
            raise StateStoreError(f"the lock file {self.path} {error}; move it away") from error
        except OSError as error:
            raise self._cannot(error) from error
        try:
            self.locker(handle)
        except OSError as error:
            handle.close()
            raise AlreadyRunning(f"{self.what} is already running (pid {self._holder()}); "
                                 "stop it first or use endnoted status") from error
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError as error:
            with contextlib.suppress(OSError):   # closing flushes the same unwritten bytes again
                handle.close()
            raise self._cannot(error) from error
        self._handle = handle
        return self

    def _cannot(self, error: OSError) -> StateStoreError:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return StateDiskFull(self.path.parent)
        return StateStoreError(f"cannot take the lock {self.path}: {error.strerror or error}")

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
