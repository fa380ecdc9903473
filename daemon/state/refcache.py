"""Each reference's fingerprint and match keys, per library, in our state file (issue 16: incremental readings).

What reading/incremental.py needs to read only the references that changed since the last
reading, kept on disk so that it survives a restart and costs no memory between readings:

- `ref_keys`: one row per reference: its id, trash state and record_last_updated (the
  fingerprint), and its two match keys (DOI; title + year + first author's surname) as **one-way
  hashes** (judging/matching.key_hash). Titles and author names are personal data and never enter
  this file; a hash is enough to group duplicates and to compare with the `.enl` copy, and the few
  references a finding names are read again from the library by id.
- `ref_libraries`: per library, what the last reading was taken from (reading/incremental.Meta):
  the database file's identity, its database id, tables and refs counter, the structural check's
  result and the time after which rows are always read again.

This module and store.py are the only ones holding SQL on our state file. It opens its own
connection (the daemon's reading runs on the scheduler's thread, the heartbeat on the main one;
WAL lets them write in turn without sharing a lock). The schema comes from migrations.py (m006):
open a Store on the file first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from endnoted.common.errors import StateStoreError
from endnoted.reading.incremental import Keyed, Meta


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

    def _number(self, library: str) -> int | None:
        row = self.conn.execute("SELECT num FROM ref_libraries WHERE library = ?", (library,)).fetchone()
        return None if row is None else int(row[0])

    def load(self, library: str) -> tuple[Meta, list[Keyed]] | None:
        """Given a library's path, return the last reading's Meta and its rows in id order, or None."""
        try:
            found = self.conn.execute("SELECT num, meta FROM ref_libraries WHERE library = ?", (library,)).fetchone()
            if found is None or found[1] is None:
                return None
            rows: list[Keyed] = self.conn.execute(
                "SELECT id, trash, updated, doi, title FROM ref_keys WHERE lib = ? ORDER BY id", (found[0],)).fetchall()
            return Meta.loads(found[1]), rows
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            return None   # a cache we cannot read costs a full reading, nothing more

    def save(self, library: str, meta: Meta, changed: Sequence[Keyed], gone: Sequence[int]) -> None:
        """Given a library, its new Meta, the rows that are new or changed and the ids that are gone, store them."""
        try:
            with self.conn:
                self.conn.execute("INSERT INTO ref_libraries (library, meta) VALUES (?, ?) "
                                  "ON CONFLICT(library) DO UPDATE SET meta = excluded.meta", (library, meta.dumps()))
                number = self._number(library)
                if gone:
                    self.conn.executemany("DELETE FROM ref_keys WHERE lib = ? AND id = ?",
                                          [(number, ref_id) for ref_id in gone])
                if changed:
                    self.conn.executemany("INSERT OR REPLACE INTO ref_keys (lib, id, trash, updated, doi, title) "
                                          "VALUES (?, ?, ?, ?, ?, ?)", [(number, *row) for row in changed])
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def forget(self, library: str) -> None:
        """Drop everything kept for a library (it is gone, or its cache can no longer be trusted)."""
        try:
            with self.conn:
                number = self._number(library)
                if number is not None:
                    self.conn.execute("DELETE FROM ref_keys WHERE lib = ?", (number,))
                    self.conn.execute("DELETE FROM ref_libraries WHERE num = ?", (number,))
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def rebuild(self) -> None:
        """Make the tables again, empty, as the migrations leave them (one was dropped or damaged by hand): a cache,
        so only time is lost — every library is read in full once."""
        from endnoted.state.migrations import create_sql  # noqa: PLC0415 - sqlite-utils only on this rare path

        try:
            self.conn.execute("DROP TABLE IF EXISTS ref_keys")
            self.conn.execute("DROP TABLE IF EXISTS ref_libraries")
            for sql in create_sql(("ref_libraries", "ref_keys")):
                self.conn.execute(sql)
            self.conn.commit()
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def stored(self, library: str) -> int:
        """How many references are kept for a library (for tests and the benchmark)."""
        number = self._number(library)
        return 0 if number is None else int(self.conn.execute(
            "SELECT count(*) FROM ref_keys WHERE lib = ?", (number,)).fetchone()[0])

