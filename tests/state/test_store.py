"""The store takes typed reports and gives typed rows back; the JSON of a stored report is the one
`check --json` prints."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from endnoted.common import paths
from endnoted.common.timefmt import iso_z
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.judging.findings import State
from endnoted.reading.library import locate
from endnoted.state.records import BackupRow, StoredReport
from endnoted.state.store import Store
from tests.conftest import run


def test_a_stored_report_keeps_the_shape_check_prints_and_comes_back_typed(tmp_path: Path) -> None:
    refs = synthetic_refs(5)
    refs[0].action = 1
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.1)))
    report = check_library(locate(enl)[0])
    stored = StoredReport.from_report(report)
    named = report.to_json()
    assert any(ref["first_author"] for finding in named["findings"] for ref in finding.get("references", ()))
    for finding in named["findings"]:   # the store keeps no author names (README, "The daemon": reads only what changed)
        for ref in finding.get("references", ()):
            ref["first_author"] = ""
    assert stored.to_json() == named
    with Store(tmp_path / "state.db") as store:
        store.record_pass(stored)
        [row] = store.libraries()
        last = store.last_snapshot(str(enl))
    assert row.report == stored and row.verdict is report.verdict.state and row.path == str(enl)
    assert last is not None and last.references == 5 and last.verdict is report.verdict.state
    assert row.report.waiting == report.snapshot.ledger.pending + report.snapshot.ledger.edited_after_sync + \
        report.snapshot.ledger.unsynced   # type: ignore[union-attr]


def test_a_gone_library_is_recorded_as_unknown_never_damaged(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        store.record_pass(StoredReport.gone("/nowhere/Lost.enl", "Lost", days_ago(0)))
        [row] = store.libraries()
        [snapshot] = store.snapshots()
    assert row.verdict is State.UNKNOWN and snapshot.status == "gone"
    assert row.report is not None and [f["code"] for f in row.report.findings] == ["library.gone"]


def test_a_reader_never_sees_half_a_pass(tmp_path: Path) -> None:
    """A pass is one transaction: a reader that sees a library's snapshot row sees its library row too.

    (sqlite-utils' table methods each commit on their own; storing a pass through them let `status`
    see the snapshot of a library it did not list yet.)
    """
    libraries = [build(tmp_path / f"lib{n}", LibrarySpec(refs=synthetic_refs(2), last_sync=days_ago(0.1)))
                 for n in range(3)]
    reports = [StoredReport.from_report(check_library(locate(enl)[0])) for enl in libraries]
    torn: list[tuple[int, int]] = []
    done = threading.Event()
    with Store(tmp_path / "state.db") as writer:
        with Store(tmp_path / "state.db", readonly=True) as reader:
            def watch() -> None:
                while not done.is_set():
                    with reader.conn:   # one read transaction: both counts from the same moment
                        reader.conn.execute("BEGIN")
                        seen = {row.path for row in reader.snapshots(limit=100000)}, \
                            {row.path for row in reader.libraries()}
                    if seen[0] != seen[1]:
                        torn.append((len(seen[0]), len(seen[1])))

            thread = threading.Thread(target=watch)
            thread.start()
            try:
                for round_ in range(40):
                    for report in reports:
                        writer.record_pass(dataclasses.replace(report, path=f"{report.path}-{round_}"))
            finally:
                done.set()
                thread.join()
    assert torn == []


def test_only_the_store_holds_sql_on_our_state_file() -> None:
    """ARCHITECTURE.md: every SQL string on endnoted's own tables lives in state/store.py, or in state/reader.py,
    the store's read-only side (the queries `status` reads without the store's records)."""
    tables = "libraries|snapshots|findings|sync_events|events|notifications|heartbeat|backups|reset_runs"
    sql = re.compile(rf"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+\"?({tables})\b", re.IGNORECASE)
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in [*(root / "daemon").rglob("*.py"), *(root / "probes").rglob("*.py")]:
        if path in (root / "daemon" / "state" / "store.py", root / "daemon" / "state" / "reader.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and sql.search(node.value):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def _columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]


def test_backups_come_back_typed_and_their_json_is_the_row_as_stored(tmp_path: Path) -> None:
    made = datetime(2026, 12, 2, 17, 51, 29, tzinfo=UTC)
    backup = BackupRow(path="/b/Thesis-20261202-175129.enlx", library="/l/Thesis.enl", made_at=made, size=2048,
                       sha256="ab" * 32, references=12, trashed=1, attachments=3, kind="enlx",
                       warnings=("one attachment is missing", "EndNote was writing"))
    with Store(tmp_path / "state.db") as store:
        store.record_backup(backup)
        store.record_backup(dataclasses.replace(backup, path="/b/Other.enlx", library="/l/Other.enl",
                                                made_at=made - timedelta(days=1), warnings=()))
        rows = store.backups()
        [mine] = store.backups("/l/Thesis.enl")
        before = mine.verified_at
        store.mark_backup_verified(mine)
        [again] = store.backups("/l/Thesis.enl")
    assert [row.library for row in rows] == ["/l/Thesis.enl", "/l/Other.enl"]   # newest first
    assert mine.id > 0 and before is not None and again.verified_at is not None and again.verified_at >= before
    assert dataclasses.replace(mine, id=0, verified_at=None) == backup
    assert rows[1].warnings == ()
    data = mine.to_json()
    assert list(data) == _columns(tmp_path / "state.db", "backups")   # `backups --json` lists the row's columns
    assert data["made_at"] == "2026-12-02T17:51:29.000000Z"
    assert data["warnings"] == "one attachment is missing\nEndNote was writing"


def test_a_reset_run_comes_back_typed_and_an_update_writes_only_the_columns_named(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        run = store.start_reset("/l/Thesis.enl", "new-library", "/l/Fresh.enl")
        assert store.active_reset("/l/Fresh.enl") == run   # found by situation B's target too
        seen = ({"step": 0, "at": "2026-12-02T17:51:29.000000Z", "how": "seen", "detail": "proven backup"},)
        store.update_reset(dataclasses.replace(run, step=1, observed=seen, backup="/b/x.enlx"), ["step", "observed"])
        now = store.active_reset("/l/Thesis.enl")
        store.update_reset(dataclasses.replace(run, ended_at=datetime.now(UTC), outcome="done"),
                           ["ended_at", "outcome"])
        assert store.active_reset("/l/Thesis.enl") is None and store.open_resets() == []
    assert run.step == 0 and run.observed == () and run.id > 0 and run.started_at is not None
    assert now is not None and now.step == 1 and now.observed == seen and now.backup is None   # backup not named
    assert now.progress_json() == {"library": "/l/Thesis.enl", "situation": "new-library", "step": 1,
                                   "observed": [dict(seen[0])], "target": "/l/Fresh.enl",
                                   "started_at": iso_z(run.started_at), "backup": None}
    assert set(now.to_json()) == {"library", "situation", "step", "started_at", "updated_at", "target"}


def test_recent_findings_come_back_typed_with_the_time_of_their_reading(tmp_path: Path) -> None:
    refs = synthetic_refs(5)
    refs[0].action = 1
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.1)))
    stored = StoredReport.from_report(check_library(locate(enl)[0]))
    with Store(tmp_path / "state.db") as store:
        store.record_pass(stored)
        found = store.recent_findings()
    assert sorted(f.code for f in found) == sorted(f["code"] for f in stored.findings) and found
    assert all(f.taken_at == stored.checked_at and f.path == str(enl) for f in found)
    assert list(found[0].to_json()) == [*_columns(tmp_path / "state.db", "findings"), "taken_at"]


def test_an_older_state_files_author_names_are_blanked_and_their_bytes_gone(tmp_path: Path) -> None:
    # A state file an older version wrote: a stored report naming a reference with its first author.
    # (Made by a real Store, then taken back to before migration m008 by hand, as that version left it.)
    path = tmp_path / "state.db"
    with Store(path):
        pass
    author = "Yang, Michael Ying"
    finding = {"code": "attachments.missing-files", "severity": "warning", "message": "1 file is missing.",
               "count": 1, "probe": "attachments", "more": 0,
               "references": [{"record": 10, "title": "Scene Understanding", "year": "2019", "first_author": author}]}
    report = {"path": "/x/My.enl", "name": "My", "format": "enl", "verdict": "stale", "reason": "r",
              "next_action": "n", "counts": None, "sync": None, "findings": [finding],
              "checked_at": "2026-01-01T00:00:00Z"}
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO libraries (path, name, report) VALUES (?, ?, ?)",
                   ("/x/My.enl", "My", __import__("json").dumps(report)))
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_no_author_names'")
    db.close()
    assert author.encode() in b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    with Store(path) as store:
        [row] = store.libraries()
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert row.report is not None and row.report.findings[0]["references"][0] == \
        {"record": 10, "title": "Scene Understanding", "year": "2019", "first_author": ""}
    files = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    assert b"Scene Understanding" in files and b"Yang" not in files


def test_a_failed_check_is_recorded_as_unknown_and_status_says_so(tmp_path: Path) -> None:
    with Store(paths.state_db()) as store:
        store.record_pass(StoredReport.failed("/libraries/Thesis.enl", "Thesis", days_ago(0)))
        [row] = store.libraries()
        assert store.last_snapshot("/libraries/Thesis.enl") is None   # never a baseline for drops
    assert row.verdict is State.UNKNOWN and row.report is not None
    assert [f["code"] for f in row.report.findings] == ["library.check-failed"]
    text = run("status").stdout
    assert "unknown" in text and "The last check of this library failed" in text
    assert json.loads(run("status", "--json").stdout)["libraries"][0]["verdict"] == "unknown"
