"""Hostile libraries, read path: reading creates and changes nothing, never blocks, and odd values are findings.

Every case runs the real CLI as a process with a time bound, on a real SQLite library built into
tmp_path, and hashes and lists the library folder before and after.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, edit, synthetic_refs
from tests.hostile.common import Untouched, endnoted, no_traceback, one_line_error

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX permissions and FIFOs")


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    return build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(30), last_sync=days_ago(0.1)))


def database_of(enl: Path) -> Path:
    return enl.with_suffix(".Data") / "sdb" / "sdb.eni"


def verdict_of(outcome: object) -> dict[str, object]:
    return dict(json.loads(outcome.stdout)["libraries"][0])  # type: ignore[attr-defined]


def to_wal(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    assert not database.with_name("sdb.eni-wal").exists()   # a clean close checkpoints and removes it


# --- WAL mode, read-only folders, long paths: nothing created, nothing changed --------------------

def test_a_wal_library_gets_no_wal_or_shm_from_check_compare_or_backup(tmp_path: Path, synced: Path) -> None:
    to_wal(database_of(synced))
    untouched = Untouched(synced.parent)
    check = endnoted("check", "--json", str(synced), timeout=60)
    assert (check.code, verdict_of(check)["verdict"]) == (0, "in-sync"), check.stderr
    export = tmp_path / "web.ris"
    export.write_text("TY  - JOUR\nTI  - Something else entirely\nER  - \n", encoding="utf-8")
    no_traceback(endnoted("compare", "--force", str(synced), str(export), timeout=60), 4)
    backup = endnoted("backup", "--to", str(tmp_path / "out"), str(synced), timeout=120)
    assert backup.code == 0, backup.stderr
    untouched.check()


LIVE_WAL_WRITER = textwrap.dedent("""
    import sqlite3, sys, time
    from endnoted.demo.builder import register_stand_ins   # plays another program with the WAL open
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    register_stand_ins(db)
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("UPDATE refs SET trash_state = 1 WHERE id <= 3")   # committed, only in the -wal
    print("written", flush=True)
    time.sleep(60)
""")


def test_a_wal_library_with_a_live_writer_is_read_with_its_wal_and_left_alone(synced: Path) -> None:
    to_wal(database_of(synced))
    with edit(database_of(synced)):
        pass   # REINDEX under the stand-ins, so the writer's UPDATE keeps the file sound
    writer = subprocess.Popen([sys.executable, "-c", LIVE_WAL_WRITER, str(database_of(synced))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
        untouched = Untouched(synced.parent)
        check = endnoted("check", "--json", str(synced), timeout=60)
        no_traceback(check, check.code)
        counts = verdict_of(check)["counts"]
        assert isinstance(counts, dict) and counts["trashed"] == 3   # the committed change in the -wal was read
        untouched.check()
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.parametrize("mode", ["rollback", "wal"])
def test_a_library_in_a_read_only_folder_is_read_not_called_damaged(synced: Path, mode: str) -> None:
    if mode == "wal":
        to_wal(database_of(synced))
    folders = [synced.parent, synced.with_suffix(".Data"), database_of(synced).parent]
    untouched = Untouched(synced.parent)
    for folder in folders:
        folder.chmod(0o555)
    try:
        check = endnoted("check", "--json", str(synced), no_dac=True, timeout=60)
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert (check.code, verdict_of(check)["verdict"]) == (0, "in-sync"), check.stderr
    untouched.check()


def test_a_path_of_more_than_511_bytes_is_read(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-folder-name-" + "x" * 60] * 6)
    built = build(tmp_path / "short", LibrarySpec(refs=synthetic_refs(12), last_sync=days_ago(0.1)))
    deep.mkdir(parents=True)
    shutil.move(str(built.with_suffix(".Data")), deep / built.with_suffix(".Data").name)
    shutil.move(str(built), deep / built.name)
    enl = deep / built.name
    assert len(os.fsencode(database_of(enl))) >= 511
    untouched = Untouched(deep)
    check = endnoted("check", "--json", str(enl), timeout=60)
    assert (check.code, verdict_of(check)["verdict"]) == (0, "in-sync"), check.stderr
    assert verdict_of(check)["counts"]["references"] == 12  # type: ignore[index]
    untouched.check()


# --- never blocks ------------------------------------------------------------------------------

def test_a_fifo_database_is_damaged_at_once_for_check_compare_and_backup(tmp_path: Path, synced: Path) -> None:
    database = database_of(synced)
    database.unlink()
    os.mkfifo(database)
    untouched = Untouched(synced.parent)
    check = endnoted("check", "--json", str(synced), timeout=30)
    assert (check.code, verdict_of(check)["verdict"]) == (4, "damaged")
    assert "FIFO" in str(verdict_of(check)["reason"])
    export = tmp_path / "web.ris"
    export.write_text("TY  - JOUR\nTI  - A title\nER  - \n", encoding="utf-8")
    assert "FIFO" in one_line_error(endnoted("compare", str(synced), str(export), timeout=30), 1)
    backup = endnoted("backup", "--to", str(tmp_path / "out"), str(synced), timeout=30)
    assert "FIFO" in one_line_error(backup, 1)
    assert not list((tmp_path / "out").glob(".endnoted-partial-*")) if (tmp_path / "out").exists() else True
    untouched.check()


LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def test_backup_of_an_exclusively_locked_library_gives_up_within_the_bound(tmp_path: Path, synced: Path) -> None:
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(database_of(synced)), "150"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        untouched = Untouched(synced.parent)
        backup = endnoted("backup", "--to", str(tmp_path / "out"), str(synced), timeout=40)
        assert "locked" in one_line_error(backup, 1)
        print(f"backup of a locked library gave up after {backup.seconds:.1f} s")
        assert backup.seconds < 20   # README: about 8 s of tries, then exit 1
        assert not list((tmp_path / "out").iterdir())
        untouched.check()
    finally:
        locker.kill()
        locker.wait()


# --- values EndNote never writes: findings, not exceptions ----------------------------------------

def _misc(database: Path, subcode: int, value: bytes) -> None:
    with edit(database) as connection:
        connection.execute("UPDATE misc SET value = ? WHERE code = 6 AND subcode = ?", (value, subcode))


@pytest.mark.parametrize("value", [b"99999999999999999999", b"-99999999999999", b"yesterday", b""])
def test_an_impossible_last_sync_time_is_unknown_not_a_crash(synced: Path, value: bytes) -> None:
    _misc(database_of(synced), 41, value)
    untouched = Untouched(synced.parent)
    check = endnoted("check", "--json", str(synced), timeout=60)
    no_traceback(check, 3)
    library = verdict_of(check)
    assert library["verdict"] == "unknown" and "misc 6/41" in str(library["reason"])
    assert "library.odd-values" in {f["code"] for f in library["findings"]}  # type: ignore[attr-defined]
    untouched.check()


@pytest.mark.parametrize(("table", "column"), [("sync", "usn"), ("refs", "record_last_updated"),
                                               ("refs", "added_to_library"), ("sync", "action"),
                                               ("refs", "trash_state"), ("sync", "item_id"), ("sync", "type"),
                                               ("sync", "status")])
def test_text_where_endnote_writes_a_number_is_unknown_not_a_crash(synced: Path, table: str, column: str) -> None:
    with edit(database_of(synced)) as connection:
        connection.execute(f"UPDATE {table} SET {column} = 'not a number' WHERE rowid IN "
                           f"(SELECT rowid FROM {table} LIMIT 2)")
    untouched = Untouched(synced.parent)
    check = endnoted("check", "--json", str(synced), timeout=60)
    no_traceback(check, 3)
    library = verdict_of(check)
    assert library["verdict"] == "unknown" and f"{table}.{column}: 2 rows" in str(library["reason"])
    untouched.check()


def test_bad_utf8_in_the_schema_text_is_read(synced: Path) -> None:
    with edit(database_of(synced)) as connection:
        connection.execute("CREATE VIEW endnoted_probe AS SELECT 1")
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute("UPDATE sqlite_master SET sql = sql || CAST(x'202f2a20ff fe 2a2f' AS TEXT) "
                           "WHERE name = 'endnoted_probe'".replace("ff fe ", "fffe"))
    untouched = Untouched(synced.parent)
    check = endnoted("check", "--json", str(synced), timeout=60)
    no_traceback(check, 0)
    assert verdict_of(check)["verdict"] == "in-sync"
    untouched.check()


def test_a_latin1_byte_in_a_title_is_neither_damaged_nor_refused_for_backup(tmp_path: Path, synced: Path) -> None:
    with edit(database_of(synced)) as connection:
        connection.execute("UPDATE refs SET title = CAST(x'4361666520e9746520' AS TEXT) WHERE id = 1")
    untouched = Untouched(synced.parent)
    check = endnoted("check", "--json", str(synced), timeout=60)
    assert (check.code, verdict_of(check)["verdict"]) == (0, "in-sync"), check.stderr
    backup = endnoted("backup", "--to", str(tmp_path / "out"), str(synced), timeout=120)
    assert backup.code == 0, backup.stderr
    untouched.check()


# --- what cannot be read is said, never skipped -----------------------------------------------

@pytest.mark.parametrize("which", ["Data", "sdb"])
def test_an_unreadable_data_or_sdb_folder_is_damaged_with_why(synced: Path, which: str) -> None:
    folder = synced.with_suffix(".Data") if which == "Data" else database_of(synced).parent
    untouched = Untouched(synced.parent)
    folder.chmod(0)
    try:
        check = endnoted("check", "--json", str(synced), no_dac=True, timeout=60)
        into = endnoted("check", "--json", str(synced.parent), no_dac=True, timeout=60)
    finally:
        folder.chmod(0o755)
    no_traceback(check, 4)
    assert verdict_of(check)["verdict"] == "damaged" and "cannot be read" in str(verdict_of(check)["reason"])
    no_traceback(into, 4)   # check FOLDER: the library is reported, not passed over
    untouched.check()


def test_check_of_a_folder_it_cannot_read_does_not_exit_0(synced: Path) -> None:
    folder = synced.parent
    folder.chmod(0)
    try:
        check = endnoted("check", str(folder), no_dac=True, timeout=60)
    finally:
        folder.chmod(0o755)
    no_traceback(check, 2)   # click itself may refuse the path first ("is not readable"): still exit 2
    assert "cannot look into" in check.stderr or "not readable" in check.stderr


@pytest.mark.parametrize("kind", ["folder", "device", "link-to-fifo"])
def test_a_database_that_is_no_regular_file_is_damaged_at_once(tmp_path: Path, synced: Path, kind: str) -> None:
    database = database_of(synced)
    database.unlink()
    if kind == "folder":
        database.mkdir()
    elif kind == "device":
        database.symlink_to("/dev/zero")   # endless bytes: must be refused, not read
    else:
        os.mkfifo(tmp_path / "elsewhere")
        database.symlink_to(tmp_path / "elsewhere")
    untouched = Untouched(synced.parent)
    check = endnoted("check", "--json", str(synced), timeout=30)
    no_traceback(check, 4)
    assert verdict_of(check)["verdict"] == "damaged"
    backup = endnoted("backup", "--to", str(tmp_path / "out"), str(synced), timeout=30)
    assert backup.code in (1, 2) and "Traceback" not in backup.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    untouched.check()


# --- a stray -wal or -shm beside a rollback-journal database (or the .enl copy) ------------------

@pytest.mark.parametrize("stray", ["sdb.eni-wal zeros", "sdb.eni-wal random", "sdb.eni-shm zeros",
                                   "MyLibrary.enl-wal zeros"])
def test_a_stray_wal_beside_a_rollback_database_gets_no_shm_from_check_compare_or_backup(
        tmp_path: Path, real_copy: object, stray: str) -> None:
    # Found by an attacker on the real EndNote 21 sample: SQLite opens a rollback database in WAL
    # mode as soon as a -wal lies beside it and creates -shm there, even read-only.
    library = real_copy("utsmok-endnote-exporter/en21-synced")  # type: ignore[operator]
    enl = library / "MyLibrary.enl"
    name, content = stray.split()
    beside = (library / name) if name.startswith("MyLibrary") else database_of(enl).with_name(name)
    beside.write_bytes(bytes(4096) if content == "zeros" else os.urandom(10_000))
    untouched = Untouched(library)
    check = endnoted("check", "--json", str(enl), timeout=60)
    no_traceback(check, check.code)
    assert verdict_of(check)["verdict"] not in ("damaged", "unknown"), check.stdout
    untouched.check()
    export = tmp_path / "web.ris"
    export.write_text("TY  - JOUR\nTI  - Something else entirely\nER  - \n", encoding="utf-8")
    no_traceback(endnoted("compare", "--force", str(enl), str(export), timeout=60), 4)
    untouched.check()
    backup = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=120)
    assert backup.code == 0, backup.stderr
    untouched.check()
