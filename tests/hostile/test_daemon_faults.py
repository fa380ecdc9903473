"""Hostile conditions for the daemon: SIGTERM in the middle of a pass over 50 libraries, a FIFO for a database.

The daemon runs as a real process (`endnoted run --no-scan`) on real libraries; the test reads its
state file read-only to know where it is, and signals it like a service manager would.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.hostile.common import Untouched

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX signals and FIFOs")
STOP_BOUND_SECONDS = 2.0


def _readings(state_db: Path) -> int:
    if not state_db.exists():
        return 0
    try:
        with sqlite3.connect(f"{state_db.as_uri()}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(DISTINCT path) FROM snapshots").fetchone()[0])
    except sqlite3.Error:
        return 0


def _start(libraries: list[Path]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", *map(str, libraries)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_sigterm_during_a_pass_over_50_libraries_stops_within_2_s(tmp_path: Path) -> None:
    libraries = [build(tmp_path / "libs" / f"lib{n:02d}", LibrarySpec(refs=synthetic_refs(400, seed=n),
                                                             last_sync=days_ago(0.1)), seed=n)
                 for n in range(50)]
    state_db = Path(os.environ["ENDNOTED_STATE_DIR"]) / "state.db"
    untouched = Untouched(tmp_path / "libs")
    daemon = _start(libraries)
    try:
        assert _wait(lambda: _readings(state_db) >= 3, 60), "the daemon never began its pass"
        in_pass = _readings(state_db)
        signalled = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    stderr = daemon.stderr.read() if daemon.stderr else ""
    assert in_pass < 50, "the pass ended before the signal: this test did not test a pass"
    assert code == 0, stderr
    print(f"SIGTERM during a pass over 50 libraries: stopped in {took:.2f} s ({in_pass} read)")
    assert took < STOP_BOUND_SECONDS, f"SIGTERM took {took:.2f} s"
    assert "closed database" not in stderr and "Traceback" not in stderr
    assert "daemon-stopped" in _events(state_db)
    untouched.check()


def _events(state_db: Path) -> set[str]:
    with sqlite3.connect(f"{state_db.as_uri()}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT kind FROM events")}


def test_a_fifo_database_never_hangs_the_daemon_and_sigterm_stops_it(tmp_path: Path) -> None:
    fifo_lib = build(tmp_path / "fifo", LibrarySpec(refs=synthetic_refs(5), last_sync=days_ago(0.1)))
    database = fifo_lib.with_suffix(".Data") / "sdb" / "sdb.eni"
    database.unlink()
    os.mkfifo(database)
    good = build(tmp_path / "good", LibrarySpec(name="Good", refs=synthetic_refs(5), last_sync=days_ago(0.1)))
    state_db = Path(os.environ["ENDNOTED_STATE_DIR"]) / "state.db"
    daemon = _start([fifo_lib, good])
    try:
        assert _wait(lambda: _readings(state_db) >= 2, 60), "a library was never checked"
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    with sqlite3.connect(f"{state_db.as_uri()}?mode=ro", uri=True) as db:
        verdicts = dict(db.execute("SELECT name, verdict FROM libraries").fetchall())
    assert verdicts == {"My EndNote Library": "damaged", "Good": "in-sync"}


def test_the_daemon_starts_on_a_damaged_state_file_moving_it_aside_once(tmp_path: Path) -> None:
    state_db = Path(os.environ["ENDNOTED_STATE_DIR"]) / "state.db"
    state_db.parent.mkdir(parents=True)
    state_db.write_bytes(b"not a state database\n" * 300)
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(5), last_sync=days_ago(0.1)))
    daemon = _start([enl])
    try:
        assert _wait(lambda: _readings(state_db) >= 1, 60), "the daemon refused to run on a damaged state file"
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    stderr = daemon.stderr.read() if daemon.stderr else ""
    assert "Traceback" not in stderr   # the daemon logs to its log file; the event says it once
    assert len(list(state_db.parent.glob("state.db.damaged-*"))) == 1
    with sqlite3.connect(f"{state_db.as_uri()}?mode=ro", uri=True) as db:
        resets = db.execute("SELECT count(*) FROM events WHERE kind = 'state-reset'").fetchone()[0]
    assert resets == 1
