"""The daemon's read-side commands (`status PATH`, `history PATH`) against what a real daemon recorded."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from endnoted.common import paths
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.state.store import Store


def _one_pass(enl: Path) -> None:
    """Run the real daemon on one library until it has stored a reading, then stop it cleanly."""
    daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (paths.state_db().exists() and _checked(enl)):
            assert time.monotonic() < deadline, "no reading within 60 s"
            time.sleep(0.1)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        daemon.kill()
        daemon.wait()


def _checked(enl: Path) -> bool:
    try:
        with Store(paths.state_db(), readonly=True) as store:
            return store.library(str(enl)) is not None
    except Exception:   # not made yet, or mid-migration
        return False


def _endnoted(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "endnoted", *args], capture_output=True, text=True, timeout=60)


def test_status_and_history_of_a_library_the_daemon_does_not_watch_say_so(tmp_path: Path) -> None:
    watched = build(tmp_path / "watched", LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(0.1))).resolve()
    other = build(tmp_path / "other", LibrarySpec(refs=synthetic_refs(2), last_sync=days_ago(0.1))).resolve()
    _one_pass(watched)
    said = f'Error: {other} is not watched by endnoted: endnoted check "{other}", or add it to `libraries` in the config'
    for command in ("status", "history"):
        outcome = _endnoted(command, str(other))
        assert (outcome.returncode, outcome.stdout, outcome.stderr) == (2, "", said + "\n"), outcome
        as_json = _endnoted(command, "--json", str(other))
        assert as_json.returncode == 2 and as_json.stderr == said + "\n"
        assert json.loads(as_json.stdout)["error"] == {"message": said.removeprefix("Error: "), "exit": 2}
    # The watched one is shown as before: the last reading (exit 5: the daemon has stopped).
    shown = _endnoted("status", str(watched))
    assert shown.returncode == 5 and watched.stem in shown.stdout and shown.stderr == ""
    history = _endnoted("history", str(watched))
    assert history.returncode == 0 and "Nothing recorded yet" not in history.stdout


def test_status_after_a_clean_stop_gives_the_time_as_every_other_time_is_given(tmp_path: Path) -> None:
    import re
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(0.1))).resolve()
    _one_pass(enl)
    shown = _endnoted("status")
    assert shown.returncode == 5
    [line] = [line for line in shown.stdout.splitlines() if "stopped cleanly" in line]
    # The people form (timefmt.when): local time to the minute, its offset, and the age.
    assert re.search(r"stopped cleanly at \d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d \((?:[^()]*ago|just now)\)\.", line), line
    assert not re.search(r"\d\d:\d\d:\d\d", line), line
    stopped = json.loads(_endnoted("status", "--json").stdout)["daemon"]["why"]
    assert re.fullmatch(r"stopped cleanly at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stopped)   # machines: ISO
