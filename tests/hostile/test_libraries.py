"""Hostile libraries: bad input gets one clear line and the documented exit code, never a traceback, and nothing is written."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, edit, synthetic_refs
from tests.conftest import run, tree_hash


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    return build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(30), last_sync=days_ago(0.1)))


def database_of(enl: Path) -> Path:
    return enl.with_suffix(".Data") / "sdb" / "sdb.eni"


def assert_one_line_error(result: object, code: int) -> str:
    assert result.exit_code == code  # type: ignore[attr-defined]
    stderr = result.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and "Traceback" not in result.stdout  # type: ignore[attr-defined]
    assert len(stderr.splitlines()) == 1 and stderr.startswith("Error: ")
    return stderr


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    message = assert_one_line_error(run("check", str(tmp_path / "nope.enl")), 2)
    assert "nothing at" in message and "nope.enl" in message


def test_a_folder_without_a_library_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no EndNote library in" in assert_one_line_error(run("check", str(tmp_path / "empty")), 2)


def test_an_enl_without_its_data_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Lonely.enl").write_bytes(b"Eds1")
    assert "has no Lonely.Data folder" in assert_one_line_error(run("check", str(tmp_path / "Lonely.enl")), 2)


def test_a_file_that_is_no_library_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert_one_line_error(run("check", str(tmp_path / "notes.txt")), 2)


def _damage(database: Path, how: str) -> None:
    data = database.read_bytes()
    if how == "zero-byte":
        database.write_bytes(b"")
    elif how == "truncated":
        database.write_bytes(data[: len(data) // 2 + 100])
    elif how == "not-sqlite":
        database.write_bytes(b"This is not a database at all, just text.\n" * 200)
    elif how == "corrupt-pages":
        page = int.from_bytes(data[16:18], "big")
        middle = (len(data) // page) // 2
        garbage = bytes((i * 37) % 251 for i in range(page * 2))
        database.write_bytes(data[: middle * page] + garbage + data[(middle + 2) * page:])


@pytest.mark.parametrize("how", ["zero-byte", "truncated", "not-sqlite", "corrupt-pages"])
def test_a_damaged_database_is_reported_damaged_with_exit_4(synced: Path, how: str) -> None:
    _damage(database_of(synced), how)
    before = tree_hash(synced.parent)
    result = run("check", "--json", str(synced))
    assert tree_hash(synced.parent) == before
    assert result.exit_code == 4 and "Traceback" not in result.output
    library = json.loads(result.stdout)["libraries"][0]
    assert library["verdict"] == "damaged"
    assert library["reason"] and library["next_action"]
    assert "library.damaged" in {f["code"] for f in library["findings"]}


def test_a_compressed_library_that_is_not_a_zip_is_damaged(tmp_path: Path) -> None:
    fake = tmp_path / "Backup.enlx"
    fake.write_bytes(b"PK\x03\x04 but then nothing sensible" * 10)
    result = run("check", "--json", str(fake))
    assert result.exit_code == 4
    assert json.loads(result.stdout)["libraries"][0]["verdict"] == "damaged"


def test_a_data_folder_without_a_database_is_damaged(synced: Path) -> None:
    database_of(synced).unlink()
    result = run("check", "--json", str(synced))
    assert result.exit_code == 4
    assert json.loads(result.stdout)["libraries"][0]["verdict"] == "damaged"


def test_a_database_of_another_program_is_unknown(synced: Path) -> None:
    database = database_of(synced)
    database.unlink()
    with sqlite3.connect(database) as other:
        other.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)")
    other.close()
    result = run("check", "--json", str(synced))
    library = json.loads(result.stdout)["libraries"][0]
    assert (result.exit_code, library["verdict"]) == (3, "unknown")


LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("ROLLBACK")
""")


def _lock(database: Path, seconds: float) -> subprocess.Popen[str]:
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(database), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
    return locker


def test_a_database_that_stays_locked_is_busy_unknown_with_exit_3(synced: Path) -> None:
    locker = _lock(database_of(synced), 30)
    try:
        before = tree_hash(synced.parent)
        result = run("check", "--json", str(synced))
        library = json.loads(result.stdout)["libraries"][0]
        assert (result.exit_code, library["verdict"]) == (3, "unknown")
        assert "library.busy" in {f["code"] for f in library["findings"]}
    finally:
        locker.kill()
        locker.wait()
    assert tree_hash(synced.parent) == before


def test_a_short_lock_is_waited_out(synced: Path) -> None:
    locker = _lock(database_of(synced), 0.5)
    try:
        result = run("check", "--json", str(synced))
        assert json.loads(result.stdout)["libraries"][0]["verdict"] == "in-sync"
    finally:
        locker.wait()


def test_unicode_and_spaces_in_the_path_work(tmp_path: Path) -> None:
    enl = build(tmp_path / "Mes documents é 文献" / "sub folder", LibrarySpec(name="Bibliothèque 研究 v2",
                refs=synthetic_refs(5), last_sync=days_ago(0.1)))
    before = tree_hash(enl.parent)
    result = run("check", "--json", str(enl))
    assert tree_hash(enl.parent) == before
    library = json.loads(result.stdout)["libraries"][0]
    assert (result.exit_code, library["verdict"], library["counts"]["references"]) == (0, "in-sync", 5)


def test_an_unreadable_database_is_damaged_not_a_crash(synced: Path) -> None:
    database = database_of(synced)
    database.chmod(0)
    command = [sys.executable, "-m", "endnoted", "check", "--json", str(synced)]
    if os.geteuid() == 0:
        # root reads any file; without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH it obeys the mode like a user.
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        database.chmod(0o644)
    assert "Traceback" not in result.stderr
    assert result.returncode == 4, result.stderr
    library = json.loads(result.stdout)["libraries"][0]
    assert library["verdict"] == "damaged" and "cannot be read" in library["reason"]


def test_a_bad_config_file_names_every_problem(tmp_path: Path, synced: Path) -> None:
    (tmp_path / "config.toml").write_text('stale_after_hours = "soon"\nwhatever = 1\n')
    message = assert_one_line_error(run("check", str(synced)), 1)
    assert "stale_after_hours" in message and "whatever" in message


def test_no_paths_is_a_click_usage_error() -> None:
    result = run("check")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_locked_check_takes_bounded_time(synced: Path, real_copy: Callable[[str], Path]) -> None:
    locker = _lock(database_of(synced), 30)
    try:
        started = time.monotonic()
        run("check", str(synced))
        assert time.monotonic() - started < 10
    finally:
        locker.kill()
        locker.wait()


def test_a_closed_pipe_ends_quietly() -> None:
    # `endnoted ... | head`: the reader leaves early; no error line, no traceback.
    child = subprocess.Popen([sys.executable, "-m", "endnoted", "service", "install", "--dry-run", "--platform",
                              "windows"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0
    assert stderr == ""


def test_corruption_after_a_clean_check_is_still_found(synced: Path) -> None:
    # The structural check is remembered for unchanged files; a write that damages pages changes the file.
    assert json.loads(run("check", "--json", str(synced)).stdout)["libraries"][0]["verdict"] == "in-sync"
    memo = json.loads((Path(os.environ["ENDNOTED_STATE_DIR"]) / "integrity.json").read_text())
    assert str(database_of(synced).resolve()) in memo or str(database_of(synced)) in memo
    _damage(database_of(synced), "corrupt-pages")
    library = json.loads(run("check", "--json", str(synced)).stdout)["libraries"][0]
    assert library["verdict"] == "damaged"


def test_the_integrity_memo_expires(tmp_path: Path, synced: Path) -> None:
    from endnoted.reading.integrity import MAX_AGE_SECONDS, IntegrityMemo, identity
    memo = IntegrityMemo(tmp_path / "memo.json")
    database = database_of(synced)
    memo.remember(database, identity(database))
    assert memo.passed(database, identity(database))
    assert not memo.passed(database, identity(database), now=time.time() + MAX_AGE_SECONDS + 1)


CRASHING_WRITER = textwrap.dedent("""
    import sqlite3, sys, time
    from endnoted.demo.builder import register_stand_ins   # plays EndNote, which then crashes mid-save
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    register_stand_ins(db)
    db.execute("PRAGMA cache_size = 2")               # changed pages reach the file before any commit
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE refs SET title = title || ' (being edited when EndNote crashed)'")
    print("mid-write", flush=True)
    time.sleep(60)
""")


def test_a_write_cut_off_by_a_crash_is_not_called_damaged(tmp_path: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3000), last_sync=days_ago(0.1)))
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(database_of(enl))],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "mid-write"
    writer.kill()
    writer.wait()
    assert database_of(enl).with_name("sdb.eni-journal").exists()
    before = tree_hash(enl.parent)
    result = run("check", "--json", str(enl))
    library = json.loads(result.stdout)["libraries"][0]
    assert (result.exit_code, library["verdict"]) == (3, "unknown")
    assert "library.interrupted-write" in {f["code"] for f in library["findings"]}
    assert "Open the library in EndNote once" in library["next_action"]
    backup = run("backup", "--to", str(tmp_path / "out"), str(enl))
    assert backup.exit_code == 1 and "unfinished write" in assert_one_line_error(backup, 1)
    assert not list((tmp_path / "out").glob("*.enlx"))
    assert tree_hash(enl.parent) == before    # the journal is EndNote's to roll back, never ours


# --- a sync ledger that lost part of its record is unknown, never not-synced or in-sync ------------

LEDGER_CUTS = {
    "no sync table": "DROP TABLE sync",
    "no last-sync rows": "DELETE FROM misc WHERE code = 6 AND subcode IN (41, 42)",
    "no last sync number": "DELETE FROM misc WHERE code = 6 AND subcode = 42",
    "no last-sync time": "DELETE FROM misc WHERE code = 6 AND subcode = 41",
}


@pytest.mark.parametrize("cut", sorted(LEDGER_CUTS))
def test_a_synced_library_whose_ledger_lost_a_part_is_unknown(real_copy: Callable[[str], Path], cut: str) -> None:
    # The attacker dropped `sync` from the real EndNote 21 sample, whose misc 6/41 and 6/42 still
    # record a 2025 sync: endnoted said `not-synced`, exit 0. Every real synced sample holds the
    # table and all three misc rows (docs/ENDNOTE-RULES.md R11).
    library = real_copy("utsmok-endnote-exporter/en21-synced")
    enl = library / "MyLibrary.enl"
    with edit(database_of(enl)) as connection:
        connection.execute(LEDGER_CUTS[cut])
    before = tree_hash(library)
    started = time.monotonic()
    result = run("check", "--json", str(enl))
    assert time.monotonic() - started < 60
    assert "Traceback" not in result.stderr + result.stdout
    report = json.loads(result.stdout)["libraries"][0]
    codes = {finding["code"] for finding in report["findings"]}
    assert (result.exit_code, report["verdict"]) == (3, "unknown"), (report["verdict"], sorted(codes))
    assert "sync.ledger-incomplete" in codes and "sync.not-configured" not in codes
    reason = next(f["message"] for f in report["findings"] if f["code"] == "sync.ledger-incomplete")
    assert ("sync table is missing" in reason) == (cut == "no sync table")
    assert tree_hash(library) == before


@pytest.mark.parametrize("shape", ["one-long-name", "deep"])
def test_a_path_too_long_for_the_filesystem_is_a_usage_error_in_one_short_line(tmp_path: Path, synced: Path,
                                                                                shape: str) -> None:
    from tests.hostile.common import endnoted, one_line_error
    long = tmp_path / ("a" * 5000) if shape == "one-long-name" else tmp_path.joinpath(*["a"] * 3000)
    before = tree_hash(synced.parent)
    for args in (["check", str(long)], ["verify", f"{long}.enlx"], ["backup", "--to", str(long), str(synced)],
                 ["restore", "--to", str(long), str(long)], ["compare", str(synced), str(long)]):
        line = one_line_error(endnoted(*args, timeout=60), 2)
        assert "too long" in line and len(line) < 400, (args[0], line[:300])
    assert tree_hash(synced.parent) == before
