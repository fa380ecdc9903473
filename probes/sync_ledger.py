"""Reads EndNote's own sync ledger: what the Desktop has not sent, what a sync left behind, and when sync stopped.

Each waiting reference is counted once (snapshot definitions). Waiting work older than
`stale_after` means sync has stopped: the verdict is at least `stale`, and the next action names
the likely causes (docs/ENDNOTE-RULES.md R7).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from endnoted.common.timefmt import duration
from endnoted.common.words import plural
from endnoted.judging.findings import Finding, Severity, State
from endnoted.probes.base import Context, references_named
from endnoted.reading.model import Ledger, Snapshot

SYNC_NOW = "Open the library in EndNote and press Sync."
STOPPED = ("Open the library in EndNote and press Sync. If it does not sync, the usual causes are: Sync "
           "Automatically is off (turn it on in Preferences → Sync); the EndNote password expired or changed "
           "(enter it again there); the EndNote subscription ended; or the EndNote Web storage limit is reached "
           "(EndNote's Sync Status says which).")
CONFLICTS = ("Open the library in EndNote: if a Sync Conflicts group shows, select it and use Resolve Sync "
             "Conflicts… to keep the right version; then press Sync. If the items stay, see EndNote's Sync Status "
             "for the error.")
NEVER_SYNCED = "Nothing to do, unless it should sync: EndNote → Preferences → Sync."


_MARKS = {39: "the sync account (misc 6/39)", 41: "the last-sync time (misc 6/41)",
          42: "the last sync number (misc 6/42)"}


def _ledger_gap(ledger: Ledger) -> str | None:
    """Say which part of a ledger that once synced is missing, or None when it is whole or never synced.

    A synced library holds a `sync` table and misc 6/39, 6/41 and 6/42; a never-synced one none of
    them; sync set up but never completed: the table (and maybe the account) without a last sync.
    Anything else lost part of its record, and judging it `not-synced` or `in-sync` would be a guess
    (docs/ENDNOTE-RULES.md R11).
    """
    recorded = ledger.misc_marks & {41, 42}
    if not ledger.has_sync_table and ledger.misc_marks:
        named = " and ".join(_MARKS[mark] for mark in sorted(ledger.misc_marks))
        return f"{named} record{'s' if len(ledger.misc_marks) == 1 else ''} a sync, but the sync table is missing"
    if ledger.has_sync_table and recorded and recorded != {41, 42}:
        (missing,), (present,) = sorted({41, 42} - recorded), sorted(recorded)
        return f"{_MARKS[missing]} is missing beside {_MARKS[present]}"
    if ledger.has_sync_table and not recorded and ledger.numbered_rows:
        return (f"{plural(ledger.numbered_rows, 'sync record was', 'sync records were')} numbered by EndNote Web, "
                "but the last-sync time and number (misc 6/41, 6/42) are missing")
    return None


class SyncLedgerProbe:
    name = "sync-ledger"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        ledger = snapshot.ledger
        if ledger is None:
            return
        if gone := _ledger_gap(ledger):
            yield Finding(self.name, "sync.ledger-incomplete", Severity.WARNING,
                          f"The library's sync ledger is incomplete: {gone}. endnoted cannot tell what was "
                          "sent to EndNote Web. Make a backup (endnoted backup), then open the library in "
                          "EndNote and press Sync; if EndNote reports an error, see its Sync Status.",
                          verdict=State.UNKNOWN, reason=f"The sync ledger is incomplete: {gone}",
                          action="Make a backup (endnoted backup), then open the library in EndNote and press "
                                 "Sync; if EndNote reports an error, see its Sync Status.")
            return
        if not ledger.has_sync_table:
            yield Finding(self.name, "sync.not-configured", Severity.INFO,
                          "This library has never been synced with EndNote Web; to sync it, use "
                          "EndNote's Preferences → Sync.", verdict=State.NOT_SYNCED,
                          reason="This library is not synced with EndNote Web", action=NEVER_SYNCED)
            return
        if not ledger.configured:
            yield Finding(self.name, "sync.never-completed", Severity.WARNING,
                          "Sync was set up but never completed (no last-sync time): " + SYNC_NOW
                          + " If it fails, check the account in Preferences → Sync.", verdict=State.NOT_SYNCED,
                          reason="This library is not synced with EndNote Web: sync was set up but never completed",
                          action=SYNC_NOW + " If it fails, check the account in Preferences → Sync.")
            return
        if snapshot.bad_values or ledger.last_sync is None:
            return   # the ledger holds values EndNote never writes: library.odd-values says which
        last_sync = ledger.last_sync.timestamp()
        if ledger.missed:
            refs, more = references_named(snapshot, snapshot.missed_ids)
            action = (f'Run: endnoted reset "{snapshot.library.path}" (it makes and proves a backup first): a '
                      "normal sync does not send references the ledger marks as sent.")
            yield Finding(self.name, "sync.missed-references", Severity.ERROR,
                          f"{plural(ledger.missed, 'reference was', 'references were')} in the library before the last sync but were never "
                          "sent: EndNote Web lacks them. A normal sync will not send them; run "
                          f'endnoted reset "{snapshot.library.path}".', ledger.missed, verdict=State.DIVERGED,
                          reason=f"{plural(ledger.missed, 'reference was', 'references were')} in the library "
                                 "before the last sync but never sent, so EndNote Web lacks them",
                          action=action, references=refs, more=more)
        yield from self._waiting(snapshot, context, last_sync)
        if ledger.max_usn is not None and ledger.last_usn is not None and ledger.max_usn != ledger.last_usn:
            yield Finding(self.name, "sync.usn-mismatch", Severity.WARNING,
                          f"The sync ledger disagrees with itself (highest object USN {ledger.max_usn}, last "
                          f"sync USN {ledger.last_usn}): a sync was interrupted. " + SYNC_NOW)
        if ledger.orphan_rows:
            yield Finding(self.name, "sync.orphan-rows", Severity.INFO,
                          f"{plural(ledger.orphan_rows, 'sync record points', 'sync records point')} at objects that no longer exist in the library; "
                          "usually harmless leftovers of deleted groups. Nothing to do unless sync reports errors.",
                          ledger.orphan_rows)
        if snapshot.unsynced_groups:
            yield Finding(self.name, "sync.unsynced-groups", Severity.INFO,
                          f"{plural(snapshot.unsynced_groups, 'group has', 'groups have')} no sync record yet: " + SYNC_NOW,
                          snapshot.unsynced_groups)
        age = (context.now - ledger.last_sync).total_seconds()
        if age > context.stale_after_seconds:
            yield Finding(self.name, "sync.overdue", Severity.INFO,
                          f"The last sync was {duration(age)} ago; Sync Automatically runs every 15 minutes "
                          "while EndNote is open. Check it is on in Preferences → Sync.")

    def _waiting(self, snapshot: Snapshot, context: Context, last_sync: float) -> Iterator[Finding]:
        """Work done since the last sync, each reference once; its age decides pending or stale."""
        ledger = snapshot.ledger
        assert ledger is not None and ledger.last_sync is not None
        fresh_ids = snapshot.unsynced_ids - snapshot.missed_ids
        previous = context.previous
        # Pending at the daemon's last reading, a sync since, and still pending: it survived that sync.
        survived = (previous.pending_ids & snapshot.pending_ids) - snapshot.stuck_ids \
            if previous is not None and previous.last_sync is not None and ledger.last_sync > previous.last_sync \
            else frozenset()
        stuck_ids = snapshot.stuck_ids | survived
        stuck_rows = snapshot.stuck_rows + len(survived)
        pending = ledger.pending - stuck_rows
        unsent_files = sum(1 for item in snapshot.attachments if not item.synced)
        unnumbered = snapshot.unnumbered_rows
        # When did the oldest waiting change happen? Reference times where EndNote keeps them.
        # Raw rows (id, …, added, updated), not Reference records: building 100k records for a few
        # times cost more than this whole probe (benchmarks/bench_real.py).
        times = [row[6] for row in snapshot.rows if row[0] in fresh_ids and row[6]] if fresh_ids else []
        times += [row[7] or 0 for row in snapshot.rows if row[0] in snapshot.edited_ids] if snapshot.edited_ids else []
        if pending and snapshot.pending_since:
            times.append(snapshot.pending_since)
        if pending and not snapshot.pending_since or unsent_files or unnumbered:
            times.append(int(last_sync))  # no time of its own: it waits at least since the last sync
        if stuck_rows:
            # A change that survived the last sync waits too, and longest: "oldest" must count it.
            times.append(snapshot.stuck_since or int(last_sync))
        parts = []
        if fresh_ids:
            parts.append(plural(len(fresh_ids), "new reference", "new references"))
        if snapshot.edited_ids:
            parts.append(plural(len(snapshot.edited_ids), "edited reference", "edited references"))
        if pending:
            parts.append(plural(pending, "change (edit, trash move or attachment)",
                                 "changes (edits, trash moves, attachments)"))
        if unsent_files:
            parts.append(plural(unsent_files, "attachment", "attachments"))
        if unnumbered:
            parts.append(plural(unnumbered, "sync record never sent", "sync records never sent"))
        oldest = min(times) if times else None
        waited = 0.0 if oldest is None else (context.now.timestamp() - oldest)
        stale = waited > context.stale_after_seconds
        since = duration((context.now - ledger.last_sync).total_seconds())
        reason, state, action = "", State.PENDING, ""
        if parts:
            what = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
            one = len(parts) == 1 and parts[0].startswith("1 ")
            what += " waits" if one else " wait"
            if stale:
                oldest_at = datetime.fromtimestamp(oldest or last_sync, context.now.tzinfo)
                reason = (f"{what} to be sent; the oldest unsent change dates from {oldest_at:%Y-%m-%d} and the "
                          f"last sync was {since} ago: sync has stopped")
                state, action = State.STALE, STOPPED
            else:
                reason = f"{what} to be sent; the last sync was {since} ago"
                state, action = State.PENDING, "Nothing to do: EndNote sends them at its next sync (or press Sync now)."
        if fresh_ids:
            refs, more = references_named(snapshot, fresh_ids)
            yield Finding(self.name, "sync.unsynced-references", Severity.WARNING,
                          f"{plural(len(fresh_ids), 'reference was', 'references were')} added since the last sync "
                          f"and {'is' if len(fresh_ids) == 1 else 'are'} not on EndNote Web "
                          "yet: " + SYNC_NOW, len(fresh_ids), verdict=state, reason=reason, action=action,
                          references=refs, more=more)
        if pending:
            refs, more = references_named(snapshot, snapshot.pending_ids - stuck_ids)
            yield Finding(self.name, "sync.pending-uploads", Severity.WARNING,
                          f"{plural(pending, 'change (edit, trash move or attachment) waits', 'changes (edits, trash moves, attachments) wait')} "
                          "to be sent: " + SYNC_NOW,
                          pending, verdict=state, reason=reason, action=action, references=refs, more=more)
        if snapshot.edited_ids:
            refs, more = references_named(snapshot, snapshot.edited_ids)
            count = len(snapshot.edited_ids)
            yield Finding(self.name, "sync.edited-after-sync", Severity.INFO,
                          f"{plural(count, 'reference was', 'references were')} edited after the last sync: " + SYNC_NOW, count,
                          verdict=state, reason=reason, action=action, references=refs, more=more)
        if unsent_files:
            yield Finding(self.name, "sync.unsynced-attachments", Severity.INFO,
                          f"{plural(unsent_files, 'attachment has', 'attachments have')} no sync record yet: " + SYNC_NOW, unsent_files,
                          verdict=state, reason=reason, action=action)
        if unnumbered:
            yield Finding(self.name, "sync.unsent-records", Severity.INFO,
                          f"{plural(unnumbered, 'sync record has', 'sync records have')} no server number (USN 0): EndNote made "
                          f"{'it' if unnumbered == 1 else 'them'} but never sent {'it' if unnumbered == 1 else 'them'}. " + SYNC_NOW, unnumbered, verdict=state, reason=reason, action=action)
        if stuck_rows:
            refs, more = references_named(snapshot, stuck_ids)
            yield Finding(self.name, "sync.stuck", Severity.WARNING,
                          f"{plural(stuck_rows, 'change was', 'changes were')} already waiting before "
                          f"the last sync and that sync did not send {'it' if stuck_rows == 1 else 'them'}: a sync conflict or a stuck item, which pressing Sync alone does not "
                          "clear. " + CONFLICTS, stuck_rows, verdict=State.STALE,
                          reason=f"{plural(stuck_rows, 'change', 'changes')} survived the last sync "
                                 "without being sent (a conflict or a stuck item)",
                          action=CONFLICTS, references=refs, more=more)
        if not parts and not stuck_rows and not ledger.missed:
            yield Finding(self.name, "sync.all-sent", Severity.INFO,
                          f"Everything in the library was sent to EndNote Web at the last sync ({since} ago).",
                          verdict=State.IN_SYNC,
                          reason="Everything in the library has been sent to EndNote Web at the last sync",
                          action="Nothing to do.")
