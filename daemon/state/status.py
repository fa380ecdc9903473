"""What `endnoted status` shows: the daemon's health, whether its alerts reach the user, a reset under
way, and the last known state of every library, from the store.

`Status.to_json` is the one place the shape of `status --json` is made; the text is rendered in
`cli/render.py` from the same typed record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psutil

from endnoted.common.timefmt import iso_z
from endnoted.state.records import Heartbeat, LibraryRow, ResetRun
from endnoted.state.store import Store

STALE_HEARTBEAT_SECONDS = 120
FIRST_RUN = ("the daemon has never run, so nothing is known yet. Check a library now with: endnoted check PATH; "
             "to watch your libraries from now on: endnoted service install (or endnoted run in a terminal)")


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
    """Given the daemon's last heartbeat (None: it never ran), say whether it is alive."""
    if beat is None:
        return DaemonHealth(False, "the daemon has never run", None)
    now = now or datetime.now(UTC)
    if beat.stopped_at is not None:
        return DaemonHealth(False, f"stopped cleanly at {iso_z(beat.stopped_at)}", beat)
    try:
        process = psutil.Process(beat.pid)
        # A reused pid belongs to a process that started after our daemon did.
        if beat.started_at and process.create_time() > beat.started_at.timestamp() + 2:
            return DaemonHealth(False, "its process is gone (the pid now belongs to another program)", beat)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return DaemonHealth(False, "its process is gone (it crashed or was killed)", beat)
    except psutil.AccessDenied:
        pass
    if beat.beat_at and (now - beat.beat_at).total_seconds() > STALE_HEARTBEAT_SECONDS:
        return DaemonHealth(False, f"no heartbeat since {iso_z(beat.beat_at)} (hung?)", beat)
    return DaemonHealth(True, "", beat)


@dataclass(frozen=True)
class Status:
    daemon: DaemonHealth
    endnote: Sequence[Mapping[str, Any]]     # EndNoteProcess.to_json each
    libraries: Sequence[LibraryRow]          # only those with a stored report
    resets: Sequence[ResetRun]

    @property
    def first_run(self) -> bool:
        return self.daemon.beat is None

    def to_json(self) -> dict[str, Any]:
        libraries = []
        for row in self.libraries:
            assert row.report is not None
            libraries.append({**row.report.to_json(), "last_checked": iso_z(row.last_checked),
                              "alert": row.alert_state})
        return {"schema": 1, "daemon": self.daemon.to_json(),
                "endnote": {"running": bool(self.endnote), "processes": [dict(p) for p in self.endnote]},
                "libraries": libraries, "resets": [run.to_json() for run in self.resets],
                "next_step": FIRST_RUN if self.first_run else None}


def status(store: Store | None, path: str | None, endnote: Sequence[Mapping[str, Any]]) -> Status:
    """Given the store (None: there is none yet), one library's path or None for all, and the EndNote
    processes running now, return what `status` shows."""
    if store is None:
        return Status(daemon_health(None), endnote, [], [])
    rows = [row for row in store.libraries() if row.report is not None and (path is None or row.path == path)]
    resets = [run for run in store.open_resets() if path is None or path in (run.library, run.target)]
    return Status(daemon_health(store.heartbeat()), endnote, rows, resets)
