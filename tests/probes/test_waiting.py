"""Waiting work: counted once, listed by reference, stale when sync has stopped, stuck when a sync left it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from endnoted.demo.builder import RefSpec, edit, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from tests.conftest import run, tree_hash
from tests.probes.common import LAST, NOW, library


def _ts(moment: object) -> int:
    return int(moment.timestamp())  # type: ignore[attr-defined]


def test_three_new_references_are_three_not_six(tmp_path: Path) -> None:
    refs = synthetic_refs(5) + [RefSpec(f"New paper {n}", added=_ts(LAST) + 600, synced=False) for n in range(3)]
    report = check_library(locate(library(tmp_path, refs))[0], now=NOW, mounts=())
    ledger = report.snapshot.ledger
    assert ledger is not None and (ledger.unsynced, ledger.edited_after_sync) == (3, 0)
    assert report.verdict.state.value == "pending"
    assert report.verdict.reason.startswith("3 new references wait to be sent;")
    listed = next(f for f in report.findings if f.code == "sync.unsynced-references")
    assert [item.record for item in listed.references] == [6, 7, 8]
    assert [item.title for item in listed.references] == [f"New paper {n}" for n in range(3)]


def test_edits_made_long_ago_and_never_sent_mean_sync_has_stopped(tmp_path: Path) -> None:
    last = NOW - timedelta(days=60)
    refs = synthetic_refs(6)
    refs[0].updated = _ts(last) + 3600          # edited a day after the last sync, 59 days ago
    enl = library(tmp_path, refs, last_sync=last)
    report = check_library(locate(enl)[0], now=NOW, mounts=())
    assert report.verdict.state.value == "stale"
    assert "sync has stopped" in report.verdict.reason
    for cause in ("Sync Automatically", "password", "subscription", "storage limit"):
        assert cause in report.verdict.next_action
    # An edit an hour ago after a sync two months ago is just waiting: EndNote sends it at its next sync.
    refs[0].updated = _ts(NOW) - 3600
    recent = check_library(locate(library(tmp_path, refs, name="b", last_sync=last))[0], now=NOW, mounts=())
    assert recent.verdict.state.value == "pending"
    # Nothing waits: a long-unused library is in sync, with the age as information only.
    idle = check_library(locate(library(tmp_path, synthetic_refs(4), name="c", last_sync=last))[0], now=NOW,
                         mounts=())
    assert idle.verdict.state.value == "in-sync"
    assert {"sync.all-sent", "sync.overdue"} <= {f.code for f in idle.findings}


def test_a_real_pending_row_that_survived_a_sync_is_stuck(real_copy: Callable[[str], Path]) -> None:
    """utsmok-endnote-exporter: reference #260's row (action 1, status 2) is older than the last sync."""
    folder = real_copy("utsmok-endnote-exporter/en21-synced")
    before = tree_hash(folder)
    result = run("check", "--json", str(folder / "MyLibrary.enl"))
    assert tree_hash(folder) == before
    data = json.loads(result.stdout)["libraries"][0]
    by_code = {f["code"]: f for f in data["findings"]}
    assert [ref["record"] for ref in by_code["sync.stuck"]["references"]] == [260]
    assert by_code["sync.stuck"]["verdict"] == "stale"
    assert by_code["sync.pending-uploads"]["count"] == 5       # the other five, each once
    assert "Resolve Sync Conflicts" in data["next_action"]
    assert "reset" not in data["next_action"]
    assert data["verdict"] == "stale" and result.exit_code == 3
    text = run("check", str(folder / "MyLibrary.enl")).stdout
    assert "#260" in text


def test_a_synthetic_stuck_row(tmp_path: Path) -> None:
    refs = synthetic_refs(4)
    refs[1].action = 1
    enl = library(tmp_path, refs)
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("UPDATE sync SET action_timestamp = ? WHERE type = 1 AND item_id = 2", (_ts(LAST) - 86400,))
    report = check_library(locate(enl)[0], now=NOW, mounts=())
    assert {f.code: f.count for f in report.findings}.get("sync.stuck") == 1
    assert "sync.pending-uploads" not in {f.code for f in report.findings}
    assert report.verdict.state.value == "stale"


def test_lists_are_capped_with_how_many_more(tmp_path: Path) -> None:
    refs = synthetic_refs(3) + [RefSpec(f"Fresh {n}", added=_ts(LAST) + 60, synced=False) for n in range(25)]
    enl = library(tmp_path, refs)
    data = json.loads(run("check", "--json", str(enl)).stdout)["libraries"][0]
    found = next(f for f in data["findings"] if f["code"] == "sync.unsynced-references")
    assert (len(found["references"]), found["more"], found["count"]) == (20, 5, 25)
    assert set(found["references"][0]) == {"record", "title", "year", "first_author"}
    assert "… and 5 more" in run("check", str(enl)).stdout


def test_sync_records_without_a_server_number_are_waiting_work(tmp_path: Path) -> None:
    enl = library(tmp_path, synthetic_refs(4))
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("UPDATE sync SET usn = 0 WHERE type = 1 AND item_id IN (1, 2)")
    report = check_library(locate(enl)[0], now=NOW, mounts=())
    assert {f.code: f.count for f in report.findings}.get("sync.unsent-records") == 2
    assert report.verdict.state.value == "pending" and "2 sync records never sent" in report.verdict.reason


def test_the_oldest_unsent_change_counts_the_stuck_one(real_copy: Callable[[str], Path]) -> None:
    # utsmok: five trash moves from 2025-07 wait, and #260's change from 2025-02-20 survived the
    # last sync; "oldest" named the July date before, which was not the oldest.
    folder = real_copy("utsmok-endnote-exporter/en21-synced")
    data = json.loads(run("check", "--json", str(folder / "MyLibrary.enl")).stdout)["libraries"][0]
    assert data["verdict"] == "stale"
    assert "the oldest unsent change dates from 2025-02-20" in data["reason"]
    assert "2025-07-10" not in data["reason"]
