"""Counts agree with their number in every message (issue 14: "1 edits", "1 attached files")."""

from __future__ import annotations

from pathlib import Path

from endnoted.common.words import plural
from endnoted.demo.builder import edit, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from tests.probes.common import LAST, NOW, library


def test_plural_agrees_with_one_and_many() -> None:
    assert plural(1, "edit") == "1 edit" and plural(2, "edit") == "2 edits" and plural(0, "edit") == "0 edits"
    assert plural(1, "library", "libraries") == "1 library" and plural(3, "library", "libraries") == "3 libraries"
    assert plural(1, "reference was", "references were") == "1 reference was"


def test_one_edit_one_missing_file_one_new_reference_are_said_in_the_singular(tmp_path: Path) -> None:
    refs = synthetic_refs(4, attachments=2)
    refs[2].updated = int(LAST.timestamp()) + 100                     # 1 edited after the last sync
    refs[3].synced, refs[3].added = False, int(LAST.timestamp()) + 100  # 1 added since
    refs[0].attachment_missing = True                                  # 1 attached file missing (of 2)
    enl = library(tmp_path, refs)
    messages = " ".join(f.message for f in check_library(locate(enl)[0], now=NOW, mounts=()).findings)
    assert "1 reference was edited after the last sync" in messages
    assert "1 reference was added since the last sync and is not on EndNote Web" in messages
    assert "1 attached file is missing" in messages
    for wrong in ("1 references", "1 attached files", "1 edits", "1 attachments"):
        assert wrong not in messages
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("UPDATE refs SET record_last_updated = ? WHERE id = 2", (int(LAST.timestamp()) + 100,))
    again = " ".join(f.message for f in check_library(locate(enl)[0], now=NOW, mounts=()).findings)
    assert "2 references were edited after the last sync" in again
