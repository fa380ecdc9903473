"""One immutable reading of a library, taken in one short read-only transaction.

What a Snapshot holds is in reading/model.py; how the rows read become counts and the sync ledger
(and what each count means) is in reading/fold.py. This module reads.

Every value read out of EndNote's tables goes through one validated conversion (issue #12): numbers
and times are converted in SQL (`_INT`), so a row holding text where EndNote writes an integer
arrives as NULL/0 and is counted in `bad_values`, and the last-sync time must be a plausible
millisecond time. A bad value is a fact about the library (a finding and an `unknown` verdict),
never an exception. TEXT that is not valid UTF-8 (a Latin-1 byte in a title) is decoded with
replacement characters; SQLite itself accepts such text, so the library is not damaged.
"""
from __future__ import annotations

import re
import sqlite3
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from operator import countOf, itemgetter
from pathlib import Path

from endnoted.common.errors import (
    ArchiveRejected,
    DatabaseBusy,
    DatabaseUnreadable,
    InterruptedWrite,
    LibraryVanished,
)
from endnoted.common.gcpause import gc_paused
from endnoted.common.words import plural
from endnoted.reading.archive import extract_member, open_archive
from endnoted.reading.database import gone, header_problem, lenient_text, read_transaction, table_names
from endnoted.reading.enl_copy import read_enl
from endnoted.reading.fold import as_int, as_text, fold
from endnoted.reading.integrity import IntegrityMemo, identity
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import Reuse, Snapshot, Status

_GROUP_TYPE = re.compile(r"<rule>\s*TYPE;(\d+)\s*</rule>")
_REQUIRED_REFS_COLUMNS = {"id", "trash_state", "added_to_library", "record_last_updated"}


def _int_sql(column: str, null: str, bad: str) -> str:
    """SQL that yields the column as an integer: `null` where it is NULL, `bad` where it holds text or a blob.

    Done in SQL so the normal path costs nothing in Python; `bad` is a value EndNote never writes
    there (NULL or -1), which `_bad_columns` then finds with C-speed membership tests.
    """
    return (f"CASE typeof({column}) WHEN 'integer' THEN {column} WHEN 'null' THEN {null} "
            f"WHEN 'real' THEN CAST({column} AS INTEGER) ELSE {bad} END")


def _now() -> datetime:
    return datetime.now(UTC)


def _read_misc(connection: sqlite3.Connection) -> dict[tuple[int, int], object]:
    rows = connection.execute(
        "SELECT code, subcode, value FROM misc WHERE code = 14 OR (code = 6 AND subcode IN (39, 41, 42))")
    return {(code, subcode): value for code, subcode, value in rows}


_REFS_SQL = (
    # Text columns through CAST: a number or blob where EndNote writes text still reads as text.
    # Numbers through _int_sql: text where EndNote writes an integer reads as NULL, counted as bad.
    f"SELECT id, {_int_sql('trash_state', '0', 'NULL')}, coalesce(CAST(title AS TEXT), ''), "
    "coalesce(CAST(year AS TEXT), ''), coalesce(CAST(author AS TEXT), ''), "
    "coalesce(CAST(electronic_resource_number AS TEXT), ''), "
    f"{_int_sql('added_to_library', '0', 'NULL')}, {_int_sql('record_last_updated', '0', 'NULL')} FROM refs")
_REFS_NUMBERS = {1: "trash_state", 6: "added_to_library", 7: "record_last_updated"}
# sync: type and item_id are never NULL in EndNote's rows; a usn may be; action and status NULL mean 0.
_SYNC_SQL = (f"SELECT {_int_sql('type', 'NULL', 'NULL')}, {_int_sql('item_id', 'NULL', 'NULL')}, "
             f"coalesce(CAST(item_id2 AS TEXT), ''), {_int_sql('usn', 'NULL', '-1')}, "
             f"{_int_sql('action', '0', '-1')}, {_int_sql('status', '0', '-1')} FROM sync")
_SYNC_NUMBERS = {0: ("type", None), 1: ("item_id", None), 3: ("usn", -1), 4: ("action", -1), 5: ("status", -1)}


def _read_refs(connection: sqlite3.Connection, bad: list[str],
               reuse: Reuse | None = None) -> list[tuple[int, int, str, str, str, str, int, int]]:
    rows: list[tuple[int, int, str, str, str, str, int, int]] = \
        connection.execute(_REFS_SQL).fetchall() if reuse is None else reuse.refs(connection)
    if reuse is not None and reuse.clean:
        return rows   # SQLite found every number an integer (reading/fingerprints.py): none to look for
    odd = [column for column in _REFS_NUMBERS if None in map(itemgetter(column), rows)]
    if not odd:
        return rows   # the normal path: no Python work per row
    for column in odd:
        count = sum(1 for row in rows if row[column] is None)
        bad.append(f"refs.{_REFS_NUMBERS[column]}: {count} rows hold no number")
    return [row if None not in row else tuple(0 if value is None else value for value in row)  # type: ignore[misc]
            for row in rows]


# Almost every sync row is an idle one of a reference (type 1, nothing pending): those are read as
# (item_id, usn) only, the rest in full; the fold needs no more of them (issue #16: a third less to
# fetch). A row whose type, action or status is not a number is never idle, so it is read in full.
_IDLE = (f"coalesce({_int_sql('type', 'NULL', 'NULL')} = 1 AND {_int_sql('action', '0', '-1')} = 0 "
         f"AND {_int_sql('status', '0', '-1')} = 0, 0)")
_IDLE_SQL = f"SELECT {_int_sql('item_id', 'NULL', 'NULL')}, {_int_sql('usn', 'NULL', '-1')} FROM sync WHERE {_IDLE}"
IdleRow = tuple[int, int | None]
SyncRow = tuple[int, int, str, int | None, int, int, int]


def _read_sync(connection: sqlite3.Connection, bad: list[str]) -> tuple[list[IdleRow], list[SyncRow]]:
    """Return the idle sync rows of references as (item_id, usn), and every other sync row in full."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(sync)")}
    # When the change was made (epoch s): what tells a stuck row from a fresh one (R9).
    stamp = _int_sql("action_timestamp", "0", "0") if "action_timestamp" in columns else "0"
    sql = _SYNC_SQL.replace(" FROM sync", f", {stamp} FROM sync WHERE NOT {_IDLE}")
    idle: list[IdleRow] = connection.execute(_IDLE_SQL).fetchall()
    rows: list[SyncRow] = connection.execute(sql).fetchall()
    idle_items = [row[0] for row in idle]
    idle_usns = [row[1] for row in idle]
    counts = {column: countOf(map(itemgetter(column), rows), marker) for column, (_name, marker) in _SYNC_NUMBERS.items()}
    counts[1] += countOf(idle_items, None)
    counts[3] += countOf(idle_usns, -1)
    if not any(counts.values()):
        return idle, rows   # the normal path: no Python work per row
    for column, count in counts.items():
        if count:
            bad.append(f"sync.{_SYNC_NUMBERS[column][0]}: {plural(count, 'row holds', 'rows hold')} no number")
    # A row whose type or item is not a number cannot be matched to anything: it is counted above.
    return ([(item, None if usn == -1 else usn) for item, usn in idle if item is not None],
            [(kind, item, item2, None if usn == -1 else usn, max(action, 0), max(status, 0), stamp_value)
             for kind, item, item2, usn, action, status, stamp_value in rows if kind is not None and item is not None])


def _refs_sequence(connection: sqlite3.Connection, tables: set[str]) -> int | None:
    if "sqlite_sequence" not in tables:
        return None
    row = connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'refs'").fetchone()
    return as_int(row[0]) if row else None


def _group_kinds(connection: sqlite3.Connection) -> dict[int, int]:
    kinds: dict[int, int] = {}
    for group_id, spec in connection.execute(f"SELECT {_int_sql('group_id', 'NULL', 'NULL')}, spec FROM groups"):
        if group_id is None:
            continue
        match = _GROUP_TYPE.search(as_text(spec))
        kinds[group_id] = int(match.group(1)) if match else 3
    return kinds


def _structure(connection: sqlite3.Connection, database: Path, memo: IntegrityMemo | None) -> str:
    """Run SQLite's structural check, unless the memo says this very file already passed it."""
    if memo is None:
        return str(connection.execute("PRAGMA quick_check(1)").fetchone()[0])
    ident = identity(database)  # inside the read transaction: the file cannot change under us
    if memo.passed(database, ident):
        return "ok"
    result = str(connection.execute("PRAGMA quick_check(1)").fetchone()[0])
    if result == "ok":
        memo.remember(database, ident)
    return result


def _build(library: Library, taken_at: datetime, connection: sqlite3.Connection,
           integrity: bool, database: Path, memo: IntegrityMemo | None, reuse: Reuse | None = None) -> Snapshot:
    tables = table_names(connection)
    if "refs" not in tables or "misc" not in tables:
        return Snapshot(library, taken_at, Status.FOREIGN, "the database has no refs/misc tables: "
                        "it is not an EndNote library database", tables=frozenset(tables))
    info = connection.execute("PRAGMA table_info(refs)").fetchall()
    columns = {row[1] for row in info}
    if not _REQUIRED_REFS_COLUMNS <= columns:
        return Snapshot(library, taken_at, Status.FOREIGN, "the refs table lacks EndNote's columns",
                        tables=frozenset(tables))
    # EndNote's refs.id is `INTEGER PRIMARY KEY AUTOINCREMENT` (ENDNOTE-FORMAT.md, the schema of every
    # real sample): always a whole number, never NULL. A table rebuilt without it may hold text or NULL
    # ids that match no sync row, which would read as references never sent (a false "diverged").
    if not any(row[1] == "id" and row[5] == 1 and str(row[2]).upper() == "INTEGER" for row in info):
        return Snapshot(library, taken_at, Status.FOREIGN, "the refs table's id is not EndNote's integer key "
                        "(INTEGER PRIMARY KEY): the table was rebuilt by another program", tables=frozenset(tables))
    bad: list[str] = []
    misc = _read_misc(connection)
    ref_rows = _read_refs(connection, bad, reuse)
    idle_refs, sync_rows = _read_sync(connection, bad) if "sync" in tables else ([], [])
    file_rows = connection.execute(f"SELECT {_int_sql('refs_id', 'NULL', 'NULL')}, coalesce(CAST(file_path AS TEXT), '') "
                                   "FROM file_res").fetchall() if "file_res" in tables else []
    group_kinds = _group_kinds(connection) if "groups" in tables else {}
    tag_ids = {row[0] for row in connection.execute("SELECT group_id FROM tag_groups")} \
        if "tag_groups" in tables else set()
    set_ids = {row[0] for row in connection.execute("SELECT subcode FROM misc WHERE code = 17")}
    carried = reuse.integrity if reuse is not None else None
    check = "not checked" if not integrity else carried if carried is not None \
        else _structure(connection, database, memo)
    snapshot = fold(library, taken_at, tables, misc, ref_rows, idle_refs, sync_rows, file_rows, group_kinds,
                     tag_ids, set_ids, check, bad)
    return replace(snapshot, refs_sequence=_refs_sequence(connection, tables))


def _damaged(library: Library, taken_at: datetime, problem: str) -> Snapshot:
    return Snapshot(library, taken_at, Status.DAMAGED, problem)


def snapshot_database(library: Library, database: Path, *, integrity: bool = True,
                      now: datetime | None = None, memo: IntegrityMemo | None = None,
                      reuse: Reuse | None = None) -> Snapshot:
    """Given a library and its SQLite database, return a Snapshot; never raise for a bad database."""
    taken_at = now or _now()
    journal = database.with_name(database.name + "-journal").exists()
    try:
        with read_transaction(database) as connection:
            try:
                snapshot = _build(library, taken_at, connection, integrity, database, memo, reuse)
            except sqlite3.OperationalError as error:
                if "decode" not in str(error):
                    raise
                # TEXT that is not UTF-8: read it again, leniently (rare, so the fast path stays fast).
                connection.text_factory = lenient_text
                snapshot = _build(library, taken_at, connection, integrity, database, memo, reuse)
    except DatabaseBusy as error:
        return Snapshot(library, taken_at, Status.BUSY, str(error), journal_present=journal)
    except InterruptedWrite as error:
        return Snapshot(library, taken_at, Status.INTERRUPTED, str(error), journal_present=True)
    except DatabaseUnreadable as error:
        return _damaged(library, taken_at, str(error))
    if snapshot.ok and snapshot.integrity != "ok" and integrity:
        return _damaged(library, taken_at, f"{database} fails SQLite's structural check: {snapshot.integrity}")
    return replace(snapshot, journal_present=True) if journal else snapshot


def _snapshot_enlx(library: Library, taken_at: datetime, integrity: bool) -> Snapshot:
    """Read a `.enlx` through the one bounded archive reader: a hostile archive is damaged, never unpacked."""
    try:
        with open_archive(library.path) as (archive, infos):
            names = {info.filename for info in infos}
            if "sdb/sdb.eni" not in names:
                if any(name.startswith("rdb/") for name in names):
                    return Snapshot(library, taken_at, Status.LEGACY,
                                    "an X-era (MyISAM) compressed library: counts are not read")
                return _damaged(library, taken_at, f"{library.path} holds no sdb/sdb.eni")
            with tempfile.TemporaryDirectory(prefix="endnoted-enlx-") as scratch:
                target = Path(scratch) / "sdb.eni"
                extract_member(archive, archive.getinfo("sdb/sdb.eni"), target, library.path)
                snap = snapshot_database(library, target, integrity=integrity, now=taken_at)
                if snap.status is Status.DAMAGED and snap.problem:
                    snap = _damaged(library, taken_at, snap.problem.replace(str(target), f"{library.path}:sdb/sdb.eni"))
                return snap
    except ArchiveRejected as error:
        return _damaged(library, taken_at, str(error))
    except OSError as error:
        return _damaged(library, taken_at, f"{library.path} cannot be read ({error.strerror or error})")


def take(library: Library, *, integrity: bool = True, now: datetime | None = None,
         memo: IntegrityMemo | None = None, reuse: Reuse | None = None) -> Snapshot:
    """Given a library, return one Snapshot of it. Bad databases become DAMAGED/BUSY snapshots, not errors.

    With a memo, an unchanged database that passed the structural check before is not checked again.
    With `reuse` (reading/incremental.py), only what changed since the previous reading is read.
    The cyclic garbage collector is paused meanwhile (gcpause.py): a reading is many small objects.
    """
    with gc_paused():
        return _take(library, integrity=integrity, now=now, memo=memo, reuse=reuse)


def _take(library: Library, *, integrity: bool, now: datetime | None, memo: IntegrityMemo | None,
          reuse: Reuse | None = None) -> Snapshot:
    taken_at = now or _now()
    if library.layout is Layout.LEGACY:
        return Snapshot(library, taken_at, Status.LEGACY,
                        "an X-era library (MyISAM tables in Name.Data/rdb): endnoted reads EndNote X9.3 and later")
    if library.layout is Layout.ENLX:
        return _snapshot_enlx(library, taken_at, integrity)
    database = library.database
    if library.layout is Layout.MISSING or database is None:
        # Moved while it was found: the .enl gone now, or the database there now that was not a moment
        # ago (the folder moved away and back). Either way not a library without a database.
        if library.enl is not None and (gone(library.enl) or (
                library.data_dir is not None and not gone(library.data_dir / "sdb" / "sdb.eni"))):
            raise LibraryVanished(library.enl)
        return Snapshot(library, taken_at, Status.MISSING,
                        f"{library.data_dir} holds no database (no sdb/sdb.eni and no rdb folder)")
    if problem := header_problem(database):
        if gone(database):   # moved or deleted since it was found: elsewhere now, not damaged
            raise LibraryVanished(database)
        enl = read_enl(library.enl) if library.enl is not None else None
        return replace(_damaged(library, taken_at, f"{database} {problem}"), enl_copy=enl)
    snap = snapshot_database(library, database, integrity=integrity, now=taken_at, memo=memo, reuse=reuse)
    # Read after the database: given its ids, the .enl reader reads titles only for the ids it lacks.
    live_ids = {row[0] for row in snap.rows} if snap.ok else None
    enl = None if library.enl is None else reuse.enl(library.enl, live_ids) if reuse is not None and \
        live_ids is not None else read_enl(library.enl, live_ids)
    pdf = library.pdf_dir
    # Which listed files are gone is a fact about the library on disk: read here, so probes open no file.
    missing = tuple(item for item in snap.attachments if not (pdf / item.path).is_file()) \
        if pdf is not None and snap.ok else ()
    if gone(database):   # moved while read: its .enl and files were "missing" only because they had moved
        raise LibraryVanished(database)
    return replace(snap, enl_copy=enl, missing_files=missing)
