"""What `endnoted status` decides, over the state file's plain rows: whether the daemon lives, which EndNote
processes to show, which libraries and resets, and the exit status. One decision each: `status.py` types
the same view for `status --json`, the web page and the support bundle; `cli/status_text.py` renders it.

Plain dicts and functions, no dataclasses, typing, pathlib or logging: the lean `status` (cli/quick.py)
imports only this, `reader`, and the text (start-up time, issue 16 item 5; benchmarks/bench_startup.py).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

from endnoted.common.errors import ExitStatus
from endnoted.common.timefmt import iso_z, parse_iso
from endnoted.judging import ranks
from endnoted.state import reader

TYPE_CHECKING = False
if TYPE_CHECKING:   # annotations only: typing costs `status` an import (start-up time)
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    Rows = Callable[[str], list[dict[str, Any]]]
    Processes = Sequence[Mapping[str, Any]]

STALE_HEARTBEAT_SECONDS = 120
# How far in the future a heartbeat may be dated and still count (clocks a little apart, a beat written
# as the clock was set back a little); beyond it the clock disagrees, and that is no sign of life.
FUTURE_HEARTBEAT_SECONDS = 60
# How old the daemon's record of EndNote's processes may be for `status` to show it instead of scanning
# (the daemon looks at every heartbeat, runner.HEARTBEAT_SECONDS = 5 s).
ENDNOTE_SEEN_SECONDS = 15
NEVER_RAN = "the daemon has never run"


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
        return float(psutil.Process(pid).create_time())
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


def scan_endnote() -> list[Mapping[str, Any]]:
    """The EndNote processes of this user running now (EndNoteProcess.to_json each), scanned."""
    # Imported here, not at the top: psutil takes ~14 ms to import (python -X importtime) and the scan
    # ~13 ms, which `status` spends only when the daemon's record will not do (endnote_fresh).
    from endnoted.reading.endnote_proc import find_endnote
    return [process.to_json() for process in find_endnote()]


def daemon_state(pid: int, started_at: datetime | None, beat_at: datetime | None, stopped_at: datetime | None,
                 now: datetime | None = None) -> tuple[bool, str]:
    """Given the daemon's last heartbeat, return whether it is alive and, if not, why."""
    now = now or datetime.now(UTC)
    if stopped_at is not None:
        return False, f"stopped cleanly at {iso_z(stopped_at)}"
    try:
        started = process_started(pid)
        if started is None:
            return False, "its process is gone (it crashed or was killed)"
        # A reused pid belongs to a process that started after our daemon did.
        if started_at and started > started_at.timestamp() + 2:
            return False, "its process is gone (the pid now belongs to another program)"
    except PermissionError:
        pass
    if beat_at and (now - beat_at).total_seconds() > STALE_HEARTBEAT_SECONDS:
        return False, f"no heartbeat since {iso_z(beat_at)} (hung?)"
    if beat_at and (beat_at - now).total_seconds() > FUTURE_HEARTBEAT_SECONDS:
        # Not evidence of life now: the clock moved back since (or the file came from elsewhere).
        return False, (f"its last heartbeat is dated {iso_z(beat_at)}, in the future: this computer's clock "
                       "disagrees with the one that wrote it (fix the clock; a running daemon then beats again)")
    return True, ""


def endnote_fresh(running: bool, endnote_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether the live daemon's record of EndNote's processes, made at `endnote_at`, may be shown as is."""
    if not running or endnote_at is None:
        return False
    age = ((now or datetime.now(UTC)) - endnote_at).total_seconds()
    return -ENDNOTE_SEEN_SECONDS <= age <= ENDNOTE_SEEN_SECONDS


def watch_set(beat: Mapping[str, Any] | None, running: bool) -> list[str] | None:
    """Given the heartbeat row and whether its daemon is alive, the libraries it watches now (paths, sorted).

    None when there is no current watch set to compare with: no daemon runs (a stopped one watches
    nothing, and what it watched says nothing about now), or the live one has not recorded one (older
    than the `watching` column, or still looking for its libraries at start).
    """
    if beat is None or not running or beat.get("watching") is None:
        return None
    return sorted(json.loads(beat["watching"]))


def watching_now(state: str | os.PathLike[str]) -> list[str] | None:
    """The libraries the daemon running now watches (watch_set), from the state file at `state`; None: no
    daemon runs, it has recorded none, or the file cannot say (for `libraries` and `doctor`, which go on
    without it). A damaged heartbeat is a StateStoreError, as in `status`."""
    if reader.existing(state) is None:
        return None
    connection = reader.connect(state)
    try:
        beats = reader.rows(connection, state, reader.HEARTBEAT)
    finally:
        connection.close()
    if not beats:
        return None
    if (problem := reader.heartbeat_problem(beats[0])) is not None:
        raise reader.damaged_heartbeat(state, problem)
    beat = beats[0]
    running, _ = daemon_state(beat["pid"], parse_iso(beat["started_at"]), parse_iso(beat["beat_at"]),
                              parse_iso(beat["stopped_at"]))
    return watch_set(beat, running)


def view(rows: Rows | None, path: str | None, endnote: Processes | Callable[[], Processes],
         state: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Given a reader of the state file's rows (None: there is no state file yet), one library's path or None
    for all, and the EndNote processes running now (EndNoteProcess.to_json each), return what `status` shows:
    {"beat": the heartbeat row or None, "running", "why", "endnote": processes, "libraries": [{"row": library
    row, "report": its report, parsed, "watched": whether the live daemon watches it now, None: not known}],
    "watching": the live daemon's watch set (watch_set), "resets": reset rows}.

    `endnote` may instead be a function that scans for them: then, while the daemon lives, they are those it
    saw at its last heartbeat (at most ENDNOTE_SEEN_SECONDS old), and only otherwise scanned.

    `state` names the state file in what a damaged heartbeat says (a StateStoreError); a damaged library
    row is shown as unknown, saying so (reader.sound_library), and hides no other.
    """
    beats = [] if rows is None else rows(reader.HEARTBEAT)
    beat = beats[0] if beats else None
    if beat is not None and (problem := reader.heartbeat_problem(beat)) is not None:
        raise reader.damaged_heartbeat(state or "", problem)
    if beat is None:
        running, why = False, NEVER_RAN
    else:
        running, why = daemon_state(beat["pid"], parse_iso(beat["started_at"]), parse_iso(beat["beat_at"]),
                                    parse_iso(beat["stopped_at"]))
    if callable(endnote):
        seen = beat.get("endnote") if beat is not None else None
        fresh = seen is not None and endnote_fresh(running, parse_iso(beat.get("endnote_at") if beat else None))
        endnote = json.loads(seen) if fresh and seen is not None else endnote()
    now = iso_z(datetime.now(UTC))
    sound = [] if rows is None else [reader.sound_library(row, now) for row in rows(reader.LIBRARIES)]
    watching = watch_set(beat, running)
    watched = None if watching is None else frozenset(watching)
    libraries = [{"row": row, "report": json.loads(row["report"]),
                  "watched": None if watched is None else row["path"] in watched} for row in sound
                 if row.get("report") and (path is None or row["path"] == path)]
    resets = [] if rows is None else [
        run for run in rows(reader.OPEN_RESETS) if path is None or path in (run["library"], run.get("target"))]
    return {"beat": beat, "running": running, "why": why, "endnote": list(endnote), "libraries": libraries,
            "watching": watching, "resets": resets}


def exit_code(data: Mapping[str, Any]) -> int:
    """check's exit status while the daemon runs (README, "Exit codes"); NOT_RUNNING whenever it does not.

    A library the live daemon no longer watches (watched False) does not count: its verdict is an old one
    nobody keeps current. One it watches, or whose watching is not known (None), always counts.
    """
    if not data["running"]:
        return int(ExitStatus.NOT_RUNNING)
    return int(ranks.exit_status(library["report"]["verdict"] for library in data["libraries"]
                                 if library.get("watched") is not False))


def read(state: str | os.PathLike[str], path: str | None, endnote: Processes | Callable[[], Processes]) -> dict[str, Any]:
    """The view of the state file at `state` (read-only, plain sqlite3), or of none if there is none yet."""
    if reader.existing(state) is None:
        return view(None, path, endnote)
    connection = reader.connect(state)
    try:
        return view(lambda sql: reader.rows(connection, state, sql), path, endnote, state)
    finally:
        connection.close()
