"""What `endnoted status` shows: the daemon's health and the last known state of every library, from the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import psutil

from endnoted.common.timefmt import parse_iso
from endnoted.reading.endnote_proc import find_endnote
from endnoted.state.store import Store

STALE_HEARTBEAT_SECONDS = 120


def daemon_health(store: Store | None) -> dict[str, Any]:
    """Given the store (None: there is none yet), say whether its daemon is alive: pid, start time, beats."""
    beat = store.heartbeat() if store is not None else None
    if beat is None:
        return {"running": False, "pid": None, "started_at": None, "last_heartbeat": None, "version": None,
                "why": "the daemon has never run"}
    running, why = True, ""
    started = parse_iso(beat["started_at"])
    if beat.get("stopped_at"):
        running, why = False, f"stopped cleanly at {beat['stopped_at']}"
    else:
        try:
            process = psutil.Process(beat["pid"])
            # A reused pid belongs to a process that started after our daemon did.
            if started and process.create_time() > started.timestamp() + 2:
                running, why = False, "its process is gone (the pid now belongs to another program)"
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            running, why = False, "its process is gone (it crashed or was killed)"
        except psutil.AccessDenied:
            pass
        last = parse_iso(beat["beat_at"])
        if running and last and (datetime.now(UTC) - last).total_seconds() > STALE_HEARTBEAT_SECONDS:
            running, why = False, f"no heartbeat since {beat['beat_at']} (hung?)"
    return {"running": running, "pid": beat["pid"], "started_at": beat["started_at"],
            "last_heartbeat": beat["beat_at"], "version": beat["version"], "why": why}


def status_data(store: Store | None, path: str | None = None) -> dict[str, Any]:
    libraries = []
    for row in store.libraries() if store is not None else []:
        if path and row["path"] != path or not row.get("report"):
            continue
        report = json.loads(row["report"])
        report["last_checked"] = row["last_checked"]
        report["alert"] = row.get("alert_state")
        libraries.append(report)
    endnote = [process.to_json() for process in find_endnote()]
    return {"schema": 1, "daemon": daemon_health(store), "endnote": {"running": bool(endnote), "processes": endnote},
            "libraries": libraries}
