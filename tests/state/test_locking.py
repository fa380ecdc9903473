"""The single-instance lock says "already running" on every platform, never PermissionError."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import IO

import pytest

from endnoted.common.errors import AlreadyRunning
from endnoted.state.locking import FileLock


def windows_locking(handle: IO[str]) -> None:
    """Stands in for msvcrt.locking on a byte another process holds (Windows only): it raises OSError."""
    raise OSError(errno.EDEADLK, "Resource deadlock avoided")


def test_a_second_instance_is_told_already_running_with_the_holders_pid(tmp_path: Path) -> None:
    lock = tmp_path / "daemon.lock"
    with FileLock(lock, "the endnoted daemon"):
        with pytest.raises(AlreadyRunning, match=r"already running \(pid \d+\)"):
            FileLock(lock, "the endnoted daemon").acquire()
        # Windows: the lock byte lies past the pid, so the pid can be read while the lock is held.
        with pytest.raises(AlreadyRunning, match=r"the endnoted daemon is already running \(pid \d+\)"):
            FileLock(lock, "the endnoted daemon", locker=windows_locking).acquire()
    with FileLock(lock, "the endnoted daemon"):   # released: free again
        pass
