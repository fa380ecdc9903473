"""Open EndNote's SQLite databases read-only, with stand-ins for EndNote's collations and functions.

Facts behind this module (ENDNOTE-FORMAT.md §1.5):
- `file:…?mode=ro` keeps SQLite's locking on, so EndNote's writes and our reads serialise; never
  `immutable=1` on a library EndNote may have open.
- EndNote declares collations (`ENCI_Base`, `ENCIN_Base`, locale variants like `ENCIN_zh_CN`) and
  the function `EN_MAKE_SORT_KEY`; some queries and `PRAGMA quick_check` fail without them, so a
  stand-in is registered for every name found in the schema.
- `PRAGMA integrity_check` reports false errors under stand-in collations; `quick_check` does not.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from endnoted.common.errors import DatabaseBusy, DatabaseUnreadable, InterruptedWrite

logger = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
_BUILTIN_COLLATIONS = {"BINARY", "NOCASE", "RTRIM"}
_COLLATE = re.compile(r"COLLATE\s+[\"'`\[]?([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
# What EndNote's own names look like, for databases whose schema we cannot read yet.
_KNOWN_ENDNOTE_COLLATIONS = ("ENCI_Base", "ENCIN_Base")


def _stand_in_collation(left: str, right: str) -> int:
    # Order only matters for index lookups on these columns, which we never rely on.
    return (left > right) - (left < right)


def _stand_in_sort_key(value: str | None, field: object = None, length: object = None) -> str | None:
    return value


def header_problem(path: Path) -> str | None:
    """Given a database file, return why it cannot be a healthy SQLite file, or None if the header looks sound.

    Catches what SQLite itself accepts silently: a zero-byte file opens as an empty database, and a
    truncated one only fails on the page that is missing.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except PermissionError as error:
        return f"cannot be read ({error.strerror or 'permission denied'})"
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    if size == 0:
        return "is empty (0 bytes)"
    if not header.startswith(SQLITE_MAGIC):
        return "is not an SQLite database"
    if len(header) < 100:
        return f"is truncated ({size} bytes)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "has a damaged header (bad page size)"
    pages_in_header = int.from_bytes(header[28:32], "big")
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    # The in-header size is only trusted when it was written by the same change (SQLite's rule).
    if pages_in_header and valid_for == change_counter and size < pages_in_header * page_size:
        return f"is truncated ({size} bytes, its header says {pages_in_header * page_size})"
    if size % page_size:
        return f"is truncated ({size} bytes is not a whole number of {page_size}-byte pages)"
    return None


def register_stand_ins(connection: sqlite3.Connection) -> None:
    """Register stand-ins for EndNote's collations (every one the schema names) and EN_MAKE_SORT_KEY."""
    _register_stand_ins(connection, {*_KNOWN_ENDNOTE_COLLATIONS, *schema_collations(connection)})


def _register_stand_ins(connection: sqlite3.Connection, names: set[str]) -> None:
    for name in names:
        connection.create_collation(name, _stand_in_collation)
    connection.create_function("EN_MAKE_SORT_KEY", 3, _stand_in_sort_key, deterministic=True)
    connection.create_function("EN_MAKE_SORT_KEY", 2, _stand_in_sort_key, deterministic=True)


def schema_collations(connection: sqlite3.Connection) -> set[str]:
    names: set[str] = set()
    for (sql,) in connection.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"):
        names.update(name for name in _COLLATE.findall(sql) if name.upper() not in _BUILTIN_COLLATIONS)
    return names


SQLITE_READONLY_ROLLBACK = 776  # a hot journal that a read-only connection may not roll back


def interrupted_write(error: sqlite3.Error, path: Path) -> InterruptedWrite | None:
    """Given a read error, return InterruptedWrite when it means a crashed writer left a hot journal."""
    if getattr(error, "sqlite_errorcode", None) != SQLITE_READONLY_ROLLBACK:
        return None
    return InterruptedWrite(f"{path} has an unfinished write (EndNote stopped in the middle of saving; "
                            f"{path.name}-journal holds what it needs to undo it)")


def _is_busy(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def connect_readonly(path: Path, *, busy_timeout: float = 0.25) -> sqlite3.Connection:
    """Given a database file, return a read-only connection with EndNote's stand-ins registered.

    Raise DatabaseUnreadable when the file is not a readable SQLite database.
    """
    if problem := header_problem(path):
        raise DatabaseUnreadable(f"{path} {problem}")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None,
                                     check_same_thread=False)
    except sqlite3.Error as error:
        raise DatabaseUnreadable(f"{path} cannot be opened: {error}") from error
    # Registering before reading the schema costs nothing and lets a schema read succeed even
    # where a view or trigger names the collation.
    _register_stand_ins(connection, set(_KNOWN_ENDNOTE_COLLATIONS))
    return connection


@contextmanager
def read_transaction(path: Path, *, attempts: int = 6, pause: float = 0.2,
                     sleep: Callable[[float], None] = time.sleep) -> Iterator[sqlite3.Connection]:
    """Given a database, yield a read-only connection inside one short read transaction.

    The whole body runs against one consistent view. A database that stays locked for
    `attempts` tries raises DatabaseBusy; one that cannot be read raises DatabaseUnreadable.
    """
    connection = connect_readonly(path)
    try:
        for attempt in range(attempts):
            try:
                connection.execute("BEGIN")
                names = schema_collations(connection)
                _register_stand_ins(connection, names)
                break
            except sqlite3.OperationalError as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if _is_busy(error) and attempt + 1 < attempts:
                    logger.debug("database %s busy, retrying", path)
                    sleep(pause)
                    continue
                if _is_busy(error):
                    raise DatabaseBusy(f"{path} stayed locked by another program "
                                       f"for about {attempts * (pause + 0.25):.0f} s") from error
                raise interrupted_write(error, path) or DatabaseUnreadable(f"{path} cannot be read: {error}") from error
            except sqlite3.DatabaseError as error:
                raise DatabaseUnreadable(f"{path} cannot be read: {error}") from error
        try:
            yield connection
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                raise DatabaseBusy(f"{path} was locked by another program while being read") from error
            raise interrupted_write(error, path) or DatabaseUnreadable(f"{path} cannot be read: {error}") from error
        except sqlite3.DatabaseError as error:
            raise DatabaseUnreadable(f"{path} cannot be read: {error}") from error
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
    finally:
        connection.close()


def table_names(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
