"""The refs' integer columns read as SQLite's text (reading/fingerprints.py): digests equal to the store's, the store's
own lists taken when unchanged, and every value that is not an integer sent to the `_int_sql` path.

Real SQLite databases with EndNote's refs columns (only those the reading needs), written by sqlite3.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from endnoted.reading.fingerprints import NOT_A_NUMBER, Columns, marks_of, read

EDGES = [0, 1, -1, 7, 2**31, -(2**40), 2**63 - 1, NOT_A_NUMBER]


def _database(tmp_path: Path, rows: list[tuple[object, object, object, object]]) -> sqlite3.Connection:
    path = tmp_path / "sdb.eni"
    writer = sqlite3.connect(path)
    writer.execute("CREATE TABLE refs (id INTEGER PRIMARY KEY AUTOINCREMENT, trash_state INTEGER NOT NULL DEFAULT 0, "
                   "added_to_library INTEGER NOT NULL DEFAULT 0, record_last_updated INTEGER NOT NULL DEFAULT 0)")
    writer.executemany("INSERT INTO refs VALUES (?, ?, ?, ?)", rows)
    writer.commit()
    writer.close()
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def _stored(numbers: tuple[list[int], list[int], list[int], list[int]]) -> Columns:
    return Columns(*numbers, [""] * len(numbers[0]), [""] * len(numbers[0]), marks_of(numbers))


def test_the_stores_digests_are_those_of_sqlites_text_so_unchanged_columns_are_not_parsed(tmp_path: Path) -> None:
    rows = [(n + 1, value, value // 3, -value) if value != NOT_A_NUMBER else (n + 1, value, 0, 5)
            for n, value in enumerate(EDGES)]
    connection = _database(tmp_path, rows)
    numbers = ([row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows], [row[3] for row in rows])
    stored = _stored(numbers)   # as a full reading stores them, from Python's integers
    found = read(connection, stored)
    assert found is not None and found.parsed == 0
    assert found.ids is stored.ids and found.updated is stored.updated   # the very lists: nothing was parsed
    assert found.marks == stored.marks
    # One changed value: only its column is parsed, and it equals what SQLite holds.
    edited = list(numbers[3])
    edited[2] = 123
    changed = _stored((numbers[0], numbers[1], numbers[2], edited))
    found = read(connection, changed)
    assert found is not None and found.parsed == 1 and found.updated == numbers[3] and found.trash is changed.trash
    assert read(connection, None) == (*numbers, stored.marks, 4)   # nothing stored: every column parsed
    connection.close()


@pytest.mark.parametrize("value", ["1700000000", "not a time", 1.5, 2.0, None, b"\x01"])
def test_a_value_that_is_not_an_integer_sends_the_reading_to_the_int_sql_path(tmp_path: Path, value: object) -> None:
    path = tmp_path / "sdb.eni"
    writer = sqlite3.connect(path)
    # No type affinity, so that each value stays of its own type (EndNote's INTEGER columns would turn
    # '1700000000' into a number; a foreign or damaged file need not).
    writer.execute("CREATE TABLE refs (id INTEGER PRIMARY KEY, trash_state, added_to_library, record_last_updated)")
    writer.executemany("INSERT INTO refs VALUES (?, ?, ?, ?)", [(1, 0, 5, 6), (2, 0, 5, value)])
    writer.commit()
    writer.close()
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    assert read(connection, None) is None
    connection.close()


def test_an_empty_library_reads_as_empty_columns(tmp_path: Path) -> None:
    connection = _database(tmp_path, [])
    found = read(connection, None)
    assert found is not None and found[:4] == ([], [], [], []) and found.marks == marks_of(([], [], [], []))
    connection.close()
