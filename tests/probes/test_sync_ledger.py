"""The sync-ledger probe: the ledger's counts, the USN, orphan rows, a sync never completed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from endnoted.demo.builder import edit, synthetic_refs
from tests.probes.common import LAST, codes, library


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
        # Set up, never completed: the table, no last-sync time or number, nothing numbered by the
        # server. A last-sync time alone gone (the number still there) is a ledger cut short instead.
        db.execute("DELETE FROM misc WHERE code = 6 AND subcode = 41")
    found = codes(enl, mounts=())
    assert "sync.ledger-incomplete" in found and "sync.never-completed" not in found
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("DELETE FROM misc WHERE code = 6 AND subcode = 42")
        db.execute("UPDATE sync SET usn = 0")
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


def test_the_real_lamgaahou_library_has_orphan_group_rows(real_copy: Callable[[str], Path]) -> None:
    copy = real_copy("LamGaahou-CHS/en20-synced-macos")
    assert "sync.orphan-rows" in codes(copy / "My EndNote Library.enl", mounts=())
