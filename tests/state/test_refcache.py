"""The reference-key cache in the state file (state/refcache.py): what it keeps, and that it keeps no names."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from endnoted.judging.matching import key_hash
from endnoted.reading.fingerprints import NOT_A_NUMBER, Columns, marks_of
from endnoted.reading.incremental import Meta
from endnoted.state.refcache import RefCache
from endnoted.state.store import Store

META = Meta(("/x/sdb.eni", 1, 2, 4096), "db1", ("misc", "refs"), 7, "ok", 1.5)


def _cache(tmp_path: Path) -> RefCache:
    state = tmp_path / "state.db"
    Store(state).close()
    return RefCache(state)


def _columns(ids: list[int], updated: list[int], titles: list[str]) -> Columns:
    numbers = (ids, [0] * len(ids), [7] * len(ids), updated)
    return Columns(*numbers, [""] * len(ids), titles, marks_of(numbers))


def test_columns_are_saved_replaced_and_dropped_per_library(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    assert cache.load("/lib/A.enl") is None
    title = key_hash("a title|2020|smith")
    first = _columns([1, 2, 2**40], [90, -5, NOT_A_NUMBER], ["", title, key_hash("other")])
    cache.save("/lib/A.enl", META, first)
    cache.save("/lib/B.enl", META, _columns([3], [5], [""]))
    assert cache.load("/lib/A.enl") == (META, first)
    later = META._replace(since=9.0)
    cache.save("/lib/A.enl", later, None)   # only the Meta is new: the columns stay
    assert cache.load("/lib/A.enl") == (later, first)
    # After an edit only the parts that changed are written: the rest are the very lists loaded.
    loaded = cache.load("/lib/A.enl")
    assert loaded is not None
    stored = loaded[1]
    edited = stored._replace(updated=[90, 77, NOT_A_NUMBER], titles=["", key_hash("edited"), stored.titles[2]],
                             marks=marks_of((stored.ids, stored.trash, stored.added, [90, 77, NOT_A_NUMBER])))
    written = cache.conn.total_changes
    cache.save("/lib/A.enl", later, edited, stored)
    assert cache.load("/lib/A.enl") == (later, edited)
    assert cache.conn.total_changes - written == 4   # the meta, the dates updated, the title keys, the digests
    # The periodic full pass of a library that did not change: equal columns (other lists), only the meta.
    written = cache.conn.total_changes
    again = Columns(*(list(part) for part in edited[:6]), tuple(edited.marks))
    cache.save("/lib/A.enl", META, again, edited)
    assert cache.load("/lib/A.enl") == (META, edited) and cache.conn.total_changes - written == 1
    empty = _columns([], [], [])
    cache.save("/lib/A.enl", later, empty)
    assert cache.load("/lib/A.enl") == (later, empty)
    assert cache.load("/lib/B.enl") == (META, _columns([3], [5], [""]))
    cache.forget("/lib/A.enl")
    assert cache.load("/lib/A.enl") is None and cache.stored("/lib/A.enl") == 0
    assert cache.stored("/lib/B.enl") == 1
    cache.close()


def test_a_meta_or_part_it_cannot_read_costs_a_full_reading_not_an_error(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.save("/lib/A.enl", META, _columns([1], [1], [""]))
    cache.save("/lib/B.enl", META, _columns([1, 2], [1, 2], ["", ""]))
    with sqlite3.connect(tmp_path / "state.db") as writer:
        writer.execute("UPDATE ref_keys SET data = '{not json' WHERE library = '/lib/A.enl' AND part = 'meta'")
        writer.execute("UPDATE ref_keys SET data = x'0102' WHERE library = '/lib/B.enl' AND part = 'trash'")
    writer.close()
    assert cache.load("/lib/A.enl") is None
    assert cache.load("/lib/B.enl") is None   # 2 bytes are no whole 8-byte number
    cache.close()


def test_keys_are_one_way_hashes_of_fixed_width() -> None:
    key = "a title|2020|smith"
    assert key_hash("") == ""
    assert key_hash(key) == key_hash(key) != key_hash(key + " ")
    assert len(key_hash(key)) == 16 and "smith" not in key_hash(key)


def test_a_part_damaged_to_the_same_length_costs_a_full_reading_never_a_false_count(tmp_path: Path) -> None:
    # SQLite keeps no checksum: a trash state flipped or ids shifted in place, the length kept, was
    # loaded as it was and gave false counts and "references dropped" alerts until the next full pass.
    cache = _cache(tmp_path)
    cache.save("/lib/A.enl", META, _columns([1, 2, 3], [1, 2, 3], ["", "", ""]))
    assert cache.load("/lib/A.enl") is not None
    with sqlite3.connect(tmp_path / "state.db") as writer:
        (data,) = writer.execute("SELECT data FROM ref_keys WHERE library = '/lib/A.enl' AND part = 'ids'").fetchone()
        flipped = bytes([data[0] ^ 1]) + data[1:]                     # id 1 becomes 0, same length
        writer.execute("UPDATE ref_keys SET data = ? WHERE library = '/lib/A.enl' AND part = 'ids'", (flipped,))
    writer.close()
    assert cache.load("/lib/A.enl") is None
    cache.close()
