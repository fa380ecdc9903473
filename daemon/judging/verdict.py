"""Folds a snapshot and its findings into one verdict per library, with a reason and the next action.

Rules, first match wins (issue #2, extended by #3 with Web-export evidence):
damaged → unknown → not-synced → diverged → stale → pending → in-sync.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from endnoted.reading.snapshot import Snapshot, Status

if TYPE_CHECKING:
    from endnoted.judging.compare import Comparison


class State(enum.Enum):
    IN_SYNC = "in-sync"
    PENDING = "pending"
    NOT_SYNCED = "not-synced"
    STALE = "stale"
    UNKNOWN = "unknown"
    DIVERGED = "diverged"
    DAMAGED = "damaged"

    @property
    def rank(self) -> int:
        """How bad it is: a higher rank is worse (used to notify only when things get worse)."""
        return _RANK[self]


_RANK = {State.IN_SYNC: 0, State.NOT_SYNCED: 0, State.PENDING: 1, State.UNKNOWN: 2, State.STALE: 3,
         State.DIVERGED: 4, State.DAMAGED: 5}


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    reason: str
    next_action: str


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


def _repair(snapshot: Snapshot) -> str:
    return f'Run: endnoted reset "{snapshot.library.path}" (it makes and proves a backup first).'


def decide(snapshot: Snapshot, *, now: datetime, stale_after_seconds: float,
           comparison: Comparison | None = None) -> Verdict:
    """Given a snapshot (and optionally a Web-export comparison), return the library's verdict."""
    if snapshot.status in (Status.DAMAGED, Status.MISSING):
        return Verdict(State.DAMAGED, f"The library database cannot be read: {snapshot.problem}.",
                       "Do not sync it. Restore a backup (endnoted restore) or use EndNote's Tools → "
                       "Recover Library on a copy.")
    if snapshot.status is Status.LEGACY:
        return Verdict(State.UNKNOWN, "This is an X-era (MyISAM) library; endnoted does not read its sync state.",
                       "Open it in EndNote X9.3 or later to convert it; endnoted then watches the new library.")
    if snapshot.status is Status.BUSY:
        return Verdict(State.UNKNOWN, "EndNote held the database locked while endnoted tried to read it.",
                       "Nothing to do now; endnoted looks again. If this persists, quit EndNote and retry.")
    if snapshot.status is Status.INTERRUPTED:
        return Verdict(State.UNKNOWN, "EndNote stopped in the middle of saving this library; its unfinished "
                                      "change waits to be undone, so endnoted does not read it yet.",
                       "Open the library in EndNote once: EndNote undoes the unfinished change itself. Do not "
                       "delete the sdb.eni-journal file.")
    if snapshot.status is Status.FOREIGN:
        return Verdict(State.UNKNOWN, f"The database opens but is not an EndNote library: {snapshot.problem}.",
                       "Check that the path names an EndNote library (Name.enl with Name.Data).")
    ledger = snapshot.ledger
    assert ledger is not None  # an OK snapshot always has a ledger
    if not ledger.configured:
        return Verdict(State.NOT_SYNCED, "This library is not synced with EndNote Web.",
                       "Nothing to do, unless it should sync: EndNote → Preferences → Sync.")
    if snapshot.bad_values:
        # Weak evidence is `unknown` with why, never a guess (issue #12: a bad value is a finding).
        return Verdict(State.UNKNOWN, "Some of the library's sync records hold values EndNote never writes ("
                       f"{'; '.join(snapshot.bad_values)}), so endnoted cannot judge its sync state.",
                       "Open the library in EndNote and let it sync; if that fails, use Tools → Recover "
                       "Library on a copy.")
    if comparison is not None and (comparison.unexplained_missing_on_web or comparison.unexplained_missing_on_desktop):
        return Verdict(State.DIVERGED,
                       f"Compared with the Web export {comparison.export.name}: "
                       f"{comparison.unexplained_missing_on_web} references are missing on Web and "
                       f"{comparison.unexplained_missing_on_desktop} missing on Desktop, beyond what the sync "
                       "ledger explains.",
                       f'Look at the list with endnoted compare, then run endnoted reset "{snapshot.library.path}".')
    if ledger.missed:
        return Verdict(State.DIVERGED,
                       f"{ledger.missed} references were in the library before the last sync but were never sent, "
                       "so EndNote Web lacks them.", _repair(snapshot))
    waiting = ledger.pending + ledger.edited_after_sync + ledger.unsynced
    if waiting:
        assert ledger.last_sync is not None
        age = (now - ledger.last_sync).total_seconds()
        what = (f"{ledger.pending} pending changes, {ledger.edited_after_sync} edits and "
                f"{ledger.unsynced} new references wait to be sent")
        if age > stale_after_seconds:
            return Verdict(State.STALE, f"{what}, and the last sync was {_age(age)} ago.",
                           "Open the library in EndNote and press Sync; check that Sync Automatically is on "
                           "(Preferences → Sync).")
        return Verdict(State.PENDING, f"{what}; the last sync was {_age(max(age, 0))} ago.",
                       "Nothing to do: EndNote sends them at its next sync (or press Sync now).")
    return Verdict(State.IN_SYNC, "Everything in the library has been sent to EndNote Web at the last sync.",
                   "Nothing to do.")
