"""Incremental readings (issue #16 item 3) equal full ones, round after round of random changes.

EndNote's part is played by a real sqlite3 writer on a copy of a library (a real EndNote 21 library
from ../shared/realworld, and a synthetic one from the demo builder): seeded random edits,
insertions, deletions, trash moves (with and without a new record_last_updated), duplicates,
sync rows going pending and back, and a new last-sync time. After each round an incremental
reading (reading/incremental.py, its keys kept in a real state file by state/refcache.py, as the
daemon runs it) must give what a full reading gives: the same Snapshot but for the texts of rows it
did not read, the same findings (whose named references it reads by id), the same verdict. Every
few rounds the daemon "restarts" (a fresh RefCache on the same file, no memory), and once the
library is replaced by another file. The reader never writes: the library is hashed after the
writer's round and again after both readings. The state file never holds a title or a name.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, RefSpec, build, edit
from endnoted.judging.checker import LibraryReport, check_library
from endnoted.judging.matching import LibraryKeys, hashed_keys, known_keys
from endnoted.reading import incremental
from endnoted.reading.library import Library, locate
from endnoted.reading.model import Snapshot
from endnoted.reading.snapshot import take
from endnoted.state.refcache import RefCache
from endnoted.state.store import Store
from tests.conftest import tree_hash

NOW = datetime(2026, 11, 24, tzinfo=UTC)
ROUNDS = 40


def _database(enl: Path) -> Path:
    return enl.with_suffix(".Data") / "sdb" / "sdb.eni"


def _full_enl_copy(enl: Path) -> None:
    """Make the .enl a full copy of the database, as EndNote 21 leaves it: deletions then show in it."""
    source = sqlite3.connect(f"{_database(enl).as_uri()}?mode=ro", uri=True)
    enl.unlink()
    target = sqlite3.connect(enl)
    source.backup(target)
    target.close()
    source.close()


def _one_change(writer: sqlite3.Connection, rng: random.Random, columns: list[str], done: dict[str, int]) -> None:
    ids = [row[0] for row in writer.execute("SELECT id FROM refs ORDER BY id")]
    now = int(time.time())
    kind = rng.choice(["edit", "edit", "edit-same-second", "insert", "delete", "trash", "trash-quiet",
                       "duplicate", "pending", "settle", "synced", "bad-stamp", "fix-stamps"])
    done[kind] = done.get(kind, 0) + 1
    target = rng.choice(ids)
    if kind == "edit":   # a new title and a new time (now, or a sync bringing an older one from the Web)
        # A change gets a time other than the one the reference had (the module's assumption):
        # an older time from the Web that equals the old one is moved a second back.
        stamp = now - rng.choice([0, 5, 86400 * 40])
        writer.execute("UPDATE refs SET title = ?, record_last_updated = CASE WHEN record_last_updated = ? "
                       "THEN ? - 1 ELSE ? END WHERE id = ?",
                       (f"Edited title {rng.randrange(10**6)}", stamp, stamp, stamp, target))
    elif kind == "edit-same-second":   # the time stays the second it was: only the title tells
        writer.execute("UPDATE refs SET record_last_updated = ? WHERE id = ?", (now, target))
        writer.execute("UPDATE refs SET year = ? WHERE id = ?", (str(rng.randrange(1990, 2030)), target))
    elif kind == "insert":
        copied = [c for c in columns if c not in ("id", "title", "added_to_library", "record_last_updated")]
        writer.execute(f"INSERT INTO refs ({', '.join(copied)}, title, added_to_library, record_last_updated) "
                       f"SELECT {', '.join(copied)}, ?, ?, ? FROM refs WHERE id = ?",
                       (f"A new reference {rng.randrange(10**6)}", now, now, target))
    elif kind == "delete":   # for good (emptied Trash): its sync row stays behind half of the time
        writer.execute("DELETE FROM refs WHERE id = ?", (target,))
        if rng.random() < 0.5:
            writer.execute("DELETE FROM sync WHERE type = 1 AND item_id = ?", (target,))
    elif kind == "trash":
        writer.execute("UPDATE refs SET trash_state = 1 - (trash_state != 0), record_last_updated = ? WHERE id = ?",
                       (now, target))
    elif kind == "trash-quiet":   # a trash move that leaves record_last_updated as it was
        writer.execute("UPDATE refs SET trash_state = 1 - (trash_state != 0) WHERE id = ?", (target,))
    elif kind == "duplicate":   # a second copy of another reference's title, year, authors and DOI
        source = rng.choice(ids)
        writer.execute("UPDATE refs SET (title, year, author, electronic_resource_number) = "
                       "(SELECT title, year, author, electronic_resource_number FROM refs WHERE id = ?), "
                       "record_last_updated = ? WHERE id = ?", (source, now, target))
    elif kind == "bad-stamp":   # text where EndNote writes a time: counted as bad, read through _int_sql
        writer.execute("UPDATE refs SET record_last_updated = 'not a time' WHERE id = ?", (target,))
    elif kind == "fix-stamps":   # every such value a time again: the fast path applies again
        writer.execute("UPDATE refs SET record_last_updated = ? WHERE typeof(record_last_updated) != 'integer'", (now,))
    elif kind == "pending":
        writer.execute("UPDATE sync SET action = 1, action_timestamp = ? WHERE type = 1 AND item_id = ?", (now, target))
    elif kind == "settle":
        writer.execute("UPDATE sync SET action = 0, status = 0 WHERE type = 1 AND item_id = ?", (target,))
    else:   # a sync ran: a new last-sync time
        writer.execute("UPDATE misc SET value = ? WHERE code = 6 AND subcode = 41", (str(now * 1000),))


class Daemon:
    """What Daemon._read does (running/runner.py), with a state file of its own: restartable."""

    def __init__(self, state: Path) -> None:
        self.state = state
        Store(state).close()   # the migrations make the tables
        self.start()

    def start(self) -> None:
        self.cache = RefCache(self.state)
        self.enl = incremental.EnlMemo()

    def restart(self) -> None:
        self.cache.close()
        self.start()

    def read(self, library: Library, *, full: bool = False) -> incremental.Reading:
        reading = incremental.read(library, self.cache, hashed_keys, full=full, now=NOW, enl=self.enl)
        if reading.dois is not None and reading.titles is not None:
            reading.snapshot.memo["keys"] = LibraryKeys(reading.dois, reading.titles, hashed=True)
        return reading


def _fetched(reading: incremental.Reading) -> int:
    assert reading.mode.startswith("incremental"), reading.mode
    return int(reading.mode.split("(")[1].split()[0])


def _same(partial: Snapshot, full: Snapshot) -> None:
    """The incremental Snapshot is the full one but for the texts of the rows it did not read."""
    assert replace(partial, rows=(), fill=None) == replace(full, rows=())
    assert [row[:2] + row[6:] for row in partial.rows] == [row[:2] + row[6:] for row in full.rows]
    for row, whole in zip(partial.rows, full.rows, strict=True):
        assert row == whole or row[2:6] == ("", "", "", ""), (row, whole)


def _reports(library: Library, partial: Snapshot, full: Snapshot) -> tuple[LibraryReport, LibraryReport]:
    inc_report = check_library(library, now=NOW, mounts=(), snapshot=partial)
    full_report = check_library(library, now=NOW, mounts=(), snapshot=full)
    keys = known_keys(full)
    assert keys is None or not keys.hashed   # the full reading's probes folded the titles themselves
    assert inc_report.findings == full_report.findings
    assert inc_report.verdict == full_report.verdict
    assert inc_report.to_json() == full_report.to_json()
    return inc_report, full_report


def _rounds(enl: Path, state: Path, seed: int) -> None:
    library = locate(enl)[0]
    database = _database(enl)
    daemon = Daemon(state)
    assert daemon.read(library).mode == "full (no previous reading to build on)"
    rng = random.Random(seed)
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as probe:
        columns = [row[1] for row in probe.execute("PRAGMA table_info(refs)")]
        titles = [row[0] for row in probe.execute("SELECT title FROM refs WHERE length(title) > 12 LIMIT 20")]
    probe.close()
    older = database.with_name("older.eni")
    done: dict[str, int] = {}
    seen: set[str] = set()
    restarts = 0
    paths: set[str] = set()   # how the integer columns were read (reading/fingerprints.py)
    for number in range(ROUNDS):
        if number == 5:
            shutil.copyfile(database, older)   # a backup the user will put back later
        with edit(database) as writer:
            for _change in range(rng.randint(1, 4)):
                _one_change(writer, rng, columns, done)
        writer.close()
        if number == ROUNDS // 2:   # the library replaced by another file: an older copy restored
            older.replace(database)
        if number % 7 == 3:   # the daemon restarts: nothing but the state file survives
            daemon.restart()
            restarts += 1
        written = tree_hash(enl.parent)
        reading = daemon.read(library)
        full = take(library, now=NOW)
        assert tree_hash(enl.parent) == written, "a reading wrote to the library"
        if number == ROUNDS // 2:
            assert reading.mode == "full (the database file was replaced)"
        else:
            assert _fetched(reading) < len(full.rows) / 2, reading.mode
        _same(reading.snapshot, full)
        paths.add("fallback" if reading.parsed < 0 else "fast")
        inc_report, full_report = _reports(library, reading.snapshot, full)
        seen.update(finding.code for finding in full_report.findings)
    # The rounds were not vacuous: every kind of change happened, and the findings the stored keys
    # feed (duplicates, the .enl copy, the ledger, which name references) came and were equal.
    assert set(done) >= {"edit", "insert", "delete", "trash", "trash-quiet", "duplicate", "pending", "edit-same-second"}
    assert {"duplicates.desktop", "enl.holds-missing-references", "library.odd-values"} <= seen, seen
    assert restarts >= 5
    assert paths == {"fast", "fallback"}, paths   # both ways of reading the fingerprints were compared
    # The periodic pass reads in full, and stores what an incremental reading would then build on.
    assert daemon.read(library, full=True).mode == "full (asked)"
    assert daemon.cache.stored(str(library.path)) == len(take(library, now=NOW).rows)
    # The digests stored by a full reading are those of SQLite's own text: nothing to parse after it.
    with edit(database) as writer:
        writer.execute("UPDATE refs SET record_last_updated = 1 WHERE typeof(record_last_updated) != 'integer'")
    writer.close()
    daemon.read(library, full=True)
    quiet = daemon.read(library)
    assert quiet.parsed == 0 and _fetched(quiet) < len(full.rows) / 2, (quiet.parsed, quiet.mode)
    _same(quiet.snapshot, take(library, now=NOW))
    daemon.cache.close()
    # No title and no author name in the state file: keys are one-way hashes.
    raw = state.read_bytes() + (state.with_name(state.name + "-wal").read_bytes()
                                if state.with_name(state.name + "-wal").exists() else b"")
    assert titles and not [title for title in titles if title.encode() in raw]


def test_incremental_equals_full_on_a_real_library(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    enl = real_copy("utsmok-endnote-exporter/en21-synced") / "MyLibrary.enl"
    _full_enl_copy(enl)
    _rounds(enl, tmp_path / "state.db", seed=16)


def test_incremental_equals_full_on_a_synthetic_library(tmp_path: Path) -> None:
    refs = [RefSpec(f"Synthetic title {n}", doi=f"10.1000/{n}" if n % 3 else "", trashed=n % 17 == 0,
                    synced=n % 11 != 0, authors=(f"Author{n % 40}, A.",)) for n in range(150)]
    enl = build(tmp_path / "synth", LibrarySpec(refs=refs, last_sync=NOW), seed=3)
    _full_enl_copy(enl)
    _rounds(enl, tmp_path / "state.db", seed=3)


def test_a_replaced_or_renamed_database_is_read_in_full(tmp_path: Path) -> None:
    refs = [RefSpec(f"Title {n}") for n in range(20)]
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=NOW), seed=1)
    library = locate(enl)[0]
    database = _database(enl)
    daemon = Daemon(tmp_path / "state.db")
    daemon.read(library)
    assert daemon.read(library).mode == "incremental (0 rows read)"
    # Another file put in its place (a restore, a copy from another machine): a new inode.
    replacement = database.with_name("new.eni")
    shutil.copyfile(database, replacement)
    replacement.replace(database)
    reading = daemon.read(library)
    assert reading.mode == "full (the database file was replaced)"
    _same(reading.snapshot, take(library, now=NOW))
    # The same file, but another library's database id (misc 14).
    with edit(database) as writer:
        writer.execute("UPDATE misc SET value = 'anotherdb000000000000000000000000' WHERE code = 14")
    writer.close()
    reading = daemon.read(library)
    assert reading.mode == "full (the database id (misc 14) changed)"
    _same(reading.snapshot, take(library, now=NOW))
    # The daemon's periodic pass asks for a full reading; a restart reads incrementally from the file.
    written = daemon.cache.conn.total_changes
    assert daemon.read(library, full=True).mode == "full (asked)"
    assert daemon.cache.conn.total_changes - written == 1   # nothing changed: only the Meta is written
    daemon.restart()
    assert daemon.read(library).mode == "incremental (0 rows read)"
    # A library forgotten (gone from the daemon's list) is read in full next time.
    daemon.cache.forget(str(library.path))
    assert daemon.cache.stored(str(library.path)) == 0
    assert daemon.read(library).mode == "full (no previous reading to build on)"


def test_a_full_reading_holds_texts_only_when_asked(tmp_path: Path) -> None:
    # Two copies of one reference: the duplicates finding names references, whose texts are read by id.
    refs = [RefSpec(f"Title {n % 290}", authors=(f"Author{n}, A.",) if n < 290 else ("Author0, A.",))
            for n in range(300)]
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=NOW), seed=2)
    library = locate(enl)[0]
    daemon = Daemon(tmp_path / "state.db")
    full = take(library, now=NOW)
    reading = daemon.read(library)   # the first reading: full, its rows read in more than one chunk
    assert reading.mode == "full (no previous reading to build on)"
    assert len(full.rows) > 256 and all(row[2:6] == ("", "", "", "") for row in reading.snapshot.rows)
    _same(reading.snapshot, full)
    _inc, report = _reports(library, reading.snapshot, full)
    assert "duplicates.desktop" in {finding.code for finding in report.findings}
    # A Web export to compare needs every title: that reading holds them all, as `take` does.
    asked = incremental.read(library, daemon.cache, hashed_keys, now=NOW, texts=True)
    assert asked.mode == "full (asked)" and asked.snapshot == full
    assert daemon.read(library).mode == "incremental (0 rows read)"
