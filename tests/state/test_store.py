"""The store takes typed reports and gives typed rows back; the JSON of a stored report is the one
`check --json` prints."""

from __future__ import annotations

import ast
import dataclasses
import re
import threading
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.judging.findings import State
from endnoted.reading.library import locate
from endnoted.state.records import StoredReport
from endnoted.state.store import Store


def test_a_stored_report_keeps_the_shape_check_prints_and_comes_back_typed(tmp_path: Path) -> None:
    refs = synthetic_refs(5)
    refs[0].action = 1
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.1)))
    report = check_library(locate(enl)[0])
    stored = StoredReport.from_report(report)
    assert stored.to_json() == report.to_json()
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
    """ARCHITECTURE.md: every SQL string on endnoted's own tables lives in state/store.py."""
    tables = "libraries|snapshots|findings|sync_events|events|notifications|heartbeat|backups|reset_runs"
    sql = re.compile(rf"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+\"?({tables})\b", re.IGNORECASE)
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in [*(root / "daemon").rglob("*.py"), *(root / "probes").rglob("*.py")]:
        if path == root / "daemon" / "state" / "store.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and sql.search(node.value):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
