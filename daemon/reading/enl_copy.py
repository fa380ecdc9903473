"""What the `.enl` beside the live database holds, read once into the Snapshot (probes open no files).

ENDNOTE-FORMAT.md §1.3 and docs/ENDNOTE-RULES.md R6: in the SQLite era the `.enl` is a 4-byte
`Eds1` stub, an `enl_refs` copy of the non-trashed references, an empty full-schema database, or
a full database with its own `refs`, `misc` and `sync`. X-era `.enl` files are stored ZIPs.
Only the two copies that hold references are read: `enl_refs` and a full database.
"""

from __future__ import annotations

import enum
import json
import sqlite3
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path

from endnoted.common.errors import DatabaseBusy, DatabaseUnreadable, InterruptedWrite, LibraryVanished
from endnoted.reading.database import header_problem, read_transaction, table_names

EnlRow = tuple[int, str, str, str, str]   # (id, title, year, first author, doi) of a non-trashed reference


class EnlKind(enum.Enum):
    STUB = "stub"             # the 4-byte Eds1 marker: no data
    ZIP = "zip"               # X-era: a stored ZIP of refs.MYD/refs.frm
    ENL_REFS = "enl_refs"     # a copy of the non-trashed references, written rarely
    EMPTY = "empty"           # a full schema with no references
    FULL = "full"             # a full database with references, misc and (maybe) sync
    OTHER = "other"           # none of the shapes seen in real libraries
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class EnlCopy:
    """What the `.enl` holds. `rows` are its non-trashed references, or, when the reader was given
    the live database's ids, only those whose id the live database lacks (`count` is all of them)."""

    path: Path
    kind: EnlKind
    size: int
    rows: tuple[EnlRow, ...] = ()
    last_sync: datetime | None = None
    db_id: str | None = None
    count: int = 0

    @property
    def holds_references(self) -> bool:
        return self.kind in (EnlKind.ENL_REFS, EnlKind.FULL) and self.count > 0


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return "" if value is None else str(value).strip()


def _rows(connection: sqlite3.Connection, table: str, doi: str, live: str,
          live_ids: AbstractSet[int] | None) -> tuple[int, tuple[EnlRow, ...]]:
    """Return (number of non-trashed references, their rows), the rows only for ids the live database lacks.

    With the live ids known, only the ids are fetched (integers, no text), the set difference is
    taken in C, and titles are read for the few ids that differ (issue #16: a 100k `.enl` copy
    cost a second full read of every title on every pass).
    """
    select = f"SELECT id, title, year, author, {doi} FROM {table}"  # noqa: S608 - fixed names
    if live_ids is None:
        rows = tuple(_row(row) for row in connection.execute(f"{select} {live}"))
        return len(rows), rows
    # fetchall and a C-level map: iterating the cursor row by row cost a fifth more on 100k ids.
    ids = connection.execute(f"SELECT id FROM {table} {live}").fetchall()  # noqa: S608 - fixed names
    lacking = set(map(itemgetter(0), ids)).difference(live_ids)
    if not lacking:
        return len(ids), ()
    where = f"{live} AND" if live else "WHERE"
    rows = tuple(sorted(_row(row) for row in connection.execute(
        f"{select} {where} id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(lacking)),))))
    return len(ids), rows


def _row(row: tuple[object, ...]) -> EnlRow:
    ref_id, title, year, author, number = row
    return int(str(ref_id)), _text(title), _text(year), _text(author).split("\r", 1)[0], _text(number)


def read_enl(enl: Path, live_ids: AbstractSet[int] | None = None) -> EnlCopy:
    """Given a library's `.enl` (and the live database's reference ids), return what it holds; never raise."""
    try:
        size = enl.stat().st_size
        with enl.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return EnlCopy(enl, EnlKind.UNREADABLE, 0)
    if head.startswith(b"Eds1") and size <= 16:
        return EnlCopy(enl, EnlKind.STUB, size)
    if zipfile.is_zipfile(enl):
        return EnlCopy(enl, EnlKind.ZIP, size)
    if header_problem(enl):
        return EnlCopy(enl, EnlKind.OTHER, size)
    try:
        with read_transaction(enl, attempts=2) as connection:
            tables = table_names(connection)
            table = "refs" if "refs" in tables and "misc" in tables else "enl_refs" if "enl_refs" in tables else ""
            if not table:
                return EnlCopy(enl, EnlKind.OTHER, size)
            columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            if not {"id", "title", "year", "author"} <= columns:
                return EnlCopy(enl, EnlKind.OTHER, size)
            doi = "electronic_resource_number" if "electronic_resource_number" in columns else "''"
            live = "WHERE trash_state = 0" if "trash_state" in columns else ""
            count, rows = _rows(connection, table, doi, live, live_ids)
            last = db_id = None
            if table == "refs":
                misc = dict(((code, sub), value) for code, sub, value in connection.execute(
                    "SELECT code, subcode, value FROM misc WHERE code = 14 OR (code = 6 AND subcode = 41)"))
                try:
                    ms = int(_text(misc.get((6, 41)))) if (6, 41) in misc else None
                    last = datetime.fromtimestamp(ms / 1000.0, UTC) if ms else None
                except (ValueError, OverflowError, OSError):
                    last = None
                db_id = _text(misc.get((14, 0))) or None
    except (DatabaseBusy, DatabaseUnreadable, InterruptedWrite, LibraryVanished):
        return EnlCopy(enl, EnlKind.UNREADABLE, size)
    kind = EnlKind.ENL_REFS if table == "enl_refs" else EnlKind.FULL if count else EnlKind.EMPTY
    return EnlCopy(enl, kind, size, rows, last, db_id, count)
