"""What one reading of a library holds: the Snapshot and its records (built by reading/snapshot.py).

The definitions of the ledger's counts are in reading/fold.py, which computes them.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import NamedTuple, Protocol

from endnoted.common.timefmt import iso_z
from endnoted.reading.enl_copy import EnlCopy
from endnoted.reading.library import Library

RefRow = tuple[int, int, str, str, str, str, int, int]


class Reuse(Protocol):
    """What an incremental reading carries over from the previous one (reading/incremental.py).

    `refs` returns the refs rows as `_REFS_SQL` would (raw: before `_read_refs` cleans them), reading
    only the rows that changed; `enl` returns the `.enl` copy, re-read only when it or the live ids
    changed; `integrity` is the structural check of the last full reading, which an incremental
    reading does not repeat (the periodic full pass does); None on a full reading.
    """

    integrity: str | None   # None: check the structure now
    clean: bool             # set by `refs`: its rows' numbers are all integers (no value to count as bad)

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
    # The daemon's incremental reading (reading/incremental.py) holds the texts of the rows it read
    # only; `fill` reads the texts of the few references a finding names, by id (`named_rows`).
    fill: Callable[[Sequence[RefRow]], list[RefRow]] | None = field(default=None, compare=False, repr=False)

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


def named_rows(snapshot: Snapshot, rows: Sequence[RefRow]) -> list[RefRow]:
    """Given some of the snapshot's rows (the few a finding names), return them with their texts.

    A full reading holds every text already; the daemon's incremental reading reads them by id.
    """
    return list(rows) if snapshot.fill is None or not rows else snapshot.fill(rows)
