"""Turns a snapshot that could not be read normally into a finding that says why, and the verdict it means.

The damaged-library advice follows EndNote's help page "The EndNote Library is Corrupted"
(docs/ENDNOTE-RULES.md, rule R1): back up first without replacing older backups; a synced
library is repaired from the Web copy by pressing Sync; otherwise Library → Recover Library….
"""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.judging.findings import Finding, Severity, State
from endnoted.probes.base import Context
from endnoted.reading.model import Snapshot, Status

DAMAGED_ACTION = ("Make a copy of the library first (the .enl and its .Data folder; keep older backups). "
                  "If it syncs with EndNote Web, open it in EndNote and press Sync: EndNote repairs it from "
                  "the Web copy. If it does not sync, or Sync fails, use EndNote's Library → Recover Library…, "
                  "or restore a backup (endnoted restore).")


class LibraryStateProbe:
    name = "library-state"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        problem = snapshot.problem or ""
        if snapshot.status is Status.DAMAGED:
            yield Finding(self.name, "library.damaged", Severity.ERROR,
                          f"The library database is damaged: {problem}. {DAMAGED_ACTION}",
                          verdict=State.DAMAGED, reason=f"The library database cannot be read: {problem}",
                          action=DAMAGED_ACTION)
        elif snapshot.status is Status.MISSING:
            action = "Restore the library from a backup (endnoted restore)."
            yield Finding(self.name, "library.no-database", Severity.ERROR, f"{problem}. {action}",
                          verdict=State.DAMAGED, reason=f"The library database cannot be read: {problem}",
                          action=action)
        elif snapshot.status is Status.BUSY:
            yield Finding(self.name, "library.busy", Severity.WARNING,
                          f"{problem}. endnoted will look again; if this persists, quit EndNote and retry.",
                          verdict=State.UNKNOWN,
                          reason="EndNote held the database locked while endnoted tried to read it",
                          action="Nothing to do now; endnoted looks again. If this persists, quit EndNote and retry.")
        elif snapshot.status is Status.LEGACY:
            yield Finding(self.name, "library.legacy-myisam", Severity.INFO,
                          f"This is {problem}. Open it in EndNote X9.3 or later to convert it.",
                          verdict=State.UNKNOWN,
                          reason="This is an X-era (MyISAM) library; endnoted does not read its sync state",
                          action="Open it in EndNote X9.3 or later to convert it; endnoted then watches the new "
                                 "library.")
        elif snapshot.status is Status.INTERRUPTED:
            action = ("Open the library in EndNote once: EndNote undoes the unfinished change itself. Do not "
                      "delete the sdb.eni-journal file.")
            yield Finding(self.name, "library.interrupted-write", Severity.WARNING,
                          f"{problem}. Open the library in EndNote once and it finishes the repair itself; "
                          "do not delete the journal file.", verdict=State.UNKNOWN,
                          reason="EndNote stopped in the middle of saving this library; its unfinished change "
                                 "waits to be undone, so endnoted does not read it yet", action=action)
        elif snapshot.status is Status.FOREIGN:
            yield Finding(self.name, "library.not-endnote", Severity.WARNING,
                          f"{problem}. Check that this is the right file.", verdict=State.UNKNOWN,
                          reason=f"The database opens but is not an EndNote library: {problem}",
                          action="Check that the path names an EndNote library (Name.enl with Name.Data).")
        elif snapshot.bad_values:
            # Weak evidence is `unknown` with why, never a guess (issue #12: a bad value is a finding).
            configured = snapshot.ledger is not None and snapshot.ledger.configured
            yield Finding(self.name, "library.odd-values", Severity.WARNING,
                          f"Values EndNote never writes: {'; '.join(snapshot.bad_values)}. endnoted does not "
                          "judge the sync state from them; open the library in EndNote and let it sync.",
                          count=len(snapshot.bad_values), verdict=State.UNKNOWN if configured else None,
                          reason="Some of the library's sync records hold values EndNote never writes ("
                                 f"{'; '.join(snapshot.bad_values)}), so endnoted cannot judge its sync state",
                          action="Open the library in EndNote and let it sync; if that fails, use EndNote's "
                                 "Library → Recover Library… on a copy.")
        if snapshot.ok and snapshot.journal_present:
            yield Finding(self.name, "library.journal-present", Severity.INFO,
                          "A rollback journal (sdb.eni-journal) sits beside the database: EndNote was writing, "
                          "or crashed mid-write. If EndNote is closed, open the library in EndNote once.")
