"""Hostile timing: the library moves, or a `-wal` appears, in the middle of a real command.

Each case runs the real CLI (or the real daemon) as a process; "another program" acts at one exact
moment, chosen by an audit hook that watches the child's own file operations (common.py,
`endnoted_racing`), so the race is met every time instead of by luck. The library is hashed and
listed before and after.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.hostile.common import Untouched, endnoted, endnoted_racing, no_traceback, one_line_error

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX renames under open files")


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    return build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(30, attachments=2), last_sync=days_ago(0.1)))


def _rename_library(enl: Path, to: str) -> str:
    """Python source that renames the library (its .enl and .Data) as a user would in the Finder."""
    data = enl.with_suffix(".Data")
    return (f"os.rename({str(data)!r}, {str(data.with_name(to + '.Data'))!r}); "
            f"os.rename({str(enl)!r}, {str(enl.with_name(to + '.enl'))!r})")


def _untouched_after_rename(enl: Path, to: str, before: Untouched) -> None:
    """The renamed library holds exactly the bytes it held before: nothing was written while it moved."""
    moved = {path.replace(f"{enl.stem}.Data", f"{to}.Data").replace(f"{enl.stem}.enl", f"{to}.enl"): digest
             for path, digest in before.hashes.items()}
    from tests.conftest import tree_hash
    assert tree_hash(enl.parent) == moved


# --- 1. the library goes away while `check` reads it ---------------------------------------------

@pytest.mark.parametrize("moment", ["sqlite3.connect", "sqlite3.connect/handle"])
def test_a_library_renamed_while_check_reads_it_is_one_line_exit_2_never_damaged(synced: Path, moment: str) -> None:
    # Before the database opens (SQLite would say "unable to open", once called damaged) and just
    # after (the structural-check memo looked at a file no longer there: "failed unexpectedly").
    before = Untouched(synced.parent)
    outcome, acted = endnoted_racing(moment, "", _rename_library(synced, "Renamed"), "check", str(synced))
    assert acted
    line = one_line_error(outcome, 2)   # README: as for a library that is not there
    assert "went away while endnoted read it" in line and "damaged" not in line, line
    _untouched_after_rename(synced, "Renamed", before)


def test_a_folder_check_goes_on_with_the_others_when_one_library_is_renamed_while_read(tmp_path: Path) -> None:
    # Two libraries in one folder; the first is renamed just after its database opens. As for a
    # path without a library (README), that one is a warning and the other is still judged.
    folder = tmp_path / "libraries"
    first = build(folder / "First", LibrarySpec(refs=synthetic_refs(12), last_sync=days_ago(0.1)))
    second = build(folder / "Second", LibrarySpec(refs=synthetic_refs(20), last_sync=days_ago(0.1)))
    alone = endnoted("check", "--json", str(second))
    outcome, acted = endnoted_racing("sqlite3.connect", "/First/", _rename_library(first, "Renamed"),
                                     "check", "--json", str(folder))
    assert acted
    assert outcome.code == alone.code == 0, outcome
    assert [item["path"] for item in json.loads(outcome.stdout)["libraries"]] == [str(second)]
    warning = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and warning[0].startswith("Warning: ") and "went away while endnoted read it" in warning[0]
    assert str(first.with_suffix(".Data")) in warning[0] and "damaged" not in warning[0]
    no_traceback(outcome, 0)


def test_a_folder_check_whose_every_library_is_renamed_while_read_is_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "libraries"
    only = build(folder / "Only", LibrarySpec(refs=synthetic_refs(12), last_sync=days_ago(0.1)))
    outcome, acted = endnoted_racing("sqlite3.connect", "/Only/", _rename_library(only, "Renamed"),
                                     "check", str(folder))
    assert acted
    assert "went away while endnoted read it" in one_line_error(outcome, 2)


def test_a_library_renamed_while_the_daemon_reads_it_is_gone_not_an_error(tmp_path: Path, synced: Path) -> None:
    # The daemon's first pass, renamed just after the database opened: "library-gone", never a
    # logged traceback or a check-failed event.
    state_db = Path(os.environ["ENDNOTED_STATE_DIR"]) / "state.db"
    daemon = subprocess.Popen(
        [sys.executable, "-c", _DAEMON_RACE, _rename_library(synced, "Renamed"), "run", "--no-scan", str(synced)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        events: list[str] = []
        while time.monotonic() < deadline and "library-gone" not in events:
            time.sleep(0.2)
            events = _events(state_db)
    finally:
        daemon.terminate()
        _, stderr = daemon.communicate(timeout=30)
    assert "library-gone" in events, (events, stderr)
    assert "check-failed" not in events
    assert "Traceback" not in stderr and "FileNotFoundError" not in stderr


# The daemon reads a library through `read_transaction`: the first connection whose URI names
# sdb.eni is the library's (the state file is state.db). Just after it opens, the library is renamed.
_DAEMON_RACE = """
import os, runpy, shutil, sys
from pathlib import Path
action = sys.argv[1]
fired = [False]
def hook(name, args):
    if not fired[0] and name == "sqlite3.connect" and args and "sdb.eni" in str(args[0]):
        fired[0] = True
        exec(action, {"os": os, "shutil": shutil, "Path": Path})
sys.addaudithook(hook)
sys.argv = ["endnoted", *sys.argv[2:]]
runpy.run_module("endnoted", run_name="__main__", alter_sys=True)
"""


def _events(state_db: Path) -> list[str]:
    if not state_db.exists():
        return []
    try:
        with sqlite3.connect(f"{state_db.as_uri()}?mode=ro", uri=True, timeout=1) as db:
            return [row[0] for row in db.execute("SELECT kind FROM events")]
    except sqlite3.Error:
        return []


# --- 2. the library goes away while `backup` copies it ------------------------------------------

def test_a_library_renamed_while_backup_copies_it_keeps_no_backup_and_says_so(tmp_path: Path, synced: Path) -> None:
    # Renamed after the database was copied, before the attachments and the .enl were taken: a
    # backup "proven" then would lack what the library had. Nothing is kept; one line says why.
    before = Untouched(synced.parent)
    out = tmp_path / "out"
    outcome, acted = endnoted_racing("sqlite3.connect", "copy.Data", _rename_library(synced, "Renamed"),
                                     "backup", "--to", str(out), str(synced))
    assert acted
    line = one_line_error(outcome, 2)
    assert "went away" in line and "nothing was kept" in line, line
    assert not list(out.glob("*.enlx")) and not list(out.glob(".endnoted-partial-*"))
    _untouched_after_rename(synced, "Renamed", before)


def test_a_library_whose_enl_holding_more_vanishes_mid_backup_is_not_backed_up_without_it(
        tmp_path: Path, real_copy: Callable[[str], Path]) -> None:
    # utsmok-endnote-exporter: MyLibrary.enl holds 6 references its sdb.eni lacks, so a backup must
    # carry it (docs/ENDNOTE-RULES.md R6). Renamed mid-backup, it was once left out without a word.
    folder = real_copy("utsmok-endnote-exporter/en21-synced")
    enl = folder / "MyLibrary.enl"
    out = tmp_path / "out"
    outcome, acted = endnoted_racing("sqlite3.connect", "copy.Data", _rename_library(enl, "Renamed"),
                                     "backup", "--no-attachments", "--to", str(out), str(enl), timeout=120)
    assert acted
    assert "went away" in one_line_error(outcome, 2)
    assert not list(out.glob("*.enlx"))


# --- 9. a -wal appears between the look and the open --------------------------------------------

@pytest.mark.parametrize("wal", [b"", bytes(4096)], ids=["empty-wal", "zeroed-wal"])
def test_a_wal_appearing_as_check_opens_the_library_creates_nothing_beside_it(synced: Path, wal: bytes) -> None:
    database = synced.with_suffix(".Data") / "sdb" / "sdb.eni"
    plain = endnoted("check", "--json", str(synced), timeout=60)
    assert plain.code == 0, plain.stderr
    wal_path = database.with_name("sdb.eni-wal")
    action = f"Path({str(wal_path)!r}).write_bytes({wal!r})"
    # "sqlite3.connect" is raised just before SQLite opens the file: after endnoted looked beside it.
    outcome, acted = endnoted_racing("sqlite3.connect", "sdb.eni", action, "check", "--json", str(synced))
    assert acted
    no_traceback(outcome, 0)
    reading = json.loads(outcome.stdout)["libraries"][0]
    assert reading["verdict"] == "in-sync" and reading["counts"] == json.loads(plain.stdout)["libraries"][0]["counts"]
    beside = sorted(p.name for p in database.parent.iterdir())
    assert beside == ["pdb.eni", "sdb.eni", "sdb.eni-wal"], beside   # only what "the other program" made
    assert wal_path.read_bytes() == wal


@pytest.mark.parametrize("form", ["enlx", "folder"])
def test_an_attachment_deleted_while_backup_copies_is_left_out_and_said(tmp_path: Path, synced: Path, form: str) -> None:
    # Deleted by "another program" the moment the backup opens it: the backup is still made and
    # proven without it, and the log says which file went, in both forms (the folder copy once
    # passed over it without a word).
    pdf = synced.with_suffix(".Data") / "PDF"
    victim = sorted(path for path in pdf.rglob("*") if path.is_file())[0]
    out = tmp_path / "out"
    outcome, acted = endnoted_racing("open", str(victim), f"os.remove({str(victim)!r})", "-v", "backup",
                                     *(["--folder"] if form == "folder" else []), "--to", str(out), str(synced))
    assert acted
    no_traceback(outcome, 0)
    assert f"attachment {victim} vanished during the backup" in outcome.stderr, outcome.stderr
    made = list(out.iterdir())
    assert len(made) == 1
