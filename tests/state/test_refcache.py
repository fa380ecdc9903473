"""The reference-key cache in the state file (state/refcache.py): what it keeps, and that it keeps no names."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from endnoted.judging.matching import key_hash
from endnoted.reading.incremental import Meta
from endnoted.state.refcache import RefCache
from endnoted.state.store import Store

META = Meta(("/x/sdb.eni", 1, 2, 4096), "db1", ("misc", "refs"), 7, "ok", 1.5)


def _cache(tmp_path: Path) -> RefCache:
    state = tmp_path / "state.db"
    Store(state).close()
    return RefCache(state)


def test_rows_are_saved_changed_and_dropped_per_library(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    assert cache.load("/lib/A.enl") is None
    title = key_hash("a title|2020|smith")
    cache.save("/lib/A.enl", META, [(2, 0, 100, "", title), (1, 0, 90, key_hash("10.1/x"), "")], [])
    cache.save("/lib/B.enl", META, [(1, 1, 5, "", "")], [])
    assert cache.load("/lib/A.enl") == (META, [(1, 0, 90, key_hash("10.1/x"), ""), (2, 0, 100, "", title)])
    later = META._replace(since=9.0)
    cache.save("/lib/A.enl", later, [(1, 1, 91, "", "")], [2])
    assert cache.load("/lib/A.enl") == (later, [(1, 1, 91, "", "")])
    assert cache.load("/lib/B.enl") == (META, [(1, 1, 5, "", "")])
    cache.forget("/lib/A.enl")
    assert cache.load("/lib/A.enl") is None and cache.stored("/lib/A.enl") == 0
    assert cache.stored("/lib/B.enl") == 1
    cache.close()


def test_a_meta_it_cannot_read_costs_a_full_reading_not_an_error(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.save("/lib/A.enl", META, [(1, 0, 1, "", "")], [])
    with sqlite3.connect(tmp_path / "state.db") as writer:
        writer.execute("UPDATE ref_libraries SET meta = '{not json'")
    writer.close()
    assert cache.load("/lib/A.enl") is None
    cache.close()


def test_keys_are_one_way_hashes_of_fixed_width() -> None:
    key = "a title|2020|smith"
    assert key_hash("") == ""
    assert key_hash(key) == key_hash(key) != key_hash(key + " ")
    assert len(key_hash(key)) == 16 and "smith" not in key_hash(key)
