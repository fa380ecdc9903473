"""The lists of references behind findings never reach the support bundle (issue #11 item 7)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from endnoted.common import paths
from endnoted.demo.builder import LibrarySpec, RefSpec, build, days_ago, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from endnoted.state.records import StoredReport
from endnoted.state.store import Store
from tests.conftest import run


def test_status_shows_the_list_and_the_bundle_leaves_it_out(tmp_path: Path) -> None:
    last = days_ago(1)
    refs = synthetic_refs(3) + [RefSpec(f"Confidential draft {n}", authors=("Private, P.",),
                                        added=int(last.timestamp()) + 60, synced=False) for n in range(2)]
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=last))
    report = check_library(locate(enl)[0])
    with Store(paths.state_db()) as store:
        store.record_pass(StoredReport.from_report(report))
    shown = run("status", str(enl)).stdout
    assert "Confidential draft 0" in shown   # the researcher sees which ones
    assert "Private" not in shown            # but no author: the state file keeps no names
    bundle = tmp_path / "bundle.zip"
    assert run("report", "-o", str(bundle)).exit_code == 0
    with zipfile.ZipFile(bundle) as archive:
        everything = "".join(archive.read(name).decode() for name in archive.namelist())
    assert "sync.unsynced-references" in everything
    assert "Confidential draft" not in everything and "Private, P." not in everything
    assert '"references": 5' in everything or '"references": 5,' in everything   # counts stay
