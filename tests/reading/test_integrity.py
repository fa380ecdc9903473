"""integrity.recheck: the daemon's structural check of a file an incremental reading did not check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from endnoted.reading.integrity import IntegrityMemo, identity, recheck
from tests.conftest import tree_hash


def test_recheck_passes_a_sound_file_remembers_it_and_names_an_overwritten_page(
        real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    copy = real_copy("Wanganlin00-EndNote/en21-synced")
    database = copy / "My EndNote Library.Data" / "sdb" / "sdb.eni"
    memo = IntegrityMemo(tmp_path / "memo.json")
    before = tree_hash(copy)
    assert recheck(database, memo) == "ok"
    assert memo.passed(database, identity(database))
    assert tree_hash(copy) == before   # read-only
    with database.open("r+b") as file:
        file.seek(39 * 4096)
        file.write(b"\xff" * 4096)   # no valid page type: the same error on every run
    result = recheck(database, memo)   # the memo's pass was for the file before the write
    assert result is not None and "btreeInitPage() returns error code 11" in result
    assert not memo.passed(database, identity(database))


def test_recheck_of_a_file_that_is_not_there_cannot_tell(tmp_path: Path) -> None:
    assert recheck(tmp_path / "sdb.eni", IntegrityMemo(tmp_path / "memo.json")) is None
