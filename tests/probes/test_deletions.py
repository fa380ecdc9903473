"""Deletions you can see: lifetime deletions and record-number gaps, drops since the last reading (issue #11 item 5)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from endnoted.demo.builder import RefSpec, edit, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.probes.base import Reading
from endnoted.probes.deletions import _gaps
from endnoted.reading.library import locate
from tests.conftest import tree_hash
from tests.probes.common import NOW, library


def test_lifetime_deletions_and_gaps_on_a_real_library(real_copy: Callable[[str], Path]) -> None:
    folder = real_copy("LamGaahou-CHS/en20-synced-macos")
    database = folder / "My EndNote Library.Data" / "sdb" / "sdb.eni"
    db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'refs'").fetchone()[0]
    rows = db.execute("SELECT count(*) FROM refs").fetchone()[0]
    db.close()
    before = tree_hash(folder)
    report = check_library(locate(folder / "My EndNote Library.enl")[0], now=NOW, mounts=())
    assert tree_hash(folder) == before
    found = [f for f in report.findings if f.code == "library.deletions"]
    assert [f.count for f in found] == [seq - rows] and seq - rows == 93
    assert "#8–#35" in found[0].message and "#61–#125" in found[0].message   # the gaps, as ranges
    assert report.verdict.state.value == "stale"   # deletions are information, not a verdict


def test_no_deletions_no_finding(tmp_path: Path) -> None:
    enl = library(tmp_path)
    report = check_library(locate(enl)[0], now=NOW, mounts=())
    assert "library.deletions" not in {f.code for f in report.findings}


def test_a_drop_since_the_last_reading_and_an_emptied_trash_are_said_plainly(tmp_path: Path) -> None:
    refs = synthetic_refs(30) + [RefSpec(f"Trashed paper {n}", trashed=True) for n in range(8)]
    enl = library(tmp_path, refs)
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("DELETE FROM refs WHERE trash_state != 0")            # Empty Trash
        db.execute("DELETE FROM refs WHERE id IN (SELECT id FROM refs WHERE trash_state = 0 LIMIT 6)")
    previous = Reading(taken_at=NOW - timedelta(hours=1), references=30, trashed=8)
    report = check_library(locate(enl)[0], now=NOW, mounts=(), previous=previous)
    by_code = {f.code: f for f in report.findings}
    assert by_code["library.references-dropped"].count == 6
    assert "30 then, 24 now" in by_code["library.references-dropped"].message
    assert by_code["library.trash-emptied"].count == 8
    assert "deletes them from EndNote Web" in by_code["library.trash-emptied"].message
    assert by_code["library.deletions"].count == 14
    # The same drop, read again against this reading, is not told twice.
    again = check_library(locate(enl)[0], now=NOW, mounts=(), previous=Reading(NOW, 24, 0))
    assert not {"library.references-dropped", "library.trash-emptied"} & {f.code for f in again.findings}
    # A few references gone is everyday tidying.
    small = check_library(locate(enl)[0], now=NOW, mounts=(), previous=Reading(NOW, 27, 2))
    assert "library.references-dropped" not in {f.code for f in small.findings}


def _gaps_one_by_one(ids: list[int], top: int) -> list[tuple[int, int]]:
    """The definition, one number at a time: what _gaps's C-level passes must equal."""
    ranges: list[tuple[int, int]] = []
    expected = 1
    for ref_id in [*ids, top + 1]:
        if ref_id > expected:
            ranges.append((expected, ref_id - 1))
        expected = max(expected, ref_id + 1)
    return ranges


@pytest.mark.parametrize("seed", range(5))
def test_the_gaps_equal_the_one_by_one_definition(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        ids = sorted(rng.sample(range(-3, 60), rng.randint(0, 40)))
        top = max([rng.randint(0, 70), *ids[-1:]])
        assert _gaps(ids, top) == _gaps_one_by_one(ids, top), (ids, top)
    assert _gaps([2, 3, 7], 9) == [(1, 1), (4, 6), (8, 9)]   # not vacuous: gaps at the start, middle and end
    assert _gaps([], 0) == [] and _gaps([1, 2], 2) == []
