"""Turns a snapshot that could not be read normally into a finding that says why."""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.reading.snapshot import Snapshot, Status


class LibraryStateProbe:
    name = "library-state"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        problem = snapshot.problem or ""
        if snapshot.status is Status.DAMAGED:
            yield Finding(self.name, "library.damaged", Severity.ERROR,
                          f"The library database is damaged: {problem}. Do not sync it; restore a backup "
                          "or use EndNote's Tools → Recover Library on a copy.")
        elif snapshot.status is Status.MISSING:
            yield Finding(self.name, "library.no-database", Severity.ERROR,
                          f"{problem}. Restore the library from a backup (endnoted restore).")
        elif snapshot.status is Status.BUSY:
            yield Finding(self.name, "library.busy", Severity.WARNING,
                          f"{problem}. endnoted will look again; if this persists, quit EndNote and retry.")
        elif snapshot.status is Status.LEGACY:
            yield Finding(self.name, "library.legacy-myisam", Severity.INFO,
                          f"This is {problem}. Open it in EndNote X9.3 or later to convert it.")
        elif snapshot.status is Status.INTERRUPTED:
            yield Finding(self.name, "library.interrupted-write", Severity.WARNING,
                          f"{problem}. Open the library in EndNote once and it finishes the repair itself; "
                          "do not delete the journal file.")
        elif snapshot.status is Status.FOREIGN:
            yield Finding(self.name, "library.not-endnote", Severity.WARNING,
                          f"{problem}. Check that this is the right file.")
        elif snapshot.bad_values:
            yield Finding(self.name, "library.odd-values", Severity.WARNING,
                          f"Values EndNote never writes: {'; '.join(snapshot.bad_values)}. endnoted does not "
                          "judge the sync state from them; open the library in EndNote and let it sync.",
                          count=len(snapshot.bad_values))
        if snapshot.ok and snapshot.journal_present:
            yield Finding(self.name, "library.journal-present", Severity.INFO,
                          "A rollback journal (sdb.eni-journal) sits beside the database: EndNote was writing, "
                          "or crashed mid-write. If EndNote is closed, open the library in EndNote once.")
