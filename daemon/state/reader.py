"""The read-only side of the state file in plain sqlite3: opening it, the rows `status` reads, and what a
failed read says. Part of the store (`store.py` opens and reads through these, with the same SQL text),
kept apart so `endnoted status` can read the file without importing the store's typed records, pathlib
or logging (start-up time, issue 16 item 5; benchmarks/bench_startup.py).

Imports: os, sqlite3 and the error tree only. Paths are taken as str or os.PathLike.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat

from endnoted.common.errors import StateDiskFull, StateStoreError

TYPE_CHECKING = False
if TYPE_CHECKING:   # annotations only: typing costs `status` an import (start-up time)
    from typing import Any

# The rows `status` reads, one text each: the store's heartbeat(), libraries() and open_resets() use them too.
HEARTBEAT = "SELECT * FROM heartbeat WHERE id = 1"
LIBRARIES = "SELECT * FROM libraries ORDER BY path"
OPEN_RESETS = "SELECT * FROM reset_runs WHERE ended_at IS NULL ORDER BY id"

# SQLite result codes that mean "this file is not a sound state database" (as opposed to busy,
# read-only, full or unopenable, which are never a reason to move the file aside).
_SQLITE_ERROR, _SQLITE_CORRUPT, _SQLITE_NOTADB = 1, 11, 26
DAMAGE_CODES = {_SQLITE_ERROR, _SQLITE_CORRUPT, _SQLITE_NOTADB}
_SQLITE_FULL = 13   # the disk is full: not damage, and said as such
# Unreserved characters and "/": what a file URI keeps as it is (as urllib.parse.quote_from_bytes, safe="/").
_URI_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/")


class DamagedState(Exception):
    """The state file is not one of ours, or is corrupt (internal: becomes a move-aside or a StateStoreError)."""


def is_damage(error: Exception) -> bool:
    return getattr(error, "sqlite_errorcode", None) in DAMAGE_CODES or isinstance(error, DamagedState)


def disk_full(error: Exception) -> bool:
    return getattr(error, "sqlite_errorcode", None) == _SQLITE_FULL or \
        getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT)


def damaged_message(path: str | os.PathLike[str], error: Exception) -> str:
    return (f"the state file {path} is damaged ({error}); endnoted run (or any backup) moves it aside and "
            "starts a fresh one")


def existing(path: str | os.PathLike[str]) -> str | os.PathLike[str] | None:
    """Given the state file's path, return it if it exists, None if it does not (the daemon never ran).

    A state folder that cannot hold the file is neither: a file where the folder should be (or in its
    path), or a folder we may not look into. That is a StateStoreError saying what to do, never
    "the daemon has never run" or "nothing recorded".
    """
    folder = os.path.dirname(path)
    try:
        os.stat(folder)
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        from pathlib import Path  # only to name the culprit: the common case never needs pathlib
        parent = Path(folder)
        culprit = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), parent)
        raise StateStoreError(f"the state folder {folder} cannot be used: {culprit} is a file, not a folder; "
                              "move that file away, or set ENDNOTED_STATE_DIR to a folder") from None
    except OSError as error:
        raise StateStoreError(f"the state folder {folder} cannot be used ({error.strerror or error}); "
                              "fix its permissions, or set ENDNOTED_STATE_DIR to a folder of yours") from None
    if not stat.S_ISREG(mode):   # a FIFO there would block every open of it for ever
        from endnoted.common.files import kind_of  # only to name it: files loads ctypes (start-up time)
        raise StateStoreError(f"the state file {path} is {kind_of(mode)}, not a regular file; move it away, "
                              "or set ENDNOTED_STATE_DIR to another folder")
    return path


def _uri(path: str | os.PathLike[str]) -> str:
    """The read-only file URI of a path, as pathlib's `resolve().as_uri()` writes it."""
    full = os.path.realpath(path)
    if os.name == "nt":   # drive letters and UNC names: pathlib knows Windows' URI forms
        from pathlib import Path
        return Path(full).as_uri()
    return "file://" + "".join(chr(byte) if byte in _URI_SAFE else f"%{byte:02X}" for byte in os.fsencode(full))


def open_readonly(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Plain sqlite3, no sqlite-utils: how readers (`status`, `history`, `report`) open the state file.

    Raises sqlite3.Error or DamagedState; the caller says it in one line (Store, or `connect`).
    """
    connection = sqlite3.connect(f"{_uri(path)}?mode=ro", uri=True, timeout=2, check_same_thread=False)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # A reader may meet a file an older version wrote, before the daemon migrated it: only a
        # file that is not ours (tables, but no migrations table) is damage here.
        if tables and "_sqlite_migrations" not in tables:
            raise DamagedState("it is not endnoted's state file (no migrations table)")
    except BaseException:
        connection.close()
        raise
    return connection


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open an existing state file read-only, or raise the StateStoreError the read-only Store raises."""
    try:
        return open_readonly(path)
    except (sqlite3.Error, DamagedState, OSError) as error:
        if disk_full(error):
            raise StateDiskFull(os.path.dirname(path)) from error
        if isinstance(error, OSError):
            raise StateStoreError(f"cannot open state file {path}: {error.strerror or error}") from error
        if is_damage(error):
            raise StateStoreError(damaged_message(path, error)) from error
        raise StateStoreError(f"cannot open state file {path}: {error}") from error


def rows(connection: sqlite3.Connection, path: str | os.PathLike[str], sql: str,
         params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
    """The rows of a query as dicts; a table an older file lacks gives none; a failed read, a StateStoreError."""
    try:
        cursor = connection.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise StateStoreError(f"cannot read state file {path}: {error}") from error
    except sqlite3.DatabaseError as error:   # corrupt pages found only now
        raise StateStoreError(damaged_message(path, error)) from error
