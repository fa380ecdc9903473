"""The library-state probe: what state the library's files are in (here: a journal left beside the database)."""

from __future__ import annotations

from pathlib import Path

from tests.probes.common import codes, library


def test_a_journal_beside_the_database_is_noticed(tmp_path: Path) -> None:
    enl = library(tmp_path)
    assert "library.journal-present" not in codes(enl, mounts=())
    journal = enl.with_suffix(".Data") / "sdb" / "sdb.eni-journal"
    journal.write_bytes(b"")
    assert "library.journal-present" in codes(enl, mounts=())
