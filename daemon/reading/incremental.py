"""Incremental readings (issue #16 item 3): after a save, read only the references that changed.

A `Carry` is what one library's last reading leaves for the next, kept in the daemon's memory:
every refs row as read (raw, by id; a row's fingerprint is its id, trash state and
record_last_updated), and the `.enl` copy with the file identity and live ids it was read for.
The daemon keeps one only for a library saved recently (running/runner.py). The next reading reads
the fingerprints of all rows in SQL (integers only, in id order) and fetches in full only

- rows whose fingerprint is new or differs (an edit, an insertion, a trash move),
- rows whose record_last_updated is within RECENT_SECONDS of the previous reading or later: the
  column holds whole seconds, so a second edit in the second of a reading keeps the fingerprint;
  and a time in the future (another clock) is fetched every time rather than trusted;

and drops the ids that are gone. Everything else of the reading (misc, the sync ledger, attachments,
groups, the counts) is read and folded exactly as a full reading does, by the same code
(snapshot._build): the Snapshot is equal to a full one (tests/reading/test_incremental.py).

A full reading runs instead when there is no usable carry (first reading, the last one was not
OK, the caller asks: the daemon's periodic pass), when the library was replaced (the database
file's device/inode changed or it shrank, its database id — misc 14 — or its tables changed, the
refs AUTOINCREMENT counter went back), or when anything disagrees (rows not in id order, a
fetched row missing). The structural check (`PRAGMA quick_check`) runs on full readings only; an
incremental one carries the last full reading's result (the daemon's full pass repeats it).

The assumption behind it: whenever EndNote changes a reference's fields (an edit, a sync that
brings a change from the Web) it gives record_last_updated a value other than the one it had:
the time of the change. Two changes stamped with the same second are told apart only within
RECENT_SECONDS of the reading (a local edit); a tool that changes a title without touching the
time, or a Web change stamped the very second of the previous one, is seen at the next full pass.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime
from operator import lt
from pathlib import Path

from endnoted.reading.enl_copy import EnlCopy, read_enl
from endnoted.reading.integrity import IntegrityMemo, identity
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import Snapshot, Status
from endnoted.reading.snapshot import _REFS_SQL, _int_sql, take

RECENT_SECONDS = 2
RawRow = tuple[int, int, str, str, str, str, int, int]
Print = tuple[int, int | None, int | None]
# The same conversions as _REFS_SQL's columns 1 and 7, so a fingerprint equals (row[0], row[1], row[7]).
_PRINTS_SQL = (f"SELECT id, {_int_sql('trash_state', '0', 'NULL')}, {_int_sql('record_last_updated', '0', 'NULL')} "
               "FROM refs ORDER BY id")
_CHANGED_SQL = f"{_REFS_SQL} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"


class Inconsistent(Exception):
    """The carried rows and the database disagree in a way an incremental reading cannot explain."""


class Carry:
    """What one library's last reading leaves for the next (in memory; see the module doc)."""

    def __init__(self) -> None:
        self.mode = "none"        # how the last reading was taken: "full (why)" or "incremental (n rows)"
        self.clear()

    def clear(self) -> None:
        """Forget everything: the next reading is a full one."""
        self.snapshot: Snapshot | None = None
        self.file: tuple[str, int, int, int] | None = None   # database path, st_dev, st_ino, st_size
        self.by_id: dict[int, RawRow] = {}
        self.since: float = 0.0
        self.enl_key: tuple[str, tuple[int, ...]] | None = None
        self.enl_live: frozenset[int] = frozenset()
        self.enl_copy: EnlCopy | None = None

    def read(self, library: Library, *, full: bool = False, now: datetime | None = None,
             memo: IntegrityMemo | None = None, why: str = "asked") -> Snapshot:
        """Given the library this carry belongs to, return a Snapshot equal to a full reading's.

        Reads incrementally when it safely can, in full otherwise; keeps what the next reading needs.
        """
        started = time.time()
        database = library.database if library.layout is Layout.SQLITE else None
        file = _file(database)
        previous = self.snapshot
        reason = why if full else _full_reason(previous, self.file, file)
        if reason is None and previous is not None:
            reuse = _Incremental(self)
            try:
                snap = take(library, now=now, memo=memo, reuse=reuse)
            except Inconsistent as error:
                reason = f"inconsistent: {error}"
            else:
                if snap.status in (Status.BUSY, Status.INTERRUPTED):
                    self.mode = f"incremental ({snap.status.value})"
                    return snap     # a full reading would wait for the same lock: the carry stays good
                reason = _replaced(previous, snap)
                if reason is None and snap.ok:
                    self._keep(snap, file, reuse.by_id, started)
                    self.mode = f"incremental ({reuse.fetched} rows read)"
                    return snap
        full_reuse = _Full(self)
        snap = take(library, now=now, memo=memo, reuse=full_reuse if database is not None else None)
        if snap.ok and database is not None and full_reuse.in_order:
            self._keep(snap, file, full_reuse.by_id, started)
        else:
            self.clear()
        self.mode = f"full ({reason or 'first reading'})"
        return snap

    def _keep(self, snap: Snapshot, file: tuple[str, int, int, int] | None, by_id: dict[int, RawRow],
              started: float) -> None:
        self.snapshot, self.file, self.by_id = snap, file, by_id
        self.since = started - RECENT_SECONDS


def _file(database: Path | None) -> tuple[str, int, int, int] | None:
    if database is None:
        return None
    try:
        stat = os.stat(database)
    except OSError:
        return None
    return (str(database), stat.st_dev, stat.st_ino, stat.st_size)


def _full_reason(previous: Snapshot | None, before: tuple[str, int, int, int] | None,
                 now: tuple[str, int, int, int] | None) -> str | None:
    """Why this reading must be a full one, or None when an incremental one is safe to try."""
    if previous is None or before is None:
        return "no previous reading to build on"
    if now is None:
        return "the database cannot be looked at"
    if now[:3] != before[:3]:
        return "the database file was replaced"
    if now[3] < before[3]:
        return "the database file shrank"
    return None


def _replaced(previous: Snapshot, snap: Snapshot) -> str | None:
    """Given the previous and an incremental reading, say why the library looks replaced (or None)."""
    if not snap.ok:
        return f"the reading is {snap.status.value}"
    if snap.db_id != previous.db_id:
        return "the database id (misc 14) changed"
    if snap.tables != previous.tables:
        return "the database's tables changed"
    if previous.refs_sequence is not None and (snap.refs_sequence is None or snap.refs_sequence < previous.refs_sequence):
        return "the refs counter went back"
    return None


class _Full:
    """A full reading that also remembers what the next incremental one needs."""

    integrity: str | None = None   # check the structure now

    def __init__(self, carry: Carry) -> None:
        self.carry = carry
        self.by_id: dict[int, RawRow] = {}
        self.in_order = False

    def refs(self, connection: sqlite3.Connection) -> list[RawRow]:
        rows: list[RawRow] = connection.execute(_REFS_SQL).fetchall()
        ids = [row[0] for row in rows]
        # The incremental reading puts rows in id order: a full one must read them in that order too.
        self.in_order = all(map(lt, ids, ids[1:]))
        self.by_id = dict(zip(ids, rows, strict=True))
        return rows

    def enl(self, enl: Path, live_ids: set[int]) -> EnlCopy:
        return _read_enl(self.carry, enl, live_ids, reuse=False)


class _Incremental:
    """Reads the fingerprints, fetches the changed rows, and rebuilds the rest from the carry."""

    def __init__(self, carry: Carry) -> None:
        self.carry = carry
        assert carry.snapshot is not None
        self.integrity: str | None = carry.snapshot.integrity
        self.by_id: dict[int, RawRow] = {}
        self.fetched = 0

    def refs(self, connection: sqlite3.Connection) -> list[RawRow]:
        carry = self.carry
        prints: list[Print] = connection.execute(_PRINTS_SQL).fetchall()
        old, since = carry.by_id, carry.since
        # A row's fingerprint is its carried row's (id, row[1], row[7]): no second copy is kept.
        changed = [ref_id for ref_id, trash, updated in prints
                   if (row := old.get(ref_id)) is None or row[1] != trash or row[7] != updated
                   or (updated is not None and updated >= since)]
        by_id = dict(old)
        ids = [item[0] for item in prints]
        for gone in by_id.keys() - set(ids):
            del by_id[gone]
        if changed:
            rows: list[RawRow] = connection.execute(_CHANGED_SQL, (json.dumps(changed),)).fetchall()
            if len(rows) != len(changed):
                raise Inconsistent(f"{len(changed)} changed rows, {len(rows)} read")
            for row in rows:
                by_id[row[0]] = row
            self.fetched = len(rows)
        if len(by_id) != len(ids):
            raise Inconsistent("the carried rows and the refs table differ in number")
        self.by_id = by_id
        return [by_id[ref_id] for ref_id in ids]

    def enl(self, enl: Path, live_ids: set[int]) -> EnlCopy:
        return _read_enl(self.carry, enl, live_ids, reuse=True)


def _read_enl(carry: Carry, enl: Path, live_ids: set[int], *, reuse: bool) -> EnlCopy:
    """The `.enl` copy: the carried one while the file and the live ids are those it was read for."""
    try:
        key: tuple[str, tuple[int, ...]] | None = (str(enl), tuple(identity(enl)))
    except OSError:
        key = None
    if reuse and key is not None and key == carry.enl_key and carry.enl_copy is not None \
            and carry.enl_live == live_ids:
        return carry.enl_copy
    copy = read_enl(enl, live_ids)
    carry.enl_key, carry.enl_live, carry.enl_copy = key, frozenset(live_ids), copy
    return copy
