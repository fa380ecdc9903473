"""The enl-copy probe: a .enl that is a full copy holding references the live database lacks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from endnoted.demo.builder import edit
from tests.probes.common import codes, library


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


def test_the_real_utsmok_library_is_told_to_back_up_before_it_syncs(real_copy: Callable[[str], Path]) -> None:
    # Its verdict says "press Sync" (stale), its .enl holds 6 references the database lacks and a later
    # sync: the next action leads with the backup that keeps the .enl, before the sync.
    from endnoted.judging.checker import check_library
    from endnoted.reading.library import locate
    enl = real_copy("utsmok-endnote-exporter/en21-synced") / "MyLibrary.enl"
    verdict = check_library(locate(enl)[0], mounts=()).verdict
    assert verdict.next_action.startswith(f'First, make a backup with endnoted backup "{enl}" (it keeps the .enl '
                                          "too). Then: Open the library in EndNote and press Sync"), verdict.next_action
