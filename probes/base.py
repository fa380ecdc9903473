"""The probe contract: a small object with a `name` and `check(snapshot, context) -> findings`.

A probe module does not need to import this Protocol to satisfy it. Probes never write to a
library; finding a problem is a return value, and a crash becomes a `probe.crashed` finding.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from endnoted.judging.findings import LIST_CAP, Finding, RefItem, ref_list
from endnoted.reading.model import Snapshot, named_rows

if TYPE_CHECKING:
    from endnoted.judging.compare import Comparison


@dataclass(frozen=True)
class Peer:
    """Another library endnoted knows in the same pass (one `check` call, or the daemon's set): its identity."""

    path: Path
    db_id: str | None        # misc code 14: copies of a library keep it
    account: str | None      # a one-way hash of the sync user id (misc 6/39), never the id
    configured: bool         # it has completed a sync

    @classmethod
    def of(cls, snapshot: Snapshot) -> Peer:
        ledger = snapshot.ledger
        return cls(snapshot.library.path, snapshot.db_id, snapshot.account,
                   ledger is not None and ledger.configured)


@dataclass(frozen=True)
class Reading:
    """The last healthy reading of this library the daemon stored: what a drop is measured against."""

    taken_at: datetime
    references: int
    trashed: int
    last_sync: datetime | None = None          # the last sync that reading saw (the daemon's memory)
    pending_ids: frozenset[int] = frozenset()  # references whose sync row was pending at that reading


@dataclass(frozen=True)
class Context:
    """What a probe may know besides the snapshot: the clock, the settings, EndNote's preferences."""

    now: datetime
    stale_after_seconds: float = 24 * 3600.0
    sync_library_pref: Path | None = None   # EndNote's own idea of the synced library, where readable
    sync_library_pref_exists: bool = True   # whether that path exists (looked up by the checker: probes open no file)
    comparison: Comparison | None = None     # a Web export compared with this library
    mounts: tuple[tuple[str, str], ...] = field(default=())   # (mount point, fs type), longest first
    peers: tuple[Peer, ...] = ()             # every library of this pass, this one included
    previous: Reading | None = None          # the daemon's last healthy reading of this library


def references_named(snapshot: Snapshot, ids: Collection[int]) -> tuple[tuple[RefItem, ...], int]:
    """Given reference ids, return the capped list of those references (by record number) and how many more."""
    # Raw rows (id, trash, title, year, authors, …), as Snapshot.references reads them, without
    # building a record for every reference of the library to name a few.
    chosen = sorted((row for row in snapshot.rows if row[0] in ids), key=lambda row: row[0]) if ids else []
    # Texts for the named ones only: the daemon's incremental reading reads them by id (model.named_rows).
    shown = named_rows(snapshot, chosen[:LIST_CAP])
    return ref_list((RefItem(row[0], row[2] or "", row[3] or "", (row[4] or "").split("\r", 1)[0]) for row in shown),
                    len(chosen))


class Probe(Protocol):
    name: str

    def check(self, snapshot: Snapshot, context: Context) -> Iterable[Finding]:
        """Look at the snapshot; return what was noticed. Never write to the library."""
        ...
