"""Open EndNote's SQLite databases read-only, with stand-ins for EndNote's collations and functions.

Facts behind this module (ENDNOTE-FORMAT.md §1.5):
- `file:…?mode=ro` keeps SQLite's locking on, so EndNote's writes and our reads serialise; never
  `immutable=1` on a library EndNote may have open.
- Reading creates and changes nothing beside the library, whatever its journal mode (issue #12).
  EndNote's own databases use a rollback journal (header bytes 18-19 = 1), where a `mode=ro`
  connection creates no file. A database in WAL mode (bytes 18-19 = 2) is another matter: even a
  read-only connection creates `-wal` and `-shm` beside it and writes read marks into `-shm` on every
  read, and fails in a read-only folder (https://www.sqlite.org/wal.html §"Read-Only Databases").
  SQLite also cannot open a path of 512 bytes or more (unix VFS `MAX_PATHNAME`). Both are read
  through a private copy instead (`_private_copy`), and so is any database with a `-wal` or `-shm`
  beside it whatever its header says: SQLite opens a rollback database in WAL mode as soon as a
  `-wal` exists beside it, and then creates `-shm` (seen with a zero-filled 4 KB `-wal` beside a
  real EndNote 21 library). The database and its `-wal` are copied into a
  0700 temporary folder and the copy is read. The copy is kept only if nothing moved while it was
  made (size, mtime, change counter, WAL salts and no `-journal`, before and after); a copy of a
  WAL database taken that way is what SQLite recovers from after a power cut, by design.
- A database path that is not a regular file (a FIFO, a device) is refused before anything opens
  it: opening a FIFO blocks for ever.
- EndNote declares collations (`ENCI_Base`, `ENCIN_Base`, locale variants like `ENCIN_zh_CN`) and
  the function `EN_MAKE_SORT_KEY`; some queries and `PRAGMA quick_check` fail without them, so a
  stand-in is registered for every name found in the schema.
- `PRAGMA integrity_check` reports false errors under stand-in collations; `quick_check` does not.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from endnoted.common.errors import DatabaseBusy, DatabaseUnreadable, InterruptedWrite, LibraryVanished

# Re-exported for the reading stage: the one "regular file" test lives in common/files.py.
from endnoted.common.files import NotRegular as NotRegular
from endnoted.common.files import open_regular as open_regular

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
        size, header = _read_header(path)
    except NotRegular as error:
        return str(error)
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


def _read_header(path: Path) -> tuple[int, bytes]:
    fd = open_regular(path)
    try:
        return os.fstat(fd).st_size, os.pread(fd, 100, 0) if hasattr(os, "pread") else os.read(fd, 100)
    finally:
        os.close(fd)


def register_stand_ins(connection: sqlite3.Connection) -> None:
    """Register stand-ins for EndNote's collations (every one the schema names) and EN_MAKE_SORT_KEY."""
    _register_stand_ins(connection, {*_KNOWN_ENDNOTE_COLLATIONS, *schema_collations(connection)})


def _register_stand_ins(connection: sqlite3.Connection, names: set[str]) -> None:
    for name in names:
        connection.create_collation(name, _stand_in_collation)
    connection.create_function("EN_MAKE_SORT_KEY", 3, _stand_in_sort_key, deterministic=True)
    connection.create_function("EN_MAKE_SORT_KEY", 2, _stand_in_sort_key, deterministic=True)


def lenient_text(value: bytes) -> str:
    """Decode TEXT that is not valid UTF-8 (a Latin-1 byte in a title) instead of failing the whole read."""
    return value.decode("utf-8", "replace")


def schema_collations(connection: sqlite3.Connection) -> set[str]:
    names: set[str] = set()
    factory = connection.text_factory
    connection.text_factory = lenient_text   # schema text with a bad byte is still a schema
    try:
        for (sql,) in connection.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"):
            names.update(name for name in _COLLATE.findall(sql) if name.upper() not in _BUILTIN_COLLATIONS)
    finally:
        connection.text_factory = factory
    return names


SQLITE_READONLY_ROLLBACK = 776  # a hot journal that a read-only connection may not roll back


def interrupted_write(error: sqlite3.Error, path: Path) -> InterruptedWrite | None:
    """Given a read error, return InterruptedWrite when it means a crashed writer left a hot journal."""
    if getattr(error, "sqlite_errorcode", None) != SQLITE_READONLY_ROLLBACK:
        return None
    return interrupted_write_of(path)


def _is_busy(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


# SQLite's unix VFS refuses paths of 512 bytes or more (MAX_PATHNAME); keep room for "-journal".
MAX_DIRECT_PATH_BYTES = 500
COPY_ATTEMPTS = 5


def _is_wal(header: bytes) -> bool:
    return len(header) >= 20 and 2 in (header[18], header[19])


def _beside(path: Path) -> str | None:
    """Return the name of a `-wal` or `-shm` file beside the database (any kind of entry), or None."""
    for suffix in ("-wal", "-shm"):
        if os.path.lexists(path.with_name(path.name + suffix)):
            return path.name + suffix
    return None


def private_copy_reason(path: Path) -> str | None:
    """Given a database, return why it must be read through a private copy, or None to read it in place.

    A `-wal` beside the database sends SQLite into WAL mode whatever the header says (a rollback
    database with a stray `-wal`, even an empty-headed or random one, is opened as WAL and gets a
    `-shm` beside it), so any `-wal` or `-shm` there means the private copy.
    """
    if len(os.fsencode(path.resolve())) > MAX_DIRECT_PATH_BYTES:
        return "its path is too long for SQLite"
    if stray := _beside(path):
        return f"{stray} lies beside it"
    try:
        _size, header = _read_header(path)
    except OSError:
        return None   # the direct route reports it
    return "it is in WAL mode" if _is_wal(header) else None


def connect_readonly(path: Path, *, busy_timeout: float = 0.25) -> sqlite3.Connection:
    """Given a database file, return a read-only connection with EndNote's stand-ins registered.

    Raise DatabaseUnreadable when the file is not a readable SQLite database. The caller makes sure
    the file is one a read-only connection leaves untouched (see `read_transaction`).
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


def _fingerprint(path: Path) -> tuple[object, ...]:
    """What changes when anyone writes the database, its WAL or its journal (None for an absent file)."""
    marks: list[object] = []
    for suffix, head in (("", 28), ("-wal", 32), ("-journal", 0)):
        file = path.with_name(path.name + suffix)
        try:
            fd = open_regular(file)
        except FileNotFoundError:
            marks.append(None)
            continue
        try:
            info = os.fstat(fd)
            marks.append((info.st_size, info.st_mtime_ns, info.st_ino, os.read(fd, head) if head else b""))
        finally:
            os.close(fd)
    return tuple(marks)


def _copy_file(source: Path, target: Path) -> None:
    fd = open_regular(source)
    with os.fdopen(fd, "rb") as reader, open(target, "xb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)


@contextmanager
def _private_copy(path: Path, *, attempts: int = COPY_ATTEMPTS,
                  sleep: Callable[[float], None] = time.sleep) -> Iterator[Path]:
    """Given a database, yield a consistent private copy of it (with its -wal and -journal), deleted afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="endnoted-read-"))   # mkdtemp makes it 0700
    target = scratch / "sdb.eni"
    try:
        for attempt in range(attempts):
            for leftover in scratch.iterdir():
                leftover.unlink()
            try:
                before = _fingerprint(path)
                for suffix, mark in zip(("", "-wal", "-journal"), before, strict=True):
                    if mark is not None:
                        _copy_file(path.with_name(path.name + suffix), scratch / f"sdb.eni{suffix}")
                if _fingerprint(path) == before:
                    break
            except FileNotFoundError:
                pass   # the WAL or journal came or went while we copied: take it again
            except NotRegular as error:
                raise DatabaseUnreadable(f"{path} {error}") from error
            except PermissionError as error:
                raise DatabaseUnreadable(f"{path} cannot be read ({error.strerror or 'permission denied'})") from error
            logger.debug("database %s changed while being copied, again", path)
            sleep(0.1 * (attempt + 1))
        else:
            raise DatabaseBusy(f"{path} kept changing while endnoted copied it to read it")
        yield target
    except OSError as error:
        raise DatabaseBusy(f"{path} could not be copied to a private folder to read it "
                           f"({error.strerror or error})") from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def gone(path: Path) -> bool:
    """True when nothing is at the path any more (moved, renamed, deleted); an unreadable folder is not "gone"."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def _shown(error: Exception, real: Path, shown: Path) -> str:
    return str(error).replace(str(real), str(shown))


@contextmanager
def read_transaction(path: Path, *, attempts: int = 6, pause: float = 0.2,
                     sleep: Callable[[float], None] = time.sleep) -> Iterator[sqlite3.Connection]:
    """Given a database, yield a read-only connection inside one short read transaction.

    The whole body runs against one consistent view, and nothing is created or changed beside the
    database: a WAL-mode database or one at a path too long for SQLite is read through a private
    copy. A database that stays locked for `attempts` tries raises DatabaseBusy; one that cannot be
    read raises DatabaseUnreadable.
    """
    try:
        with _route(path, attempts=attempts, pause=pause, sleep=sleep) as connection:
            yield connection
    except (DatabaseBusy, DatabaseUnreadable) as error:
        # A library moved or deleted mid-read says "unable to open" or "kept changing": it is not
        # damaged, it is elsewhere now (the daemon calls it gone; check exits as for a missing one).
        if isinstance(error, InterruptedWrite) or not gone(path):
            raise
        raise LibraryVanished(path) from error


@contextmanager
def _route(path: Path, *, attempts: int, pause: float,
           sleep: Callable[[float], None]) -> Iterator[sqlite3.Connection]:
    if problem := header_problem(path):
        raise DatabaseUnreadable(f"{path} {problem}")
    if reason := private_copy_reason(path):
        logger.debug("reading %s through a private copy: %s", path, reason)
    else:
        try:
            with _transaction(path, attempts=attempts, pause=pause, sleep=sleep, watch=True) as connection:
                yield connection
            return
        except _StrayAppeared as appeared:   # raised before the yield: nothing was read yet
            logger.debug("reading %s through a private copy: %s appeared as it was opened", path, appeared)
    with _private_copy(path, sleep=sleep) as copy:
        try:
            with _transaction(copy, attempts=1, pause=pause, sleep=sleep) as connection:
                yield connection
        except InterruptedWrite as error:
            raise interrupted_write_of(path) from error
        except (DatabaseBusy, DatabaseUnreadable) as error:
            raise type(error)(_shown(error, copy, path)) from error


class _StrayAppeared(Exception):
    """A `-wal` or `-shm` came beside the database between the look and the open (internal: read a copy instead)."""


def interrupted_write_of(path: Path) -> InterruptedWrite:
    return InterruptedWrite(f"{path} has an unfinished write (EndNote stopped in the middle of saving; "
                            f"{path.name}-journal holds what it needs to undo it)")


@contextmanager
def _transaction(path: Path, *, attempts: int, pause: float, sleep: Callable[[float], None],
                 watch: bool = False) -> Iterator[sqlite3.Connection]:
    """Open `path` read-only and begin one read transaction (retrying while it is locked); yield the connection.

    `watch` (a library read in place): a `-wal` that another program creates after the look and
    before the first read would send SQLite into WAL mode, which creates `-shm` beside the library.
    EXCLUSIVE locking mode keeps SQLite's WAL index in memory, so it never creates `-shm`
    (https://www.sqlite.org/wal.html §"Use of WAL Without Shared-Memory"; a read-only connection
    never checkpoints or deletes the `-wal`); and a `-wal` or `-shm` found beside the database once
    the transaction began (or when it failed) raises _StrayAppeared: the caller reads a private copy.
    """
    connection = connect_readonly(path)
    try:
        if watch:
            connection.execute("PRAGMA locking_mode=EXCLUSIVE")   # a flag: touches no file
        for attempt in range(attempts):
            try:
                connection.execute("BEGIN")
                names = schema_collations(connection)
                _register_stand_ins(connection, names)
                if watch and (stray := _beside(path)):
                    connection.execute("ROLLBACK")
                    raise _StrayAppeared(stray)
                break
            except sqlite3.OperationalError as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if watch and (stray := _beside(path)):
                    raise _StrayAppeared(stray) from error
                if _is_busy(error) and attempt + 1 < attempts:
                    logger.debug("database %s busy, retrying", path)
                    sleep(pause)
                    continue
                if _is_busy(error):
                    raise DatabaseBusy(f"{path} stayed locked by another program "
                                       f"for about {attempts * (pause + 0.25):.0f} s") from error
                raise interrupted_write(error, path) or DatabaseUnreadable(f"{path} cannot be read: {error}") from error
            except sqlite3.DatabaseError as error:
                if watch and (stray := _beside(path)):
                    raise _StrayAppeared(stray) from error
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
