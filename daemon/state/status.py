"""What `endnoted status` shows: the daemon's health, whether its alerts reach the user, a reset under
way, and the last known state of every library, from the store.

`Status.to_json` is the one place the shape of `status --json` is made; the text is rendered in
`cli/render.py` from the same typed record.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from endnoted.common.timefmt import iso_z
from endnoted.state.records import Heartbeat, LibraryRow, ResetRun
from endnoted.state.store import Store

logger = logging.getLogger(__name__)
STALE_HEARTBEAT_SECONDS = 120
# How old the daemon's record of EndNote's processes may be for `status` to show it instead of scanning
# (the daemon looks at every heartbeat, runner.HEARTBEAT_SECONDS = 5 s).
ENDNOTE_SEEN_SECONDS = 15
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


def _linux_started(pid: int) -> float | None:
    """The start time of `pid` (seconds since the epoch) as psutil computes it on Linux, from /proc; None: no process.

    Linux only: reading /proc spares `status` importing psutil (about 14 ms, benchmarks/bench_startup.py).
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        with open("/proc/stat", "rb") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith(b"btime "))
    except FileNotFoundError:
        return None
    # Field 22 (starttime, in clock ticks since boot) counts after the name, which may hold spaces: split after ")".
    ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _psutil_started(pid: int) -> float | None:
    """The start time of `pid` (seconds since the epoch); None: no process. PermissionError: not ours to see."""
    import psutil  # here, not at the top: ~14 ms of every `status` on Linux, where /proc answers (issue 16)
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied as error:
        raise PermissionError(str(error)) from error


def process_started(pid: int) -> float | None:
    """Given a pid, return when its process started (seconds since the epoch), or None if there is none.

    Raise PermissionError when the process exists but is not ours to look at.
    """
    if sys.platform.startswith("linux"):
        return _linux_started(pid)
    return _psutil_started(pid)


def daemon_health(beat: Heartbeat | None, now: datetime | None = None) -> DaemonHealth:
    """Given the daemon's last heartbeat (None: it never ran), say whether it is alive."""
    if beat is None:
        return DaemonHealth(False, "the daemon has never run", None)
    now = now or datetime.now(UTC)
    if beat.stopped_at is not None:
        return DaemonHealth(False, f"stopped cleanly at {iso_z(beat.stopped_at)}", beat)
    try:
        started = process_started(beat.pid)
        if started is None:
            return DaemonHealth(False, "its process is gone (it crashed or was killed)", beat)
        # A reused pid belongs to a process that started after our daemon did.
        if beat.started_at and started > beat.started_at.timestamp() + 2:
            return DaemonHealth(False, "its process is gone (the pid now belongs to another program)", beat)
    except PermissionError:
        pass
    if beat.beat_at and (now - beat.beat_at).total_seconds() > STALE_HEARTBEAT_SECONDS:
        return DaemonHealth(False, f"no heartbeat since {iso_z(beat.beat_at)} (hung?)", beat)
    return DaemonHealth(True, "", beat)


def scan_endnote() -> list[Mapping[str, Any]]:
    """The EndNote processes of this user running now (EndNoteProcess.to_json each), scanned."""
    # Imported here, not at the top: psutil takes ~14 ms to import (python -X importtime) and the scan
    # ~13 ms, which `status` spends only when the daemon's record will not do (endnote_seen).
    from endnoted.reading.endnote_proc import find_endnote
    return [process.to_json() for process in find_endnote()]


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
    if not health.running or beat is None or beat.endnote is None or beat.endnote_at is None:
        return None
    age = ((now or datetime.now(UTC)) - beat.endnote_at).total_seconds()
    return beat.endnote if -ENDNOTE_SEEN_SECONDS <= age <= ENDNOTE_SEEN_SECONDS else None


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


def status(store: Store | None, path: str | None,
           endnote: Sequence[Mapping[str, Any]] | Callable[[], Sequence[Mapping[str, Any]]]) -> Status:
    """Given the store (None: there is none yet), one library's path or None for all, and the EndNote
    processes running now (EndNoteProcess.to_json each), return what `status` shows.

    `endnote` may instead be a function that scans for them: then, while the daemon lives, they are
    those it saw at its last heartbeat (at most ENDNOTE_SEEN_SECONDS old), and only otherwise scanned.
    """
    health = daemon_health(None if store is None else store.heartbeat())
    if callable(endnote):
        seen = endnote_seen(health)
        endnote = endnote() if seen is None else seen
    if store is None:
        return Status(health, endnote, [], [])
    rows = [row for row in store.libraries() if row.report is not None and (path is None or row.path == path)]
    resets = [run for run in store.open_resets() if path is None or path in (run.library, run.target)]
    return Status(health, endnote, rows, resets)
