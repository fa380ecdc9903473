"""One immutable reading of a library, taken in one short read-only transaction.

Definitions (issue #2, "Snapshot contents"):
- references: refs with trash_state = 0; trashed: refs with trash_state != 0;
  attachments: rows of file_res; groups: rows of groups.
- configured: a `sync` table and a last-sync time (misc 6/41) exist.
- pending: sync rows with action != 0 or status != 0.
- edited_after_sync: non-trashed refs that have a sync row with nothing pending on it, and whose
  record_last_updated is > 5 s after the last sync. Each waiting reference is counted once (issue
  #11): a ref without a sync row is `unsynced`, one whose row is pending is counted in `pending`.
- unsynced: refs (any trash state) with no sync row of type 1.
- missed: unsynced refs added > 60 s before the last sync (the Web copy lacks them).
- stuck: pending sync rows whose action_timestamp is > 60 s before the last sync: a sync ran after
  the change and did not clear it (docs/ENDNOTE-RULES.md R9).
- unnumbered: sync rows with nothing pending but USN 0: EndNote made the row, the server never
  numbered it, so it was never sent (R7; no real sample has one).
- refs_sequence: sqlite_sequence's counter for refs (AUTOINCREMENT): minus the row count it
  bounds the references deleted for good (R8).

Every value read out of EndNote's tables goes through one validated conversion (issue #12): numbers
and times are converted in SQL (`_INT`), so a row holding text where EndNote writes an integer
arrives as NULL/0 and is counted in `bad_values`, and the last-sync time must be a plausible
millisecond time. A bad value is a fact about the library (a finding and an `unknown` verdict),
never an exception. TEXT that is not valid UTF-8 (a Latin-1 byte in a title) is decoded with
replacement characters; SQLite itself accepts such text, so the library is not damaged.
"""

from __future__ import annotations

import enum
import hashlib
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple, Protocol

from endnoted.common.errors import ArchiveRejected, DatabaseBusy, DatabaseUnreadable, InterruptedWrite
from endnoted.common.gcpause import gc_paused
from endnoted.common.timefmt import iso_z
from endnoted.common.words import plural
from endnoted.reading.archive import extract_member, open_archive
from endnoted.reading.database import header_problem, lenient_text, read_transaction, table_names
from endnoted.reading.enl_copy import EnlCopy, read_enl
from endnoted.reading.integrity import IntegrityMemo, identity
from endnoted.reading.library import Layout, Library

EDIT_SLACK_SECONDS = 5      # a sync bumps timestamps by a second or so (Wanganlin00 sample)
MISSED_SLACK_SECONDS = 60   # added this long before a sync and still without a sync row
SYNC_TYPE_REFERENCE = 1
SYNC_TYPE_ATTACHMENT = 4
SYNC_TYPE_GROUP = 8
SYNC_TYPE_GROUP_SET = 16
SYNC_TYPE_TAG = 32
_GROUP_TYPE = re.compile(r"<rule>\s*TYPE;(\d+)\s*</rule>")
_REQUIRED_REFS_COLUMNS = {"id", "trash_state", "added_to_library", "record_last_updated"}
# A last-sync time (ms) outside 2000-01-01 .. 2100-01-01 is not one EndNote wrote.
LAST_SYNC_MIN_MS = 946_684_800_000
LAST_SYNC_MAX_MS = 4_102_444_800_000
USN_MAX = 2**63 - 1


def _int_sql(column: str, null: str, bad: str) -> str:
    """SQL that yields the column as an integer: `null` where it is NULL, `bad` where it holds text or a blob.

    Done in SQL so the normal path costs nothing in Python; `bad` is a value EndNote never writes
    there (NULL or -1), which `_bad_columns` then finds with C-speed membership tests.
    """
    return (f"CASE typeof({column}) WHEN 'integer' THEN {column} WHEN 'null' THEN {null} "
            f"WHEN 'real' THEN CAST({column} AS INTEGER) ELSE {bad} END")


RefRow = tuple[int, int, str, str, str, str, int, int]


class Reuse(Protocol):
    """What an incremental reading carries over from the previous one (reading/incremental.py).

    `refs` returns the refs rows as `_REFS_SQL` would (raw: before `_read_refs` cleans them), reading
    only the rows that changed; `enl` returns the `.enl` copy, re-read only when it or the live ids
    changed; `integrity` is the structural check of the last full reading, which an incremental
    reading does not repeat (the periodic full pass does); None on a full reading.
    """

    integrity: str | None   # None: check the structure now

    def refs(self, connection: sqlite3.Connection) -> list[tuple[int, int, str, str, str, str, int, int]]: ...

    def enl(self, enl: Path, live_ids: set[int]) -> EnlCopy: ...


class Status(enum.Enum):
    OK = "ok"
    DAMAGED = "damaged"      # present but unreadable or structurally corrupt
    BUSY = "busy"            # locked by EndNote longer than we wait
    INTERRUPTED = "interrupted"  # a crashed write left a hot journal only EndNote may roll back
    LEGACY = "legacy"        # X-era MyISAM: recognised, never guessed at
    FOREIGN = "foreign"      # opens, but is not EndNote's schema
    MISSING = "missing"      # the .Data folder holds no database


@dataclass(frozen=True, slots=True)
class Counts:
    references: int
    trashed: int
    attachments: int
    groups: int


@dataclass(frozen=True, slots=True)
class Ledger:
    """The library's own record of what it exchanged with EndNote Web."""

    has_sync_table: bool
    configured: bool
    last_sync: datetime | None
    last_usn: int | None
    max_usn: int | None
    pending: int
    edited_after_sync: int
    unsynced: int
    missed: int
    orphan_rows: int
    sync_rows: int
    # Which of misc 6/39 (sync user), 6/41 (last sync), 6/42 (last USN) exist: every real synced
    # sample holds all three beside a `sync` table, every never-synced one none (docs/ENDNOTE-RULES.md R11).
    misc_marks: frozenset[int] = frozenset()
    numbered_rows: int = 0   # sync rows the server numbered (USN > 0): they prove a sync happened

    def to_json(self) -> dict[str, object]:
        return {
            "configured": self.configured,
            "last_sync": iso_z(self.last_sync),
            "last_usn": self.last_usn,
            "pending": self.pending,
            "edited_after_sync": self.edited_after_sync,
            "unsynced": self.unsynced,
            "missed": self.missed,
            "max_usn": self.max_usn,
            "orphan_rows": self.orphan_rows,
        }


class Reference(NamedTuple):
    """What the probes and the Web comparison need of one reference (no author list: personal data).

    A NamedTuple rather than a frozen dataclass: a library holds up to 100k of them and tuple
    construction is several times cheaper (benchmarks/bench_check.py).
    """

    id: int
    trashed: bool
    title: str
    year: str
    first_author: str
    doi: str
    added: int
    updated: int
    synced: bool          # has a sync row of type 1
    sync_pending: bool    # that row has action or status set


@dataclass(frozen=True, slots=True)
class Attachment:
    refs_id: int
    path: str             # relative to Name.Data/PDF/
    synced: bool


@dataclass(frozen=True)
class Snapshot:
    """One reading of one library. Only `status == OK` snapshots carry counts and a ledger."""

    library: Library
    taken_at: datetime
    status: Status
    problem: str | None = None
    counts: Counts | None = None
    ledger: Ledger | None = None
    db_id: str | None = None
    rows: tuple[RefRow, ...] = ()           # refs as read: (id, trash_state, title, year, author, doi, added, updated)
    synced_ids: frozenset[int] = field(default_factory=frozenset)
    pending_ids: frozenset[int] = field(default_factory=frozenset)
    attachments: tuple[Attachment, ...] = ()
    unsynced_groups: int = 0
    integrity: str = "not checked"
    journal_present: bool = False
    tables: frozenset[str] = field(default_factory=frozenset)
    bad_values: tuple[str, ...] = ()        # values EndNote never writes, e.g. "sync.usn: 2 rows hold no number"
    edited_ids: frozenset[int] = field(default_factory=frozenset)     # counted in ledger.edited_after_sync
    unsynced_ids: frozenset[int] = field(default_factory=frozenset)   # counted in ledger.unsynced
    missed_ids: frozenset[int] = field(default_factory=frozenset)     # counted in ledger.missed
    stuck_ids: frozenset[int] = field(default_factory=frozenset)      # references whose pending row survived a sync
    stuck_rows: int = 0                     # pending rows of any kind that survived a sync
    unnumbered_rows: int = 0                # idle sync rows with USN 0: created here, never given a server number
    pending_since: int | None = None        # earliest action_timestamp of a pending, not stuck row (epoch s)
    stuck_since: int | None = None          # earliest action_timestamp of a stuck row (epoch s)
    refs_sequence: int | None = None        # sqlite_sequence's counter for refs
    account: str | None = None              # a one-way hash of the sync user id (misc 6/39): never the id itself
    enl_copy: EnlCopy | None = None         # what the .enl beside the database holds
    missing_files: tuple[Attachment, ...] = ()   # attachments whose file is not in the library's PDF folder
    # Derived facts computed once per reading by later stages (the match keys, judging/matching.py),
    # so every probe and the comparison share them. Not part of the reading's identity.
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @cached_property
    def references(self) -> tuple[Reference, ...]:
        """Every reference as a record, built on first use: most passes only need the raw rows."""
        synced, pending = self.synced_ids, self.pending_ids
        return tuple(Reference(ref_id, bool(trash), title or "", year or "", (author or "").split("\r", 1)[0],
                               doi or "", added or 0, updated or 0, ref_id in synced, ref_id in pending)
                     for ref_id, trash, title, year, author, doi, added, updated in self.rows)


def _now() -> datetime:
    return datetime.now(UTC)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return "" if value is None else str(value).strip()


def _int(value: object) -> int | None:
    try:
        return int(_text(value))
    except ValueError:
        return None


def _misc_int(misc: dict[tuple[int, int], object], key: tuple[int, int], low: int, high: int,
              what: str, bad: list[str]) -> int | None:
    """Given misc, return the integer at `key` if it is one within [low, high]; otherwise note it as bad."""
    if key not in misc:
        return None
    value = _int(misc[key])
    if value is None or not low <= value <= high:
        bad.append(f"misc {key[0]}/{key[1]} ({what}) holds no valid value")
        return None
    return value


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
    odd = [column for column in _REFS_NUMBERS if None in map(itemgetter(column), rows)]
    if not odd:
        return rows   # the normal path: no Python work per row
    for column in odd:
        count = sum(1 for row in rows if row[column] is None)
        bad.append(f"refs.{_REFS_NUMBERS[column]}: {count} rows hold no number")
    return [row if None not in row else tuple(0 if value is None else value for value in row)  # type: ignore[misc]
            for row in rows]


def _read_sync(connection: sqlite3.Connection, bad: list[str]) -> list[tuple[int, int, str, int, int, int, int]]:
    columns = {row[1] for row in connection.execute("PRAGMA table_info(sync)")}
    # When the change was made (epoch s): what tells a stuck row from a fresh one (R9).
    stamp = _int_sql("action_timestamp", "0", "0") if "action_timestamp" in columns else "0"
    sql = _SYNC_SQL.replace(" FROM sync", f", {stamp} FROM sync")
    rows: list[tuple[int, int, str, int, int, int, int]] = connection.execute(sql).fetchall()
    odd = [column for column, (_name, marker) in _SYNC_NUMBERS.items() if marker in map(itemgetter(column), rows)]
    if not odd:
        return rows   # the normal path: no Python work per row
    for column in odd:
        name, marker = _SYNC_NUMBERS[column]
        count = sum(1 for row in rows if row[column] == marker) if marker is not None \
            else sum(1 for row in rows if row[column] is None)
        bad.append(f"sync.{name}: {plural(count, 'row holds', 'rows hold')} no number")
    # A row whose type or item is not a number cannot be matched to anything: it is counted above.
    return [(kind, item, item2, None if usn == -1 else usn, max(action, 0), max(status, 0), stamp_value)  # type: ignore[misc]
            for kind, item, item2, usn, action, status, stamp_value in rows if kind is not None and item is not None]


def _refs_sequence(connection: sqlite3.Connection, tables: set[str]) -> int | None:
    if "sqlite_sequence" not in tables:
        return None
    row = connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'refs'").fetchone()
    return _int(row[0]) if row else None


def _group_kinds(connection: sqlite3.Connection) -> dict[int, int]:
    kinds: dict[int, int] = {}
    for group_id, spec in connection.execute(f"SELECT {_int_sql('group_id', 'NULL', 'NULL')}, spec FROM groups"):
        if group_id is None:
            continue
        match = _GROUP_TYPE.search(_text(spec))
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
    columns = {row[1] for row in connection.execute("PRAGMA table_info(refs)")}
    if not _REQUIRED_REFS_COLUMNS <= columns:
        return Snapshot(library, taken_at, Status.FOREIGN, "the refs table lacks EndNote's columns",
                        tables=frozenset(tables))
    bad: list[str] = []
    misc = _read_misc(connection)
    ref_rows = _read_refs(connection, bad, reuse)
    sync_rows = _read_sync(connection, bad) if "sync" in tables else []
    file_rows = connection.execute(f"SELECT {_int_sql('refs_id', 'NULL', 'NULL')}, coalesce(CAST(file_path AS TEXT), '') "
                                   "FROM file_res").fetchall() if "file_res" in tables else []
    group_kinds = _group_kinds(connection) if "groups" in tables else {}
    tag_ids = {row[0] for row in connection.execute("SELECT group_id FROM tag_groups")} \
        if "tag_groups" in tables else set()
    set_ids = {row[0] for row in connection.execute("SELECT subcode FROM misc WHERE code = 17")}
    carried = reuse.integrity if reuse is not None else None
    check = "not checked" if not integrity else carried if carried is not None \
        else _structure(connection, database, memo)
    snapshot = _fold(library, taken_at, tables, misc, ref_rows, sync_rows, file_rows, group_kinds,
                     tag_ids, set_ids, check, bad)
    return replace(snapshot, refs_sequence=_refs_sequence(connection, tables))


def _fold(library: Library, taken_at: datetime, tables: set[str], misc: dict[tuple[int, int], object],
          ref_rows: list[tuple[int, int, str, str, str, str, int, int]],
          sync_rows: list[tuple[int, int, str, int, int, int, int]], file_rows: list[tuple[int, str]],
          group_kinds: dict[int, int], tag_ids: set[int], set_ids: set[int], integrity: str,
          bad: list[str]) -> Snapshot:
    last_sync_ms = _misc_int(misc, (6, 41), LAST_SYNC_MIN_MS, LAST_SYNC_MAX_MS, "last sync time", bad)
    last_usn = _misc_int(misc, (6, 42), 0, USN_MAX, "last sync number", bad)
    has_sync = "sync" in tables
    # A last-sync entry that holds nonsense still says the library was set up to sync.
    configured = has_sync and (6, 41) in misc
    last_sync_s = last_sync_ms / 1000.0 if last_sync_ms is not None else None

    synced_refs: set[int] = set()
    pending_refs: set[int] = set()
    synced_files: set[tuple[int, str]] = set()
    synced_groups: set[int] = set()
    stuck_refs: set[int] = set()
    pending = stuck_rows = unnumbered = 0
    pending_since: int | None = None
    stuck_since: int | None = None
    stuck_limit = None if last_sync_s is None else last_sync_s - MISSED_SLACK_SECONDS
    max_usn: int | None = None
    for kind, item_id, item_id2, usn, action, status, stamp in sync_rows:
        busy = bool(action) or bool(status)
        pending += busy
        stuck = busy and bool(stamp) and stuck_limit is not None and stamp < stuck_limit
        stuck_rows += stuck
        unnumbered += not busy and usn == 0
        if busy and stamp and not stuck:
            pending_since = stamp if pending_since is None else min(pending_since, stamp)
        if stuck:
            stuck_since = stamp if stuck_since is None else min(stuck_since, stamp)
        if usn is not None and (max_usn is None or usn > max_usn):
            max_usn = usn
        if kind == SYNC_TYPE_REFERENCE:
            synced_refs.add(item_id)
            if busy:
                pending_refs.add(item_id)
            if stuck:
                stuck_refs.add(item_id)
        elif kind == SYNC_TYPE_ATTACHMENT:
            synced_files.add((item_id, item_id2))
        elif kind == SYNC_TYPE_GROUP:
            synced_groups.add(item_id)

    live = trashed = 0
    edited: list[int] = []
    unsynced: list[int] = []
    missed: list[int] = []
    edit_limit = None if last_sync_s is None else last_sync_s + EDIT_SLACK_SECONDS
    missed_limit = None if last_sync_s is None else last_sync_s - MISSED_SLACK_SECONDS
    for ref_id, trash_state, _title, _year, _author, _doi, added, updated in ref_rows:
        if ref_id not in synced_refs:
            unsynced.append(ref_id)
            if missed_limit is not None and (added or 0) < missed_limit:
                missed.append(ref_id)
        if trash_state:
            trashed += 1
        else:
            live += 1
            if edit_limit is not None and (updated or 0) > edit_limit and ref_id in synced_refs \
                    and ref_id not in pending_refs:
                edited.append(ref_id)

    ref_ids = {row[0] for row in ref_rows}
    file_keys = set(file_rows)
    orphans = 0
    for kind, item_id, item_id2, *_rest in sync_rows:
        if kind == SYNC_TYPE_REFERENCE:
            orphans += item_id not in ref_ids
        elif kind == SYNC_TYPE_ATTACHMENT:
            orphans += (item_id, item_id2) not in file_keys
        elif kind == SYNC_TYPE_GROUP:
            orphans += item_id not in group_kinds
        elif kind == SYNC_TYPE_TAG:
            orphans += item_id not in tag_ids
        elif kind == SYNC_TYPE_GROUP_SET:
            orphans += item_id not in set_ids
    # Online-search groups (TYPE;6) never get a sync row (ENDNOTE-FORMAT.md §2.1).
    unsynced_groups = sum(1 for gid, kind in group_kinds.items() if kind in (3, 4) and gid not in synced_groups) \
        if configured else 0
    attachments = tuple(Attachment(refs_id, path, (refs_id, path) in synced_files) for refs_id, path in file_rows)
    ledger = Ledger(
        has_sync_table=has_sync, configured=configured,
        last_sync=None if last_sync_ms is None else datetime.fromtimestamp(last_sync_ms / 1000.0, UTC),
        last_usn=last_usn, max_usn=max_usn,
        pending=pending, edited_after_sync=len(edited), unsynced=len(unsynced), missed=len(missed),
        orphan_rows=orphans, sync_rows=len(sync_rows),
        misc_marks=frozenset(sub for code, sub in misc if code == 6 and sub in (39, 41, 42)),
        numbered_rows=sum(1 for row in sync_rows if row[3]))
    return Snapshot(
        library=library, taken_at=taken_at, status=Status.OK,
        counts=Counts(live, trashed, len(file_rows), len(group_kinds)), ledger=ledger,
        db_id=_text(misc.get((14, 0))) or None,
        rows=tuple(ref_rows), synced_ids=frozenset(synced_refs), pending_ids=frozenset(pending_refs),
        attachments=attachments, unsynced_groups=unsynced_groups,
        integrity=integrity, tables=frozenset(tables), bad_values=tuple(bad), edited_ids=frozenset(edited),
        unsynced_ids=frozenset(unsynced), missed_ids=frozenset(missed), stuck_ids=frozenset(stuck_refs),
        stuck_rows=stuck_rows, unnumbered_rows=unnumbered, pending_since=pending_since, stuck_since=stuck_since, account=_account(misc.get((6, 39))))


def _account(value: object) -> str | None:
    """A one-way hash of the sync user id: enough to tell two libraries share an account, never the id."""
    text = _text(value)
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else None


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
        return Snapshot(library, taken_at, Status.MISSING,
                        f"{library.data_dir} holds no database (no sdb/sdb.eni and no rdb folder)")
    if problem := header_problem(database):
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
    return replace(snap, enl_copy=enl, missing_files=missing)
