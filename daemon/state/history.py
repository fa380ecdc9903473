"""The timeline behind `endnoted history`: answers "when did my references disappear?"."""

from __future__ import annotations

from typing import Any

from endnoted.state.store import Store


def timeline(store: Store, path: str | None = None) -> list[dict[str, Any]]:
    """Given the store, return syncs, verdict changes, events and notifications in time order."""
    entries: list[dict[str, Any]] = []
    for row in store.sync_events(path):
        entries.append({"at": row["seen_at"], "path": row["path"], "kind": "sync",
                        "detail": f"last sync {row['last_sync_before'] or 'never'} → {row['last_sync_after']}; "
                                  f"USN {row['usn_before']} → {row['usn_after']}; pending {row['pending_before']} → "
                                  f"{row['pending_after']}; references {row['references_before']} → "
                                  f"{row['references_after']}", **{k: row[k] for k in (
                                      "last_sync_before", "last_sync_after", "usn_before", "usn_after",
                                      "pending_before", "pending_after", "references_before", "references_after")}})
    previous: dict[str, str] = {}
    for row in reversed(store.snapshots(path, limit=100000)):
        if previous.get(row["path"]) != row["verdict"]:
            entries.append({"at": row["taken_at"], "path": row["path"], "kind": "verdict",
                            "detail": f"{previous.get(row['path'], 'first reading')} → {row['verdict']} "
                                      f"({row['references']} references)", "verdict": row["verdict"]})
            previous[row["path"]] = row["verdict"]
    for row in store.events(path, limit=100000):
        if row["path"]:
            entries.append({"at": row["at"], "path": row["path"], "kind": row["kind"], "detail": row["detail"]})
    for row in store.notifications(path):
        entries.append({"at": row["at"], "path": row["path"], "kind": "notification",
                        "detail": f"{row['title']} ({_delivery(row)})"})
    return sorted(entries, key=lambda entry: entry["at"])


def _delivery(row: dict[str, Any]) -> str:
    # Newer rows say `not-shown (why)` or `unknown (why)` themselves; older ones hold only the why.
    error = row["error"] or ""
    if row["delivered"]:
        return "shown"
    return error if error.startswith(("not-shown", "unknown")) else f"not shown: {error}"
