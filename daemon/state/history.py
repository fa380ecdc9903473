"""The timeline behind `endnoted history`: answers "when did my references disappear?".

`Entry.to_json` is the one place an entry's JSON shape is made; the text is rendered in `cli/render.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from endnoted.common.timefmt import iso_z
from endnoted.common.words import plural
from endnoted.state.store import Store


@dataclass(frozen=True)
class Entry:
    at: datetime
    path: str
    kind: str      # sync, verdict, notification, or an event kind (library-gone, alert-held-back, ...)
    detail: str
    extra: Mapping[str, Any] = field(default_factory=dict)   # the kind's own fields, for --json

    def to_json(self) -> dict[str, Any]:
        return {"at": iso_z(self.at), "path": self.path, "kind": self.kind, "detail": self.detail, **self.extra}


def _or_never(moment: datetime | None) -> str:
    return iso_z(moment) if moment else "never"


def timeline(store: Store, path: str | None = None) -> list[Entry]:
    """Given the store, return syncs, verdict changes, events and notifications in time order."""
    entries: list[Entry] = []
    for sync in store.sync_events(path):
        extra = {"last_sync_before": iso_z(sync.last_sync_before), "last_sync_after": iso_z(sync.last_sync_after),
                 "usn_before": sync.usn_before, "usn_after": sync.usn_after, "pending_before": sync.pending_before,
                 "pending_after": sync.pending_after, "references_before": sync.references_before,
                 "references_after": sync.references_after}
        entries.append(Entry(sync.seen_at, sync.path, "sync",
                             f"last sync {_or_never(sync.last_sync_before)} → {_or_never(sync.last_sync_after)}; "
                             f"USN {sync.usn_before} → {sync.usn_after}; pending {sync.pending_before} → "
                             f"{sync.pending_after}; references {sync.references_before} → {sync.references_after}",
                             extra))
    previous: dict[str, str] = {}
    for snapshot in reversed(store.snapshots(path, limit=100000)):
        verdict = snapshot.verdict.value
        if previous.get(snapshot.path) != verdict:
            entries.append(Entry(snapshot.taken_at, snapshot.path, "verdict",
                                 f"{previous.get(snapshot.path, 'first reading')} → {verdict} "
                                 f"({plural(snapshot.references or 0, 'reference')})", {"verdict": verdict}))
            previous[snapshot.path] = verdict
    for event in store.events(path, limit=100000):
        if event.path:
            entries.append(Entry(event.at, event.path, event.kind, event.detail))
    for note in store.notifications(path):
        entries.append(Entry(note.at, note.path, "notification",
                             f"{note.title} ({note.outcome})"))
    return sorted(entries, key=lambda entry: entry.at)
