"""The verdict rules one by one on synthetic libraries, and the first-match order between them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, RefSpec, build, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from tests.conftest import run

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def verdict_of(tmp_path: Path, refs: list[RefSpec], *, last_sync: datetime | None,
               stale_after_hours: float = 24) -> tuple[str, dict[str, int]]:
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=last_sync))
    report = check_library(locate(enl)[0], now=NOW, stale_after_seconds=stale_after_hours * 3600, mounts=())
    sync = report.to_json()["sync"]
    return report.verdict.state.value, sync


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def test_never_synced_is_not_synced(tmp_path: Path) -> None:
    assert verdict_of(tmp_path, synthetic_refs(5), last_sync=None)[0] == "not-synced"


def test_everything_sent_is_in_sync(tmp_path: Path) -> None:
    # An old last sync with nothing waiting is still in sync (staleness needs waiting work).
    assert verdict_of(tmp_path, synthetic_refs(5), last_sync=NOW - timedelta(days=40))[0] == "in-sync"


def test_an_edit_within_the_slack_is_not_waiting(tmp_path: Path) -> None:
    last = NOW - timedelta(hours=1)
    refs = synthetic_refs(3)
    refs[0].updated = ts(last) + 4  # a sync bumps timestamps by a second or so
    state, sync = verdict_of(tmp_path, refs, last_sync=last)
    assert (state, sync["edited_after_sync"]) == ("in-sync", 0)


def test_recent_waiting_work_is_pending(tmp_path: Path) -> None:
    last = NOW - timedelta(hours=2)
    refs = synthetic_refs(4)
    refs[0].updated = ts(last) + 600
    refs[1].action = 1
    refs[2].synced, refs[2].added = False, ts(last) + 60   # new since the last sync
    state, sync = verdict_of(tmp_path, refs, last_sync=last)
    assert state == "pending"
    # Each waiting reference is counted once (issue #11): the new one is `unsynced`, not also `edited`.
    assert (sync["edited_after_sync"], sync["pending"], sync["unsynced"], sync["missed"]) == (1, 1, 1, 0)


def test_waiting_work_past_stale_after_is_stale(tmp_path: Path) -> None:
    last = NOW - timedelta(hours=30)
    refs = synthetic_refs(4)
    refs[0].updated = ts(last) + 600
    assert verdict_of(tmp_path, refs, last_sync=last)[0] == "stale"
    assert verdict_of(tmp_path / "b", refs, last_sync=last, stale_after_hours=48)[0] == "pending"


def test_a_reference_older_than_the_last_sync_without_a_sync_row_is_diverged(tmp_path: Path) -> None:
    last = NOW - timedelta(hours=1)
    refs = synthetic_refs(4)
    refs[0].synced, refs[0].added = False, ts(last) - 3600
    refs[1].synced, refs[1].added, refs[1].trashed = False, ts(last) - 61, True   # any trash state counts
    refs[2].synced, refs[2].added = False, ts(last) - 30   # within the 60 s slack: just unsynced
    state, sync = verdict_of(tmp_path, refs, last_sync=last)
    assert (state, sync["missed"], sync["unsynced"]) == ("diverged", 2, 3)


def test_diverged_wins_over_stale(tmp_path: Path) -> None:
    last = NOW - timedelta(days=10)
    refs = synthetic_refs(4)
    refs[0].synced, refs[0].added = False, ts(last) - 3600
    refs[1].action = 2
    assert verdict_of(tmp_path, refs, last_sync=last)[0] == "diverged"


def test_a_configured_library_without_a_last_sync_is_not_synced_and_says_so(tmp_path: Path) -> None:
    import sqlite3
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3), last_sync=NOW - timedelta(days=1)))
    db = sqlite3.connect(enl.with_suffix(".Data") / "sdb" / "sdb.eni")
    with db:
        # As EndNote leaves a sync set up but never completed: no last-sync time or number, nothing
        # numbered by the server (one of them alone cut off is sync.ledger-incomplete, R11).
        db.execute("DELETE FROM misc WHERE code = 6 AND subcode IN (41, 42)")
        db.execute("UPDATE sync SET usn = 0")
    db.close()
    result = run("check", "--json", str(enl))
    library = json.loads(result.stdout)["libraries"][0]
    assert library["verdict"] == "not-synced"
    assert "sync.never-completed" in {f["code"] for f in library["findings"]}


@pytest.mark.parametrize(("verdict_refs", "code"), [("in-sync", 0), ("stale", 3), ("diverged", 4)])
def test_check_exit_codes_follow_the_worst_verdict(tmp_path: Path, verdict_refs: str, code: int) -> None:
    last = datetime.now(UTC) - timedelta(days=3)
    refs = synthetic_refs(3)
    if verdict_refs == "stale":
        refs[0].action = 1
    if verdict_refs == "diverged":
        refs[0].synced, refs[0].added = False, ts(last) - 3600
    healthy = build(tmp_path / "ok", LibrarySpec(refs=synthetic_refs(2), last_sync=last))
    other = build(tmp_path / "other", LibrarySpec(refs=refs, last_sync=last))
    result = run("check", str(healthy), str(other))
    assert result.exit_code == code
    assert verdict_refs in result.stdout
