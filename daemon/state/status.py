"""What `endnoted status` shows: the daemon's health, whether its alerts reach the user, a reset under
way, and the last known state of every library, from the store.

What to show is decided once, over the state file's plain rows, in `glance.py`; here the same view is
typed (`from_view`). `Status.to_json` is the one place the shape of `status --json` is made; the text is
rendered from the plain view (`cli/status_text.py`), so the lean `status` needs none of these records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from endnoted.common.timefmt import iso_z
from endnoted.state.glance import (
    ENDNOTE_SEEN_SECONDS,
    NEVER_RAN,
    STALE_HEARTBEAT_SECONDS,
    daemon_state,
    endnote_fresh,
    process_started,
    scan_endnote,
    view,
)
from endnoted.state.records import Heartbeat, LibraryRow, ResetRun
from endnoted.state.store import Store

logger = logging.getLogger(__name__)
FIRST_RUN = ("the daemon has never run, so nothing is known yet. Check a library now with: endnoted check PATH; "
             "to watch your libraries from now on: endnoted service install (or endnoted run in a terminal)")
__all__ = ["ENDNOTE_SEEN_SECONDS", "STALE_HEARTBEAT_SECONDS", "DaemonHealth", "Status", "daemon_health",
           "endnote_for_heartbeat", "endnote_seen", "from_view", "process_started", "scan_endnote", "status"]


@dataclass(frozen=True)
class DaemonHealth:
    running: bool
    why: str
    beat: Heartbeat | None

    def to_json(self) -> dict[str, Any]:
        beat = self.beat
        alerts: dict[str, Any] = {
            "can_reach_user": None if beat is None else beat.notifier_ready,
            "backend": None if beat is None else beat.notifier,
            "why": "" if beat is None else beat.notifier_why}
        return {"running": self.running, "pid": beat.pid if beat else None,
                "started_at": iso_z(beat.started_at) if beat else None,
                "last_heartbeat": iso_z(beat.beat_at) if beat else None,
                "version": beat.version if beat else None, "why": self.why, "alerts": alerts}


def daemon_health(beat: Heartbeat | None, now: datetime | None = None) -> DaemonHealth:
    """Given the daemon's last heartbeat (None: it never ran), say whether it is alive (glance.daemon_state)."""
    if beat is None:
        return DaemonHealth(False, NEVER_RAN, None)
    running, why = daemon_state(beat.pid, beat.started_at, beat.beat_at, beat.stopped_at, now)
    return DaemonHealth(running, why, beat)


def endnote_for_heartbeat() -> list[Mapping[str, Any]] | None:
    """What the daemon records at each heartbeat: scan_endnote(), or None (`status` then scans) if that fails."""
    try:
        return scan_endnote()
    except Exception as error:  # a side channel: never sinks the daemon's heartbeat
        logger.warning("cannot look for EndNote's processes: %s", error)
        return None


def endnote_seen(health: DaemonHealth, now: datetime | None = None) -> Sequence[Mapping[str, Any]] | None:
    """The EndNote processes the live daemon saw at most ENDNOTE_SEEN_SECONDS ago; None: scan instead."""
    beat = health.beat
    if beat is None or beat.endnote is None or not endnote_fresh(health.running, beat.endnote_at, now):
        return None
    return beat.endnote


@dataclass(frozen=True)
class Status:
    daemon: DaemonHealth
    endnote: Sequence[Mapping[str, Any]]     # EndNoteProcess.to_json each
    libraries: Sequence[LibraryRow]          # only those with a stored report
    resets: Sequence[ResetRun]
    # The live daemon's watch set (library paths, glance.watch_set); None: no current one to compare with.
    watching: Sequence[str] | None = None

    @property
    def first_run(self) -> bool:
        return self.daemon.beat is None

    def to_json(self) -> dict[str, Any]:
        libraries = []
        for row in self.libraries:
            assert row.report is not None
            watched = None if self.watching is None else row.path in self.watching
            libraries.append({**row.report.to_json(), "last_checked": iso_z(row.last_checked),
                              "alert": row.alert_state, "watched": watched})
        return {"schema": 1, "daemon": {**self.daemon.to_json(), "watching": self.watching},
                "endnote": {"running": bool(self.endnote), "processes": [dict(p) for p in self.endnote]},
                "libraries": libraries, "resets": [run.to_json() for run in self.resets],
                "next_step": FIRST_RUN if self.first_run else None}


def from_view(data: Mapping[str, Any]) -> Status:
    """Given what glance.view decided, the same typed: the records `status --json` and the page are made of."""
    beat = None if data["beat"] is None else Heartbeat.from_row(data["beat"])
    return Status(DaemonHealth(data["running"], data["why"], beat), data["endnote"],
                  [LibraryRow.from_row(library["row"]) for library in data["libraries"]],
                  [ResetRun.from_row(run) for run in data["resets"]], data.get("watching"))


def status(store: Store | None, path: str | None,
           endnote: Sequence[Mapping[str, Any]] | Callable[[], Sequence[Mapping[str, Any]]]) -> Status:
    """Given the store (None: there is none yet), one library's path or None for all, and the EndNote
    processes running now (EndNoteProcess.to_json each), return what `status` shows (glance.view, typed).

    `endnote` may instead be a function that scans for them: then, while the daemon lives, they are
    those it saw at its last heartbeat (at most ENDNOTE_SEEN_SECONDS old), and only otherwise scanned.
    """
    return from_view(view(None if store is None else store.read, path, endnote, None if store is None else store.path))
