"""The read-only side of the state file in plain sqlite3: opening it, the rows `status` reads, and what a
failed read says. Part of the store (`store.py` opens and reads through these, with the same SQL text),
kept apart so `endnoted status` can read the file without importing the store's typed records, pathlib
or logging (start-up time, issue 16 item 5; benchmarks/bench_startup.py).

Imports: os, sqlite3 and the error tree only. Paths are taken as str or os.PathLike.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat

from endnoted.common.errors import StateDiskFull, StateStoreError
from endnoted.common.timefmt import parse_iso

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


# Sound rows. Another program (the sqlite3 shell, a sync tool, a bad disk block in a value) may leave a
# value that is no time or no JSON where one belongs. Every reader of these rows (status on both paths,
# the page, the daemon's own passes) sees them through these checks, so such a value is said in one
# line instead of failing "unexpectedly", and never stops the daemon.
HEARTBEAT_TIMES = ("started_at", "beat_at", "stopped_at", "endnote_at")
LIBRARY_TIMES = ("first_seen", "last_checked", "alerted_at")
VERDICTS = ("in-sync", "pending", "stale", "diverged", "damaged", "not-synced", "unknown")   # judging.verdict.State


def _time_problem(row: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = row.get(name)
        try:
            parse_iso(value)
        except (ValueError, TypeError, AttributeError):
            return f"{name} holds {str(value)[:40]!r}, not a time"
    return None


def heartbeat_problem(row: dict[str, Any]) -> str | None:
    """Given the heartbeat row, return what makes it unreadable (a value no time, no pid, bad JSON), or None."""
    if (problem := _time_problem(row, HEARTBEAT_TIMES)) is not None:
        return problem
    if not isinstance(row.get("pid"), int):
        return f"pid holds {str(row.get('pid'))[:40]!r}, not a process id"
    try:
        if row.get("endnote") is not None and not isinstance(json.loads(row["endnote"]), list):
            raise ValueError
    except (ValueError, TypeError):
        return "endnote holds no list of EndNote processes"
    try:
        watching = row.get("watching")
        if watching is not None and not _paths(json.loads(watching)):
            raise ValueError
    except (ValueError, TypeError):
        return "watching holds no list of library paths"
    return None


def _paths(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def damaged_heartbeat(path: str | os.PathLike[str], problem: str) -> StateStoreError:
    """The heartbeat says whether anything `status` shows is current: without it, status has no answer.

    A running daemon rewrites the whole row at its next heartbeat (every few seconds), a starting one at once.
    """
    return StateStoreError(f"the state file {path} is damaged (the daemon's heartbeat: {problem}); the daemon "
                           "rewrites it at its next heartbeat (start it if it is not running: endnoted run), "
                           "or move the file away and endnoted starts a new one")


def _report_problem(text: object) -> str | None:
    try:
        report = json.loads(text)   # type: ignore[arg-type]
    except (ValueError, TypeError):
        return "its report is not JSON"
    if not isinstance(report, dict) or report.get("verdict") not in VERDICTS or not isinstance(report.get("path"), str):
        return "its report lacks a verdict or a path"
    try:
        if parse_iso(report.get("checked_at")) is None:
            return "its report lacks the time it was made"
    except (ValueError, TypeError, AttributeError):
        return "its report's time is not a time"
    if not isinstance(report.get("counts") or {}, dict) or not isinstance(report.get("sync") or {}, dict) or \
            not isinstance(report.get("findings") or [], list):
        return "its report's counts, sync or findings are malformed"
    counts = report.get("counts")
    if counts and not all(isinstance(counts.get(key), int) for key in ("references", "trashed", "attachments", "groups")):
        return "its report's counts are malformed"
    return None


def sound_library(row: dict[str, Any], now: str) -> dict[str, Any]:
    """Given a library's row, return it, or (a value in it damaged) a copy whose report says so: verdict unknown.

    One spoiled row hides no other library: it is shown as unknown with what is wrong, and the daemon
    replaces it at its next pass over that library (which writes the whole row). The report's time is the
    row's own last check (the same on every read), or `now` if no time in the row is sound.
    """
    problem = _time_problem(row, LIBRARY_TIMES)
    if problem is None and row.get("report"):
        problem = _report_problem(row["report"])
    if problem is None:
        return row
    sound_times = [row.get(name) for name in ("last_checked", "first_seen") if row.get(name) and not _time_problem(row, (name,))]
    report = {"path": row["path"], "name": str(row.get("name") or ""), "format": "unknown", "verdict": "unknown",
              "reason": f"endnoted's record of this library is damaged ({problem}).",
              "next_action": "Check it now (endnoted check PATH); the daemon rewrites the record at its next pass.",
              "counts": None, "sync": None, "findings": [], "checked_at": sound_times[0] if sound_times else now}
    fixed = {**row, "report": json.dumps(report), "verdict": "unknown"}
    fixed.update((name, None) for name in LIBRARY_TIMES if _time_problem(row, (name,)))
    return fixed
