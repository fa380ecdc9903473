"""Reads EndNote's own sync ledger: what the Desktop has not sent, and where the ledger contradicts itself."""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.reading.snapshot import Snapshot

SYNC_NOW = "Open the library in EndNote and press Sync."


class SyncLedgerProbe:
    name = "sync-ledger"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        ledger = snapshot.ledger
        if ledger is None:
            return
        if not ledger.has_sync_table:
            yield Finding(self.name, "sync.not-configured", Severity.INFO,
                          "This library has never been synced with EndNote Web; to sync it, use "
                          "EndNote's Preferences → Sync.")
            return
        if not ledger.configured:
            yield Finding(self.name, "sync.never-completed", Severity.WARNING,
                          "Sync was set up but never completed (no last-sync time): " + SYNC_NOW
                          + " If it fails, check the account in Preferences → Sync.")
            return
        if snapshot.bad_values:
            return   # the ledger holds values EndNote never writes: library.odd-values says which
        if ledger.missed:
            yield Finding(self.name, "sync.missed-references", Severity.ERROR,
                          f"{ledger.missed} references were in the library before the last sync but were never "
                          "sent: EndNote Web lacks them. A normal sync will not send them; run "
                          f'endnoted reset "{snapshot.library.path}".', ledger.missed)
        fresh = ledger.unsynced - ledger.missed
        if fresh > 0:
            yield Finding(self.name, "sync.unsynced-references", Severity.WARNING,
                          f"{fresh} references were added since the last sync and are not on EndNote Web yet: "
                          + SYNC_NOW, fresh)
        if ledger.pending:
            yield Finding(self.name, "sync.pending-uploads", Severity.WARNING,
                          f"{ledger.pending} changes (edits, trash moves, attachments) wait to be sent: " + SYNC_NOW,
                          ledger.pending)
        if ledger.edited_after_sync:
            yield Finding(self.name, "sync.edited-after-sync", Severity.INFO,
                          f"{ledger.edited_after_sync} references were edited after the last sync: " + SYNC_NOW,
                          ledger.edited_after_sync)
        if ledger.max_usn is not None and ledger.last_usn is not None and ledger.max_usn != ledger.last_usn:
            yield Finding(self.name, "sync.usn-mismatch", Severity.WARNING,
                          f"The sync ledger disagrees with itself (highest object USN {ledger.max_usn}, last "
                          f"sync USN {ledger.last_usn}): a sync was interrupted. " + SYNC_NOW)
        if ledger.orphan_rows:
            yield Finding(self.name, "sync.orphan-rows", Severity.INFO,
                          f"{ledger.orphan_rows} sync records point at objects that no longer exist in the library; "
                          "usually harmless leftovers of deleted groups. Nothing to do unless sync reports errors.",
                          ledger.orphan_rows)
        if snapshot.unsynced_groups:
            yield Finding(self.name, "sync.unsynced-groups", Severity.INFO,
                          f"{snapshot.unsynced_groups} groups have no sync record yet: " + SYNC_NOW,
                          snapshot.unsynced_groups)
        unsynced_files = sum(1 for item in snapshot.attachments if not item.synced)
        if unsynced_files:
            yield Finding(self.name, "sync.unsynced-attachments", Severity.INFO,
                          f"{unsynced_files} attachments have no sync record yet: " + SYNC_NOW, unsynced_files)
        if ledger.last_sync is not None:
            age = (context.now - ledger.last_sync).total_seconds()
            if age > context.stale_after_seconds:
                days = age / 86400
                yield Finding(self.name, "sync.overdue", Severity.INFO,
                              f"The last sync was {days:.1f} days ago; Sync Automatically runs every 15 minutes "
                              "while EndNote is open. Check it is on in Preferences → Sync.")
