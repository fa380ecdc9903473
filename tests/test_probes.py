"""Each probe on a library that has its problem and on one that does not; a crashing probe is contained."""

from __future__ import annotations

import plistlib
import shutil
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, RefSpec, build, edit, synthetic_refs
from endnoted.judging.checker import check_library, run_probes
from endnoted.judging.findings import Finding
from endnoted.probes.base import Context
from endnoted.reading.library import locate
from endnoted.reading.prefs import read_plist
from endnoted.reading.snapshot import Snapshot, take
from tests.conftest import tree_hash

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
LAST = NOW - timedelta(hours=2)


def codes(enl: Path, **kwargs: object) -> set[str]:
    before = tree_hash(enl.parent)
    report = check_library(locate(enl)[0], now=NOW, **kwargs)  # type: ignore[arg-type]
    assert tree_hash(enl.parent) == before
    return {finding.code for finding in report.findings}


def library(tmp_path: Path, refs: list[RefSpec] | None = None, name: str = "lib", **spec: object) -> Path:
    return build(tmp_path / name, LibrarySpec(refs=refs if refs is not None else synthetic_refs(8),
                                              last_sync=spec.pop("last_sync", LAST), **spec))  # type: ignore[arg-type]


def test_a_clean_library_has_no_warnings(tmp_path: Path) -> None:
    enl = library(tmp_path, synthetic_refs(8, attachments=2))
    report = check_library(locate(enl)[0], now=NOW, mounts=())
    assert [f.code for f in report.findings if f.severity >= 20] == []


def test_usn_mismatch(tmp_path: Path) -> None:
    enl = library(tmp_path)
    assert "sync.usn-mismatch" not in codes(enl, mounts=())
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("UPDATE misc SET value = CAST('3' AS BLOB) WHERE code = 6 AND subcode = 42")
    assert "sync.usn-mismatch" in codes(enl, mounts=())


def test_orphan_sync_rows(tmp_path: Path) -> None:
    enl = library(tmp_path)
    assert "sync.orphan-rows" not in codes(enl, mounts=())
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("DELETE FROM groups WHERE group_id = 1")
    assert "sync.orphan-rows" in codes(enl, mounts=())


def test_sync_configured_but_never_completed(tmp_path: Path) -> None:
    enl = library(tmp_path)
    assert "sync.never-completed" not in codes(enl, mounts=())
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("DELETE FROM misc WHERE code = 6 AND subcode = 41")
    assert "sync.never-completed" in codes(enl, mounts=())


def test_pending_edited_unsynced_and_missed(tmp_path: Path) -> None:
    refs = synthetic_refs(6)
    assert not {"sync.pending-uploads", "sync.missed-references"} & codes(library(tmp_path, refs), mounts=())
    refs[0].action = 2
    refs[1].updated = int(LAST.timestamp()) + 100
    refs[2].synced, refs[2].added = False, int(LAST.timestamp()) + 100
    refs[3].synced, refs[3].added = False, int(LAST.timestamp()) - 4000
    found = codes(library(tmp_path, refs, name="b"), mounts=())
    assert {"sync.pending-uploads", "sync.edited-after-sync", "sync.unsynced-references",
            "sync.missed-references"} <= found


def test_missing_attachment_files(tmp_path: Path) -> None:
    refs = synthetic_refs(4, attachments=3)
    assert "attachments.missing-files" not in codes(library(tmp_path, refs), mounts=())
    refs[1].attachment_missing = True
    assert "attachments.missing-files" in codes(library(tmp_path, refs, name="b"), mounts=())


def test_duplicates_inside_the_desktop_library(tmp_path: Path) -> None:
    refs = synthetic_refs(6)
    assert "duplicates.desktop" not in codes(library(tmp_path, refs), mounts=())
    copy = RefSpec(refs[2].title.upper() + " ", year=refs[2].year, authors=refs[2].authors, doi="")
    twice = RefSpec("Different title entirely", doi="https://doi.org/" + (refs[0].doi or "10.1/x").upper())
    refs[0].doi = refs[0].doi or "10.1/x"
    report = check_library(locate(library(tmp_path, [*refs, copy, twice, copy], name="b"))[0], now=NOW, mounts=())
    [finding] = [f for f in report.findings if f.code == "duplicates.desktop"]
    assert finding.count == 3


@pytest.mark.parametrize("folder", ["Dropbox", "OneDrive - University of Somewhere", "Google Drive", "Box",
                                    "iCloud Drive"])
def test_a_library_in_a_cloud_folder(tmp_path: Path, folder: str) -> None:
    assert "hazard.cloud-folder" not in codes(library(tmp_path, name="Documents"), mounts=())
    assert "hazard.cloud-folder" in codes(library(tmp_path / folder, name="Papers"), mounts=())


def test_a_library_on_a_network_filesystem(tmp_path: Path) -> None:
    enl = library(tmp_path)
    local = ((str(tmp_path / "elsewhere"), "nfs4"), ("/", "ext4"))
    network = ((str(tmp_path), "cifs"), ("/", "ext4"))   # the mount table is the OS boundary: given here
    assert "hazard.network-filesystem" not in codes(enl, mounts=local)
    assert "hazard.network-filesystem" in codes(enl, mounts=network)


def _plist(home: Path, sync_path: Path) -> Path:
    path = home / "Library" / "Preferences" / "com.ThomsonResearchSoft.EndNote.plist"
    path.parent.mkdir(parents=True)
    path.write_bytes(plistlib.dumps({"SyncLibraryPath": str(sync_path), "RecentLibraries": [str(sync_path)]}))
    return path


def test_a_library_moved_after_it_was_synced(tmp_path: Path, isolated_home: Path) -> None:
    enl = library(tmp_path, name="moved-to")
    prefs = read_plist(_plist(isolated_home, enl))
    assert prefs.sync_library == enl
    assert "library.moved-after-sync" not in codes(enl, mounts=(), sync_library_pref=prefs.sync_library)
    old_place = tmp_path / "old" / enl.name
    assert "library.moved-after-sync" in codes(enl, mounts=(), sync_library_pref=old_place)


def test_an_enl_full_copy_holding_references_the_database_lacks(tmp_path: Path) -> None:
    enl = library(tmp_path)
    assert "enl.holds-missing-references" not in codes(enl, mounts=())
    database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    shutil.copyfile(database, enl)  # the "rename sdb.eni to .enl" recovery trick: a full copy
    assert "enl.holds-missing-references" not in codes(enl, mounts=())
    with edit(database) as db:
        db.execute("DELETE FROM refs WHERE id IN (1, 2)")
    assert "enl.holds-missing-references" in codes(enl, mounts=())


def test_the_real_utsmok_enl_is_newer_than_its_database(real_copy: Callable[[str], Path]) -> None:
    copy = real_copy("utsmok-endnote-exporter/en21-synced")
    found = codes(copy / "MyLibrary.enl", mounts=())
    assert {"enl.newer-than-database", "enl.holds-missing-references", "sync.pending-uploads"} <= found


class _Exploding:
    name = "exploding"

    def check(self, snapshot: Snapshot, context: Context) -> Iterable[Finding]:
        raise RuntimeError("boom")


def test_a_crashing_probe_becomes_a_finding_and_the_rest_still_run(tmp_path: Path) -> None:
    from endnoted.probes import builtin_probes
    refs = synthetic_refs(3)
    refs[0].action = 1
    enl = library(tmp_path, refs)
    snap = take(locate(enl)[0])
    found = run_probes([_Exploding(), *builtin_probes()], snap, Context(now=NOW))
    assert found[0].code == "probe.crashed" and "boom" in found[0].message
    assert any(f.probe == "sync-ledger" for f in found)


def test_a_journal_beside_the_database_is_noticed(tmp_path: Path) -> None:
    enl = library(tmp_path)
    assert "library.journal-present" not in codes(enl, mounts=())
    journal = enl.with_suffix(".Data") / "sdb" / "sdb.eni-journal"
    journal.write_bytes(b"")
    assert "library.journal-present" in codes(enl, mounts=())


def test_the_real_lamgaahou_library_has_orphan_group_rows(real_copy: Callable[[str], Path]) -> None:
    copy = real_copy("LamGaahou-CHS/en20-synced-macos")
    assert "sync.orphan-rows" in codes(copy / "My EndNote Library.enl", mounts=())
