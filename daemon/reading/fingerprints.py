"""The integer columns of every reference, read at C speed for the daemon's incremental reading (issue #16).

An incremental reading (reading/incremental.py) needs every reference's id, trash state,
added_to_library and record_last_updated, in id order, to find the few that changed. Fetched as
100k Python rows, with `_int_sql`'s CASE around each value, that was the largest part of a re-read
(0.15 s of 0.5 s at 100k references). Here SQLite writes each column out as one text
(group_concat, in C), and each text is compared with the one the store kept by a digest: a
column the reading did not change (the ids and trash states of an edit, everything of a quiet
library) is taken from the store as it is, and only a column that changed is parsed (one C split
and int per value).

This fast path holds only while every value of the three columns is an integer, as EndNote writes
them; SQLite counts the others in the same pass. When there is one (text, a real, a NULL), the
caller reads the columns through `_int_sql` as before (`fallback`), so a value EndNote never
writes is counted as bad exactly as a full reading counts it. Such a value is kept in the store
as NOT_A_NUMBER.

group_concat's order is that of the rows it is given (the id-ordered subquery), which SQLite
does not promise: the ids are taken from the store only when their text is the stored one (whose
order was checked when it was stored), and checked to rise otherwise.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from operator import lt
from typing import NamedTuple

NOT_A_NUMBER = -(2**63)   # how the store keeps a value that is not an integer (read as None)

_COLUMNS = ("id", "trash_state", "added_to_library", "record_last_updated")
_NOT_INTEGER = " OR ".join(f"typeof({column}) != 'integer'" for column in _COLUMNS[1:])
TEXTS_SQL = (f"SELECT {', '.join(f'group_concat({column})' for column in _COLUMNS)}, total({_NOT_INTEGER}) "
             f"FROM (SELECT {', '.join(_COLUMNS)} FROM refs ORDER BY id)")


class Columns(NamedTuple):
    """A library's references as the store keeps them between readings: column by column, in id order."""

    ids: list[int]
    trash: list[int]
    added: list[int]
    updated: list[int]
    dois: list[str]     # one-way hashes of the match keys (judging/matching.key_hash), never a title or name
    titles: list[str]
    marks: tuple[bytes, ...]   # the digest of each integer column as SQLite writes it out (`mark`)

    def numbers(self) -> tuple[list[int], list[int], list[int], list[int]]:
        return self.ids, self.trash, self.added, self.updated


class Read(NamedTuple):
    """The integer columns as this reading found them: each is the store's own list when unchanged."""

    ids: list[int]
    trash: list[int]
    added: list[int]
    updated: list[int]
    marks: tuple[bytes, ...]
    parsed: int                # how many columns differed from the store's and were parsed


def mark(text: str) -> bytes:
    """Given a column as SQLite's group_concat writes it, return its digest (the store keeps it)."""
    return hashlib.blake2b(text.encode("ascii"), digest_size=16).digest()


def marks_of(numbers: Sequence[Sequence[int]]) -> tuple[bytes, ...]:
    """Given integer columns, return the digests of their text as SQLite writes integers (`%lld`, comma-separated)."""
    return tuple(mark(",".join(map(str, column))) for column in numbers)


def read(connection: sqlite3.Connection, stored: Columns | None) -> Read | None:
    """Given a connection and the stored columns, return the four integer columns of refs in id order,
    or None when a value is not an integer (the caller reads them through `_int_sql` then)."""
    found = connection.execute(TEXTS_SQL).fetchone()
    if found[4]:
        return None
    texts: list[str] = [text or "" for text in found[:4]]
    marks = tuple(map(mark, texts))
    kept = stored.numbers() if stored is not None and len(stored.marks) == 4 else ((), (), (), ())
    known = stored.marks if stored is not None else ()
    columns: list[list[int]] = []
    parsed = 0
    for text, digest, old, before in zip(texts, marks, kept, (*known, b"", b"", b"", b"")[:4], strict=True):
        if digest == before and isinstance(old, list):
            columns.append(old)
        else:
            columns.append(list(map(int, text.split(","))) if text else [])
            parsed += 1
    ids = columns[0]
    if columns[0] is not kept[0] and not all(map(lt, ids, ids[1:])):
        raise ValueError("the refs ids did not come in rising order")
    if not len(ids) == len(columns[1]) == len(columns[2]) == len(columns[3]):
        raise ValueError("the refs columns differ in length")
    return Read(ids, columns[1], columns[2], columns[3], marks, parsed)


def kept(values: Sequence[int | None]) -> list[int]:
    """Given a column as `_int_sql` reads it (None: not an integer), return it as the store keeps it."""
    return [NOT_A_NUMBER if value is None else value for value in values]
