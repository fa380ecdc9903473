"""Remembers which library databases passed SQLite's structural check, so an unchanged file is not checked again.

A file is "unchanged" when its size, modification time (ns), inode and SQLite's own file change
counter (header bytes 24-27, bumped by every commit) are all the same as when it passed, and so are
the size and mtime of its `-wal` if it has one (a WAL-mode database changes there first). Any write
by EndNote changes at least the counter and the mtime, so the check runs again. Only passes are
remembered, for at most a day: damage that leaves all four unchanged (a failing disk, a tool that
restores mtimes) is still found within a day. Only regular check passes use this; a backup's
proof always checks in full.

`recheck` is the daemon's structural check after an incremental reading (reading/incremental.py
does not run it: it would add about a third of a second at 100k references to every save's
verdict); the daemon runs it on its worker right after that reading's verdict is stored.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from pathlib import Path

from endnoted.common import paths
from endnoted.common.errors import DatabaseBusy, DatabaseUnreadable, InterruptedWrite, LibraryVanished
from endnoted.common.files import create_private, private_dir
from endnoted.reading.database import open_regular, read_transaction

logger = logging.getLogger(__name__)
KEEP = 500
MAX_AGE_SECONDS = 24 * 3600


def identity(database: Path) -> list[int]:
    """Given a database, return what changes whenever it is written; raise LibraryVanished if it is no longer there."""
    try:
        fd = open_regular(database)   # never blocks on a FIFO swapped in for the database
    except FileNotFoundError as error:   # moved or deleted while it was being read: gone, not damaged
        raise LibraryVanished(database) from error
    try:
        stat = os.fstat(fd)
        counter = int.from_bytes(os.pread(fd, 4, 24) if hasattr(os, "pread") else _read_at(fd, 24, 4), "big")
    finally:
        os.close(fd)
    # A WAL-mode database changes in its -wal without touching the main file's size, mtime or counter.
    try:
        wal = database.with_name(database.name + "-wal").stat()
        wal_marks = [wal.st_size, wal.st_mtime_ns]
    except OSError:
        wal_marks = [0, 0]
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino, counter, *wal_marks]


def _read_at(fd: int, offset: int, size: int) -> bytes:   # Windows has no pread
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


class IntegrityMemo:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.state_dir() / "integrity.json"

    def _load(self) -> dict[str, list[float]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def passed(self, database: Path, ident: list[int], *, now: float | None = None) -> bool:
        entry = self._load().get(str(database))
        if not entry or entry[:-1] != ident:
            return False
        return (now or time.time()) - entry[-1] < MAX_AGE_SECONDS

    def remember(self, database: Path, ident: list[int]) -> None:
        data = self._load()
        data.pop(str(database), None)
        data[str(database)] = [*ident, time.time()]
        data = dict(list(data.items())[-KEEP:])
        try:
            private_dir(self.path.parent)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            create_private(temporary)   # 0600: it lists the user's library paths
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:  # a cache: losing it only costs time
            logger.debug("cannot remember integrity of %s: %s", database, error)


def recheck(database: Path, memo: IntegrityMemo) -> str | None:
    """Given a database and the memo, return SQLite's structural check of the file as it is now: "ok" (remembered),
    or what is wrong; None when it cannot be told now (being written, or moved away: the reading that follows
    a write or a move checks again). Unlike a reading, never raises for a bad file."""
    try:
        with read_transaction(database, attempts=2) as connection:
            ident = identity(database)   # inside the read transaction: the file cannot change under us
            if memo.passed(database, ident):
                return "ok"
            result = str(connection.execute("PRAGMA quick_check(1)").fetchone()[0])
    except (DatabaseBusy, InterruptedWrite, LibraryVanished, sqlite3.OperationalError):
        return None
    except DatabaseUnreadable as error:
        return str(error)
    except sqlite3.DatabaseError as error:   # "database disk image is malformed"
        return str(error)
    if result == "ok":
        memo.remember(database, ident)
    return result
