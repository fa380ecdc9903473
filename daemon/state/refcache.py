"""Each reference's fingerprint and match keys, per library, in our state file (issue 16: incremental readings).

What reading/incremental.py needs to read only the references that changed since the last
reading, kept on disk so that it survives a restart and costs no memory between readings. Table
`ref_keys` (migration m009) holds a few parts per library:

- `meta`: what the last reading was taken from (reading/incremental.Meta, JSON): the database
  file's identity, its database id, tables and refs counter, the structural check's result and the
  time after which rows are always read again;
- `ids`, `trash`, `added`, `updated`: every reference's id, trash state, added_to_library and
  record_last_updated, in id order, each packed as 8-byte integers (array 'q'), and `marks`, the
  digests of those four columns as SQLite writes them out (reading/fingerprints.py);
- each part carries a digest of its bytes, checked when it is loaded (a part damaged to the same
  length costs a full reading, never a false count);
- `dois`, `titles`: their two match keys (DOI; title + year + first author's surname) as
  **one-way hashes** (judging/matching.key_hash), comma-separated. Titles and author names are
  personal data and never enter this file; a hash is enough to group duplicates and to compare with
  the `.enl` copy, and the few references a finding names are read again from the library by id.

Packed, a library of 100k references loads in a few milliseconds (as 100k rows it took 65 ms of
every reading). This module and store.py are the only ones holding SQL on our state file. It opens
its own connection (the daemon's reading runs on the scheduler's thread, the heartbeat on the main
one; WAL lets them write in turn without sharing a lock). The schema comes from migrations.py: open
a Store on the file first.
"""

from __future__ import annotations

import hashlib
import sqlite3
from array import array
from collections.abc import Sequence
from pathlib import Path

from endnoted.common.errors import StateStoreError
from endnoted.reading.fingerprints import Columns
from endnoted.reading.incremental import Meta

_NUMBERS = ("ids", "trash", "added", "updated")
_MARK = 16   # bytes of one column's digest


def _sealed(payload: bytes) -> bytes:
    """A part as stored: its bytes and their digest. SQLite keeps no checksum of its own, and a part
    damaged to the same length (a flipped trash state, shifted ids) would be taken as it is until the
    next full pass: false counts, false "references dropped" alerts (an adversarial test found it)."""
    return payload + hashlib.blake2b(payload, digest_size=_MARK, person=b"endnoted-part").digest()


def _opened(data: object) -> bytes:
    """Given a part as stored, return its bytes; ValueError when its digest does not match (read in full)."""
    if not isinstance(data, bytes) or len(data) < _MARK:
        raise ValueError("a part without its digest")
    payload, seal = data[:-_MARK], data[-_MARK:]
    if hashlib.blake2b(payload, digest_size=_MARK, person=b"endnoted-part").digest() != seal:
        raise ValueError("a part whose digest does not match")
    return payload


def _unpacked(data: bytes) -> list[int]:
    numbers = array("q")
    numbers.frombytes(data)
    return numbers.tolist()


def _changed(values: Sequence[object], stored: Sequence[object] | None) -> bool:
    """Whether a part must be written: nothing to compare with, or other values than those loaded."""
    return stored is None or (values is not stored and values != stored)


def _keys(text: str, count: int) -> list[str]:
    return text.split(",") if count else []


class RefCache:
    """The reference keys of every library the daemon reads (see the module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot open state file {path}: {error}") from error

    def close(self) -> None:
        self.conn.close()

    def load(self, library: str) -> tuple[Meta, Columns] | None:
        """Given a library's path, return the last reading's Meta and its columns in id order, or None."""
        try:
            stored = dict(self.conn.execute("SELECT part, data FROM ref_keys WHERE library = ?", (library,)))
            if "meta" not in stored:
                return None
            parts = {name: _opened(data) for name, data in stored.items()}
            ids, trash, added, updated = (_unpacked(parts[name]) for name in _NUMBERS)
            marks = parts["marks"]
            columns = Columns(ids, trash, added, updated, _keys(parts["dois"].decode(), len(ids)),
                              _keys(parts["titles"].decode(), len(ids)),
                              tuple(marks[n:n + _MARK] for n in range(0, len(marks), _MARK)))
            if not len(ids) == len(trash) == len(added) == len(updated) == len(columns.dois) == len(columns.titles):
                return None
            return Meta.loads(parts["meta"].decode()), columns
        except (sqlite3.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None   # a cache we cannot read costs a full reading, nothing more

    def save(self, library: str, meta: Meta, columns: Columns | None, before: Columns | None = None) -> None:
        """Given a library and its new Meta, store them, with its columns unless None (the stored ones still hold).

        `before`, the columns as loaded, spares writing again the parts that are equal to them: after an
        edit the ids, trash states and dates added (2.4 MB of 6 at 100k references); after the periodic
        full pass of a library that did not change, all of them (it would write 6 MB every 15 minutes).
        """
        parts: list[tuple[str, str, bytes]] = [(library, "meta", _sealed(meta.dumps().encode()))]
        if columns is not None:
            numbers = before.numbers() if before is not None else (None, None, None, None)
            parts += [(library, name, _sealed(array("q", values).tobytes()))
                      for name, values, stored in zip(_NUMBERS, columns.numbers(), numbers, strict=True)
                      if _changed(values, stored)]
            parts += [(library, name, _sealed(",".join(keys).encode())) for name, keys, stored in
                      (("dois", columns.dois, before.dois if before is not None else None),
                       ("titles", columns.titles, before.titles if before is not None else None))
                      if _changed(keys, stored)]
            if _changed(columns.marks, before.marks if before is not None else None):
                parts.append((library, "marks", _sealed(b"".join(columns.marks))))
        try:
            with self.conn:
                self.conn.executemany("INSERT OR REPLACE INTO ref_keys (library, part, data) VALUES (?, ?, ?)", parts)
        except (sqlite3.Error, OverflowError) as error:
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def forget(self, library: str) -> None:
        """Drop everything kept for a library (it is gone, or its cache can no longer be trusted)."""
        try:
            with self.conn:
                self.conn.execute("DELETE FROM ref_keys WHERE library = ?", (library,))
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def rebuild(self) -> None:
        """Make the tables again, empty, as the migrations leave them (one was dropped or damaged by hand): a cache,
        so only time is lost — every library is read in full once."""
        from endnoted.state.migrations import create_sql  # noqa: PLC0415 - sqlite-utils only on this rare path

        try:
            self.conn.execute("DROP TABLE IF EXISTS ref_keys")
            for sql in create_sql(("ref_keys",)):
                self.conn.execute(sql)
            self.conn.commit()
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def stored(self, library: str) -> int:
        """How many references are kept for a library (for tests and the benchmark)."""
        row = self.conn.execute("SELECT length(data) FROM ref_keys WHERE library = ? AND part = 'ids'", (library,)).fetchone()
        return 0 if row is None else (int(row[0]) - _MARK) // 8
