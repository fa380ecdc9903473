"""Incremental readings (issue #16 item 3): after a save, read in full only the references that changed.

The daemon keeps, per library, each reference's fingerprint (id, trash state, record_last_updated)
and its two match keys as one-way hashes in its state file (state/refcache.py, through the
`KeyCache` protocol below), with a `Meta` saying what the last reading was taken from. Nothing of
a library is kept in memory between readings but the `.enl` memo (a few values). A reading after
a save reads the fingerprints of all rows (integers only, in id order: reading/fingerprints.py,
which takes every column that did not change from the store as it is) and reads in full only

- rows whose fingerprint is new or differs from the stored one (an edit, an insertion, a trash move),
- rows whose record_last_updated is within RECENT_SECONDS of the previous reading or later: the
  column holds whole seconds, so a second edit in the second of a reading keeps the fingerprint;
  and a time in the future (another clock) is read every time rather than trusted;

and drops the stored rows whose id is gone. Every other row is in the Snapshot without its texts
(title, year, authors and DOI are ''), its keys come from the store, and `Snapshot.fill` reads the
texts of the few references a finding names, by id (model.named_rows). Everything else (misc, the
sync ledger, attachments, groups, the counts) is read and folded as a full reading does, by the
same code (snapshot._build): the findings and the verdict equal a full reading's
(tests/reading/test_incremental.py).

A full reading keeps no texts either (unless asked, for a Web export to compare): it reads the
rows in chunks, computes each chunk's keys, and keeps the rows slim, so the daemon's full pass
never holds every title and author list of a library at once (its peak is what the allocator
keeps between passes). The fingerprint comparison is done column by column at C speed.

A full reading runs instead when nothing is stored (first reading, the last one was not OK), when
the caller asks (the daemon's periodic pass; a Web export to compare, which needs every title),
when the library was replaced (the database file's device/inode changed or it shrank, its database
id — misc 14 — or its tables changed, the refs AUTOINCREMENT counter went back), or when anything
disagrees (a row to read is missing). A full reading stores the keys of every row again. The
structural check (`PRAGMA quick_check`) runs on full readings only; an incremental one carries the
last full reading's result. It must not stand for the changed file: the daemon checks that file's
structure right behind the incremental reading, on the same worker (integrity.recheck, Daemon._recheck),
and reads the library in full if it fails, so a file damaged by the save is called damaged within one
structural check (about 0.3 s at 100k references; benchmarks/bench_real.py) of the save's verdict.
Run here, the check would add that to every save's verdict.

The assumption behind it: whenever EndNote changes a reference's fields (an edit, a sync that
brings a change from the Web) it gives record_last_updated a value other than the one it had:
the time of the change. Two changes stamped with the same second are told apart only within
RECENT_SECONDS of the reading (a local edit); a tool that changes a title without touching the
time, or a Web change stamped the very second of the previous one, is seen at the next full pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import compress
from operator import is_, lt, ne
from pathlib import Path
from typing import NamedTuple, Protocol

from endnoted.common.errors import DatabaseBusy, DatabaseUnreadable, InterruptedWrite
from endnoted.reading import fingerprints
from endnoted.reading.database import lenient_text, read_transaction
from endnoted.reading.enl_copy import EnlCopy, read_enl
from endnoted.reading.fingerprints import Columns, kept, marks_of
from endnoted.reading.integrity import IntegrityMemo, identity
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import RefRow, Snapshot, Status
from endnoted.reading.snapshot import _REFS_SQL, _int_sql, take

RECENT_SECONDS = 2
# Given refs rows as read, return their hashed (DOI, title) keys: judging/matching.hashed_keys.
KeyFunction = Callable[[Sequence[RefRow]], tuple[list[str], list[str]]]
# A row without its texts: the same conversions as _REFS_SQL's columns 1, 6 and 7.
_SLIM_SQL = (f"SELECT id, {_int_sql('trash_state', '0', 'NULL')}, '', '', '', '', "
             f"{_int_sql('added_to_library', '0', 'NULL')}, {_int_sql('record_last_updated', '0', 'NULL')} "
             "FROM refs ORDER BY id")
_CHANGED_SQL = f"{_REFS_SQL} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"
_CHUNK = 256    # rows a full reading holds with their texts at once (the real test library spans two)


class Meta(NamedTuple):
    """What a stored reading was taken from: enough to tell the library was replaced since."""

    file: tuple[str, int, int, int]   # database path, st_dev, st_ino, st_size
    db_id: str | None
    tables: tuple[str, ...]
    refs_sequence: int | None
    integrity: str                    # the last full reading's structural check
    since: float                      # rows updated at or after this time are read again

    def dumps(self) -> str:
        return json.dumps(self._asdict())

    @classmethod
    def loads(cls, text: str) -> Meta:
        data = json.loads(text)
        file = data["file"]
        return cls((str(file[0]), int(file[1]), int(file[2]), int(file[3])), data["db_id"],
                   tuple(data["tables"]), data["refs_sequence"], str(data["integrity"]), float(data["since"]))


class KeyCache(Protocol):
    """Where the keys live between readings (state/refcache.RefCache)."""

    def load(self, library: str) -> tuple[Meta, Columns] | None: ...

    # columns None: they are the stored ones, only the Meta is new (a reading that found nothing changed);
    # before: the columns as loaded (a part equal to the one loaded is not written again)
    def save(self, library: str, meta: Meta, columns: Columns | None, before: Columns | None = None) -> None: ...

    def forget(self, library: str) -> None: ...


@dataclass
class EnlMemo:
    """The `.enl` copy last read for a library, the file and the live ids it was read for (in memory:
    it holds only the rows the live database lacks, usually none)."""

    key: tuple[str, tuple[int, ...]] | None = None
    live: bytes = b""
    copy: EnlCopy | None = None


@dataclass(frozen=True)
class Reading:
    snapshot: Snapshot
    mode: str                          # "full (why)" or "incremental (n rows read)"
    dois: list[str] | None = None      # hashed keys aligned with snapshot.rows; None when none were kept
    titles: list[str] | None = None
    parsed: int = -1                   # integer columns an incremental reading parsed (fingerprints.py); -1: none


class Inconsistent(Exception):
    """The stored rows and the database disagree in a way an incremental reading cannot explain."""


def read(library: Library, cache: KeyCache, keys: KeyFunction, *, full: bool = False, now: datetime | None = None,
         memo: IntegrityMemo | None = None, why: str = "asked", enl: EnlMemo | None = None,
         texts: bool = False) -> Reading:
    """Given a library, where its keys are kept and how to compute keys, return a Reading whose findings equal
    a full reading's: incremental when it safely can be, full otherwise; the store is brought up to date.

    Its Snapshot holds the texts of the rows it read only (the others' are ''; `fill` reads those a
    finding names), and its keys must be given to the probes (`Reading.dois`/`titles`). With `texts`
    (a Web export to compare, which needs every title) the reading is a full one holding every text.
    """
    started = time.time()
    name = str(library.path)
    enl = enl if enl is not None else EnlMemo()
    database = library.database if library.layout is Layout.SQLITE else None
    if database is None:
        cache.forget(name)
        return Reading(take(library, now=now, memo=memo), "full (not a SQLite library)")
    file = _file(database)
    loaded = cache.load(name)
    reason = why if full or texts else _full_reason(loaded, file)
    if reason is None and loaded is not None and file is not None:
        meta, stored = loaded
        partial = _Incremental(meta, stored, keys, enl)
        try:
            snap = take(library, now=now, memo=memo, reuse=partial)
        except Inconsistent as error:
            reason = f"inconsistent: {error}"
        else:
            if snap.status in (Status.BUSY, Status.INTERRUPTED):
                return Reading(snap, f"incremental ({snap.status.value})")   # a full one would wait too
            reason = _replaced(meta, snap)
            if reason is None:
                cache.save(name, _meta(file, snap, started), partial.columns, stored)
                return Reading(replace(snap, fill=_filler(database)), f"incremental ({partial.fetched} rows read)",
                               partial.dois, partial.titles, partial.parsed)
    whole = _Full(keys, enl, texts=texts)
    snap = take(library, now=now, memo=memo, reuse=whole)
    mode = f"full ({reason or 'first reading'})"
    if snap.ok and file is not None and whole.in_order:
        cache.save(name, _meta(file, snap, started), whole.columns(), loaded[1] if loaded is not None else None)
    else:
        cache.forget(name)
    if not snap.ok:
        return Reading(snap, mode)
    # The keys go with every healthy full reading: without its texts, no probe could compute them.
    return Reading(snap if texts else replace(snap, fill=_filler(database)), mode, whole.dois, whole.titles)


def _meta(file: tuple[str, int, int, int], snap: Snapshot, started: float) -> Meta:
    return Meta(file, snap.db_id, tuple(sorted(snap.tables)), snap.refs_sequence, snap.integrity,
                started - RECENT_SECONDS)


def _file(database: Path) -> tuple[str, int, int, int] | None:
    try:
        stat = os.stat(database)
    except OSError:
        return None
    return (str(database), stat.st_dev, stat.st_ino, stat.st_size)


def _full_reason(loaded: tuple[Meta, Columns] | None, now: tuple[str, int, int, int] | None) -> str | None:
    """Why this reading must be a full one, or None when an incremental one is safe to try."""
    if loaded is None:
        return "no previous reading to build on"
    before = loaded[0].file
    if now is None:
        return "the database cannot be looked at"
    if now[:3] != before[:3]:
        return "the database file was replaced"
    if now[3] < before[3]:
        return "the database file shrank"
    return None


def _replaced(meta: Meta, snap: Snapshot) -> str | None:
    """Given what the stored reading was taken from and an incremental reading, say why the library looks replaced."""
    if not snap.ok:
        return f"the reading is {snap.status.value}"
    if snap.db_id != meta.db_id:
        return "the database id (misc 14) changed"
    if tuple(sorted(snap.tables)) != meta.tables:
        return "the database's tables changed"
    if meta.refs_sequence is not None and (snap.refs_sequence is None or snap.refs_sequence < meta.refs_sequence):
        return "the refs counter went back"
    return None


def _digest(ids: list[int]) -> bytes:
    """The live ids in a few bytes: the `.enl` memo is good while they are the same."""
    return hashlib.blake2b(array("q", ids).tobytes(), digest_size=16).digest()


class _Full:
    """A full reading that also computes every row's keys for the store.

    The rows are read in chunks and each chunk's keys computed at once; unless the caller needs the
    texts (a Web export to compare), the rows kept are slim (texts '', as an incremental reading's
    unread rows), so a reading of 100k references never holds every title and author list at once:
    the peak of the daemon's full pass, which the allocator keeps as its idle size (issue #16).
    """

    integrity: str | None = None   # check the structure now
    clean = False                  # its rows are looked at for values that are not numbers

    def __init__(self, keys: KeyFunction, enl: EnlMemo, *, texts: bool) -> None:
        self.keys, self.memo, self.texts = keys, enl, texts
        self.numbers: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        self.dois: list[str] = []
        self.titles: list[str] = []
        self.in_order = False
        self.live = b""

    def refs(self, connection: sqlite3.Connection) -> list[RefRow]:
        # Called again from the start when a text must be read leniently (snapshot_database): no state carried over.
        rows: list[RefRow] = []
        self.dois, self.titles = [], []
        cursor = connection.execute(_REFS_SQL)
        while chunk := cursor.fetchmany(_CHUNK):
            dois, titles = self.keys(chunk)
            self.dois += dois
            self.titles += titles
            if self.texts:
                rows += chunk
            else:   # by C-level column passes: no Python work per row
                got, trash, *_texts, added, updated = zip(*chunk, strict=True)
                blank = ("",) * len(chunk)
                rows += zip(got, trash, blank, blank, blank, blank, added, updated, strict=True)
        columns = list(zip(*rows, strict=True)) if rows else [()] * 8
        ids = list(columns[0])
        # Stored rows are compared in id order: keep them only when the table gives that order.
        self.in_order = all(map(lt, ids, ids[1:]))
        self.numbers = (ids, kept(columns[1]), kept(columns[6]), kept(columns[7]))
        self.live = _digest(ids)
        return rows

    def columns(self) -> Columns:
        """The columns to store, with the digests a later incremental reading compares its own with."""
        ids, trash, added, updated = self.numbers
        return Columns(ids, trash, added, updated, self.dois, self.titles, marks_of(self.numbers))

    def enl(self, enl: Path, live_ids: set[int]) -> EnlCopy:
        return _read_enl(self.memo, enl, live_ids, self.live, reuse=False)


class _Incremental:
    """Reads the fingerprints, reads in full the rows that changed, and takes the others' keys from the store."""

    def __init__(self, meta: Meta, stored: Columns, keys: KeyFunction, enl: EnlMemo) -> None:
        self.meta, self.stored, self.keys, self.memo = meta, stored, keys, enl
        self.integrity: str | None = meta.integrity
        self.columns: Columns | None = None   # what to store; None: the stored columns still hold
        self.dois: list[str] = []
        self.titles: list[str] = []
        self.fetched = 0
        self.parsed = -1     # integer columns the fast path parsed (fingerprints.read); -1: it did not apply
        self.clean = False   # every number read is an integer (the fast path's own check)
        self.live = b""

    def refs(self, connection: sqlite3.Connection) -> list[RefRow]:
        stored, since = self.stored, self.meta.since
        try:
            fast = fingerprints.read(connection, stored)
        except ValueError as error:
            raise Inconsistent(str(error)) from error
        self.clean = fast is not None
        if fast is not None:
            ids, trash, added, updated, marks = fast.ids, fast.trash, fast.added, fast.updated, fast.marks
            self.parsed = fast.parsed
            blank = ("",) * len(ids)
            # Column by column (one C zip), so that the common cases cost no Python work per row.
            rows: list[RefRow] = list(zip(ids, trash, blank, blank, blank, blank, added, updated, strict=True))
        else:   # a value that is not an integer: read as a full reading reads it, to be counted as bad
            rows = connection.execute(_SLIM_SQL).fetchall()
            raw = list(zip(*rows, strict=True)) if rows else [()] * 8
            ids, trash, added, updated = list(raw[0]), kept(raw[1]), kept(raw[6]), kept(raw[7])
            marks = ()
        same_ids = ids is stored.ids or ids == stored.ids
        at_old: dict[int, int] | None = None
        if same_ids:   # an edit, a trash move, a quiet library: only fingerprints may differ
            todo = set() if trash is stored.trash else set(compress(ids, map(ne, trash, stored.trash)))
            if updated is not stored.updated:
                todo.update(compress(ids, map(ne, updated, stored.updated)))
        else:
            at_old = dict(zip(stored.ids, range(len(stored.ids)), strict=True))
            todo = {ref_id for ref_id, trash_state, stamp in zip(ids, trash, updated, strict=True)
                    if (n := at_old.get(ref_id)) is None or stored.trash[n] != trash_state or stored.updated[n] != stamp}
        # NOT_A_NUMBER (a value EndNote never writes) is never at or after `since`.
        todo.update(compress(ids, map(since.__le__, updated)))
        wanted = sorted(todo)
        full: list[RefRow] = connection.execute(_CHANGED_SQL, (json.dumps(wanted),)).fetchall() if wanted else []
        if len(full) != len(wanted):
            raise Inconsistent(f"{len(wanted)} changed rows, {len(full)} read")
        if at_old is None:
            dois, titles = list(stored.dois), list(stored.titles)
        else:
            dois = [stored.dois[n] if (n := at_old.get(ref_id)) is not None else "" for ref_id in ids]
            titles = [stored.titles[n] if (n := at_old.get(ref_id)) is not None else "" for ref_id in ids]
        new_dois, new_titles = self.keys(full)
        for row, doi, title in zip(full, new_dois, new_titles, strict=True):
            at = bisect_left(ids, row[0])
            rows[at] = row
            dois[at], titles[at] = doi, title
        numbers = (ids, trash, added, updated)
        if not (all(map(is_, numbers, stored.numbers())) and marks == stored.marks
                and dois == stored.dois and titles == stored.titles):
            self.columns = Columns(ids, trash, added, updated, dois, titles, marks or marks_of(numbers))
        self.dois, self.titles, self.fetched = dois, titles, len(full)
        self.live = _digest(ids)
        return rows

    def enl(self, enl: Path, live_ids: set[int]) -> EnlCopy:
        return _read_enl(self.memo, enl, live_ids, self.live, reuse=True)


def _read_enl(memo: EnlMemo, enl: Path, live_ids: set[int], live: bytes, *, reuse: bool) -> EnlCopy:
    """The `.enl` copy: the remembered one while the file and the live ids are those it was read for."""
    try:
        key: tuple[str, tuple[int, ...]] | None = (str(enl), tuple(identity(enl)))
    except OSError:
        key = None
    if reuse and key is not None and key == memo.key and memo.copy is not None and memo.live == live:
        return memo.copy
    copy = read_enl(enl, live_ids)
    memo.key, memo.live, memo.copy = key, live, copy
    return copy


def _filler(database: Path) -> Callable[[Sequence[RefRow]], list[RefRow]]:
    """For an incremental reading's Snapshot: given rows, return them with their texts read from the library by id.

    Only the references a finding names come here (at most a few dozen). A row gone since the
    reading keeps its empty texts; a library that cannot be read now gives the rows back as they are.
    """
    def fill(rows: Sequence[RefRow]) -> list[RefRow]:
        if not rows:
            return []
        try:
            with read_transaction(database, attempts=2) as connection:
                connection.text_factory = lenient_text   # as the full reading's retry does for text that is not UTF-8
                found = {row[0]: row for row in connection.execute(_CHANGED_SQL, (json.dumps([r[0] for r in rows]),))}
        except (DatabaseBusy, DatabaseUnreadable, InterruptedWrite, sqlite3.Error, OSError):
            return list(rows)
        return [row if (text := found.get(row[0])) is None else (row[0], row[1], text[2], text[3], text[4], text[5],
                                                                 row[6], row[7]) for row in rows]
    return fill
