"""One instance per user (and one reset wizard per library): an OS file lock, released when the process dies."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from endnoted.common.errors import AlreadyRunning
from endnoted.common.files import create_private, private_dir


class FileLock:
    """An exclusive, non-blocking lock on a file; the holder's pid is written inside for messages."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._handle: IO[str] | None = None

    def acquire(self) -> FileLock:
        private_dir(self.path.parent)
        create_private(self.path)   # 0600 whatever the umask: it names our pid, nothing more, but it is ours
        handle = self.path.open("a+", encoding="utf-8")
        try:
            if sys.platform.startswith("win"):  # pragma: no cover - Windows only
                import msvcrt
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise AlreadyRunning(f"{self.what} is already running (pid {holder}); "
                                 "stop it first or use endnoted status") from error
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
