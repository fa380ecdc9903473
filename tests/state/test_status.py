"""`endnoted status`: the daemon's health, whether alerts reach the user, a reset under way, what to do
before the first run; in text and in `--json` (fields only ever added)."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from endnoted.common import paths
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from endnoted.state.records import StoredReport
from endnoted.state.store import Store
from tests.conftest import run


def _watched(tmp_path: Path, *folders: str) -> list[Path]:
    """Libraries all named `My EndNote Library.enl`, one per folder, checked and stored as the daemon would."""
    found = []
    with Store(paths.state_db()) as store:
        # The heartbeat of a live process (this one): the store's own API, as the daemon writes it.
        store.beat(pid=os.getpid(), started_at=datetime.now(UTC).isoformat(), version="test")
        for folder in folders:
            refs = synthetic_refs(4)
            enl = build(tmp_path / folder, LibrarySpec(refs=refs, last_sync=days_ago(0.1))).resolve()
            store.record_pass(StoredReport.from_report(check_library(locate(enl)[0])))
            found.append(enl)
    return found


def test_before_the_first_run_status_says_what_to_do_instead() -> None:
    result = run("status")
    assert result.exit_code == 5
    assert "the state below" not in result.stdout and "endnoted status" not in result.stdout
    assert "endnoted check PATH" in result.stdout and "endnoted service install" in result.stdout
    data = json.loads(run("status", "--json").stdout)
    assert data["libraries"] == [] and data["resets"] == []
    assert "endnoted check PATH" in data["next_step"] and "endnoted service install" in data["next_step"]
    assert data["daemon"]["alerts"] == {"can_reach_user": None, "backend": None, "why": ""}


def test_two_libraries_with_one_name_are_told_apart(tmp_path: Path) -> None:
    thesis, grant = _watched(tmp_path, "Thesis", "Grant")
    text = run("status").stdout
    assert "Thesis/My EndNote Library.enl" in text and "Grant/My EndNote Library.enl" in text
    quiet = run("-q", "status").stdout.splitlines()
    assert [line.split() [0] for line in quiet[1:]] == ["in-sync", "in-sync"]   # -q: verdict lines only
    assert "reason" not in run("-q", "status").stdout and "next:" not in run("-q", "status").stdout
    assert str(thesis) in run("-v", "status").stdout    # -v: the full path too
    data = json.loads(run("status", "--json").stdout)
    assert sorted(item["path"] for item in data["libraries"]) == sorted([str(thesis), str(grant)])
    assert data["next_step"] is None


def test_alerts_that_cannot_reach_the_user_are_said(tmp_path: Path) -> None:
    _watched(tmp_path, "Thesis")
    with Store(paths.state_db()) as store:
        store.record_notifier("dbus", False, "no notification server on the session bus")
    text = run("status").stdout
    assert "Alerts CANNOT reach you (dbus: no notification server on the session bus)" in text
    assert "endnoted status" not in text and "the current verdicts are below" in text   # not itself as advice
    alerts = json.loads(run("status", "--json").stdout)["daemon"]["alerts"]
    assert alerts == {"can_reach_user": False, "backend": "dbus", "why": "no notification server on the session bus"}
    with Store(paths.state_db()) as store:
        store.record_notifier("dbus", True, "")
    assert "Alerts reach you (dbus)." in run("status").stdout
    with Store(paths.state_db()) as store:
        store.beat(pid=os.getpid(), started_at=datetime.now(UTC).isoformat(), version="test", stopped=True)
    assert "Alerts" not in run("status").stdout    # a stopped daemon alerts nobody; NOT running says so


def test_a_reset_under_way_is_shown_with_its_step_and_since_when(tmp_path: Path) -> None:
    [enl] = _watched(tmp_path, "Thesis")
    with Store(paths.state_db()) as store:
        started = store.start_reset(str(enl), "desktop-right", str(enl))
        store.update_reset(dataclasses.replace(started, step=3), ["step"])
    text = run("status").stdout
    assert "A reset is under way for My EndNote Library.enl: waiting on step 3, situation desktop-right" in text
    assert f'endnoted reset "{enl}"' in text
    [reset] = json.loads(run("status", "--json").stdout)["resets"]
    assert reset["library"] == str(enl) and reset["step"] == 3 and reset["started_at"].endswith("Z")
    assert json.loads(run("status", "--json", str(enl)).stdout)["resets"] == [reset]


def test_status_times_are_local_with_an_age_and_json_times_are_utc_with_z(tmp_path: Path) -> None:
    _watched(tmp_path, "Thesis")
    text = run("status").stdout
    assert "last checked " in text and "just now)" in text   # "2026-12-02 18:51 +01:00 (just now)"
    data = json.loads(run("status", "--json").stdout)
    for value in (data["daemon"]["started_at"], data["daemon"]["last_heartbeat"], data["libraries"][0]["last_checked"],
                  data["libraries"][0]["checked_at"]):
        assert value.endswith("Z") and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def test_the_finding_behind_the_verdict_is_shown_with_its_references(real_copy: object) -> None:
    # LamGaahou: "stale: 1 edited reference waits to be sent" comes from sync.edited-after-sync,
    # an informational finding; its reference #127 was shown only with -a (check) or -v (status).
    folder = real_copy("LamGaahou-CHS/en20-synced-macos")   # type: ignore[operator]
    enl = folder / "My EndNote Library.enl"
    text = run("check", str(enl)).stdout
    assert "stale: 1 edited reference waits" in text
    assert "sync.edited-after-sync" in text and "      #127  " in text
    with Store(paths.state_db()) as store:
        store.beat(pid=os.getpid(), started_at=datetime.now(UTC).isoformat(), version="test")
        store.record_pass(StoredReport.from_report(check_library(locate(enl)[0])))
    status = run("status").stdout
    assert "sync.edited-after-sync:" in status and "      #127  " in status


def test_the_start_time_of_a_process_is_psutils_and_a_gone_one_has_none() -> None:
    import subprocess
    import sys

    import psutil

    from endnoted.state.glance import _linux_started, _psutil_started, process_started

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        expected = psutil.Process(child.pid).create_time()
        assert abs((process_started(child.pid) or 0) - expected) < 0.05
        assert abs((_linux_started(child.pid) or 0) - expected) < 0.05     # the /proc reading, on Linux
        assert _psutil_started(child.pid) == expected                       # the reading elsewhere
    finally:
        child.kill()
        child.wait()
    assert process_started(child.pid) is None and _psutil_started(child.pid) is None


def test_status_shows_the_endnote_the_live_daemon_saw_only_while_that_is_fresh(tmp_path: Path) -> None:
    from endnoted.state.status import ENDNOTE_SEEN_SECONDS, daemon_health, endnote_seen
    from endnoted.state.status import status as read_status

    seen = [{"pid": 424242, "name": "EndNote", "started": 1.0, "open_libraries": []}]
    with Store(paths.state_db()) as store:
        store.beat(pid=os.getpid(), started_at=datetime.now(UTC).isoformat(), version="test", endnote=seen)
        beat = store.heartbeat()
    scanned = [{"pid": 1, "name": "EndNote", "started": 2.0, "open_libraries": []}]
    with Store(paths.state_db(), readonly=True) as store:
        assert list(read_status(store, None, lambda: scanned).endnote) == seen
        assert list(read_status(store, None, scanned).endnote) == scanned    # a list given is shown as is
    health = daemon_health(beat)
    assert health.running and beat is not None and beat.endnote_at is not None
    later = beat.endnote_at + timedelta(seconds=ENDNOTE_SEEN_SECONDS + 1)
    assert endnote_seen(health) == tuple(seen) and endnote_seen(health, later) is None   # stale: scan
    with Store(paths.state_db()) as store:
        store.beat(pid=os.getpid(), started_at=datetime.now(UTC).isoformat(), version="test", stopped=True)
    with Store(paths.state_db(), readonly=True) as store:
        assert list(read_status(store, None, lambda: scanned).endnote) == scanned   # no live daemon: scan
