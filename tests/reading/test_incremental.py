"""Incremental readings (issue #16 item 3) equal full ones, round after round of random changes.

EndNote's part is played by a real sqlite3 writer on a copy of a library (a real EndNote 21 library
from ../shared/realworld, and a synthetic one from the demo builder): seeded random edits,
insertions, deletions, trash moves (with and without a new record_last_updated), duplicates,
sync rows going pending and back, and a new last-sync time. After each round an incremental
reading (reading/incremental.py, keys carried by judging/matching.carry_keys as the daemon does)
must equal a full reading: the same Snapshot, the same findings, the same verdict. The reader
never writes: the library is hashed after the writer's round and again after both readings.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, RefSpec, build, edit
from endnoted.judging.checker import check_library
from endnoted.judging.matching import carry_keys, known_keys, library_keys
from endnoted.probes.base import Context
from endnoted.probes.duplicates import DuplicatesProbe
from endnoted.reading.incremental import Carry
from endnoted.reading.library import Library, locate
from endnoted.reading.model import Snapshot
from endnoted.reading.snapshot import take
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
                       "duplicate", "pending", "settle", "synced"])
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
    elif kind == "pending":
        writer.execute("UPDATE sync SET action = 1, action_timestamp = ? WHERE type = 1 AND item_id = ?", (now, target))
    elif kind == "settle":
        writer.execute("UPDATE sync SET action = 0, status = 0 WHERE type = 1 AND item_id = ?", (target,))
    else:   # a sync ran: a new last-sync time
        writer.execute("UPDATE misc SET value = ? WHERE code = 6 AND subcode = 41", (str(now * 1000),))


def _read_both(library: Library, carry: Carry) -> tuple[Snapshot, Snapshot]:
    before = carry.snapshot
    incremental = carry.read(library, now=NOW)
    if before is not None and carry.mode.startswith("incremental"):
        carry_keys(incremental, before)
    else:
        library_keys(incremental)
    return incremental, take(library, now=NOW)


def _rounds(enl: Path, seed: int) -> None:
    library = locate(enl)[0]
    database = _database(enl)
    carry = Carry()
    carry.read(library, now=NOW)
    library_keys(carry.snapshot) if carry.snapshot is not None else None
    assert carry.mode.startswith("full")
    rng = random.Random(seed)
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as probe:
        columns = [row[1] for row in probe.execute("PRAGMA table_info(refs)")]
    probe.close()
    done: dict[str, int] = {}
    seen: set[str] = set()
    fetched_less = 0
    for _round in range(ROUNDS):
        with edit(database) as writer:
            for _change in range(rng.randint(1, 4)):
                _one_change(writer, rng, columns, done)
        writer.close()
        written = tree_hash(enl.parent)
        incremental, full = _read_both(library, carry)
        assert tree_hash(enl.parent) == written, "a reading wrote to the library"
        assert carry.mode.startswith("incremental"), carry.mode
        fetched_less += int(carry.mode.split("(")[1].split()[0]) < len(full.rows)
        assert incremental == full   # every fact of the Snapshot (memo excepted)
        assert known_keys(incremental) is not None
        inc_report = check_library(library, now=NOW, mounts=(), snapshot=incremental)
        full_report = check_library(library, now=NOW, mounts=(), snapshot=full)
        assert inc_report.findings == full_report.findings
        # The duplicates probe with carried keys says what it says folding every title itself.
        unkeyed = take(library, now=NOW)
        assert list(DuplicatesProbe().check(unkeyed, Context(now=NOW))) == \
            [finding for finding in inc_report.findings if finding.probe == "duplicates"]
        assert known_keys(unkeyed) is None
        assert inc_report.verdict == full_report.verdict
        seen.update(finding.code for finding in full_report.findings)
    # The rounds were not vacuous: every kind of change happened, and the findings the carried
    # facts feed (duplicates, the .enl copy, the ledger) came and were equal.
    assert set(done) >= {"edit", "insert", "delete", "trash", "trash-quiet", "duplicate", "pending", "edit-same-second"}
    assert {"duplicates.desktop", "enl.holds-missing-references"} <= seen, seen
    assert fetched_less == ROUNDS


def test_incremental_equals_full_on_a_real_library(real_copy: Callable[[str], Path]) -> None:
    enl = real_copy("utsmok-endnote-exporter/en21-synced") / "MyLibrary.enl"
    _full_enl_copy(enl)
    _rounds(enl, seed=16)


def test_incremental_equals_full_on_a_synthetic_library(tmp_path: Path) -> None:
    refs = [RefSpec(f"Synthetic title {n}", doi=f"10.1000/{n}" if n % 3 else "", trashed=n % 17 == 0,
                    synced=n % 11 != 0, authors=(f"Author{n % 40}, A.",)) for n in range(150)]
    enl = build(tmp_path / "synth", LibrarySpec(refs=refs, last_sync=NOW), seed=3)
    _full_enl_copy(enl)
    _rounds(enl, seed=3)


def test_a_replaced_or_renamed_database_is_read_in_full(tmp_path: Path) -> None:
    refs = [RefSpec(f"Title {n}") for n in range(20)]
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=NOW), seed=1)
    library = locate(enl)[0]
    database = _database(enl)
    carry = Carry()
    carry.read(library, now=NOW)
    carry.read(library, now=NOW)
    assert carry.mode.startswith("incremental")
    # Another file put in its place (a restore, a copy from another machine): a new inode.
    replacement = database.with_name("new.eni")
    shutil.copyfile(database, replacement)
    replacement.replace(database)
    snap = carry.read(library, now=NOW)
    assert carry.mode == "full (the database file was replaced)"
    assert snap == take(library, now=NOW)
    # The same file, but another library's database id (misc 14).
    with edit(database) as writer:
        writer.execute("UPDATE misc SET value = 'anotherdb000000000000000000000000' WHERE code = 14")
    writer.close()
    snap = carry.read(library, now=NOW)
    assert carry.mode == "full (the database id (misc 14) changed)"
    assert snap == take(library, now=NOW)
    # The daemon's periodic pass asks for a full reading.
    carry.read(library, now=NOW, full=True, why="the periodic full pass")
    assert carry.mode == "full (the periodic full pass)"
