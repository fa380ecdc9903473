"""Hostile state and privacy: a damaged state file never stops endnoted, and everything of ours is private.

Real processes under a real umask 022; the state file is damaged with real bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.hostile.common import endnoted, no_traceback, one_line_error

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _damage(state_db: Path, how: str) -> None:
    state_db.parent.mkdir(parents=True, exist_ok=True)
    if how == "garbage":
        state_db.write_bytes(b"this is not a database\n" * 500)
    elif how == "foreign-schema":
        with sqlite3.connect(state_db) as other:
            other.execute("CREATE TABLE libraries(something_else TEXT)")
        other.close()
    elif how == "corrupt-pages":
        with sqlite3.connect(state_db) as good:
            good.execute("CREATE TABLE filler(x)")
            good.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
        good.close()
        data = bytearray(state_db.read_bytes())
        data[4096:4096 * 3] = bytes((i * 31) % 256 for i in range(4096 * 2))
        state_db.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["garbage", "foreign-schema", "corrupt-pages"])
def test_a_damaged_state_file_is_said_in_one_line_and_report_still_works(tmp_path: Path, how: str) -> None:
    state_db = tmp_path / "state" / "state.db"
    _damage(state_db, how)
    for command in (["status"], ["history"]):
        outcome = endnoted(*command, timeout=30)
        if outcome.code != 5:   # a file whose damage is only deeper in may still say "not running"
            assert "damaged" in one_line_error(outcome, 1)
    bundle = tmp_path / "bundle.zip"
    report = endnoted("report", "-o", str(bundle), timeout=60)
    no_traceback(report, 0)
    with zipfile.ZipFile(bundle) as zipped:
        status = json.loads(zipped.read("status.json"))
    assert "damaged" in json.dumps(status) or "error" in status or "daemon" in status


@pytest.mark.parametrize("how", ["garbage", "foreign-schema"])
def test_a_damaged_state_file_is_moved_aside_once_and_a_fresh_one_started(tmp_path: Path, how: str) -> None:
    state_db = tmp_path / "state" / "state.db"
    _damage(state_db, how)
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(5), last_sync=days_ago(0.1)))
    first = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=120)
    assert first.code == 0, first.stderr
    assert first.stderr.count("moved aside") == 1 and "Traceback" not in first.stderr
    assert len(list(state_db.parent.glob("state.db.damaged-*"))) == 1
    second = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=120)
    assert second.code == 0 and "moved aside" not in second.stderr   # said once
    history = endnoted("history", "--json", timeout=30)
    no_traceback(history, 0)


@pytest.mark.parametrize("where", ["is-a-file", "inside-a-file"])
def test_a_state_path_that_cannot_be_a_folder_is_named_not_taken_for_a_first_run(tmp_path: Path, where: str) -> None:
    # ENDNOTED_STATE_DIR (or the default) pointing at a regular file: not "never run", not "nothing recorded".
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("something else\n")
    state = blocker if where == "is-a-file" else blocker / "endnoted"
    env = {"ENDNOTED_STATE_DIR": str(state)}
    for command in (["status"], ["status", "--json"], ["history"], ["history", "--json"]):
        outcome = endnoted(*command, timeout=30, env=env)
        line = one_line_error(outcome, 1)      # README, exit codes: 1 = the state is unusable
        assert f"{blocker} is a file" in line and "ENDNOTED_STATE_DIR" in line, line
        assert "never run" not in line
        if "--json" in command:   # the same error, as JSON, for the script that asked for JSON
            assert json.loads(outcome.stdout)["error"] == {"message": line.removeprefix("Error: "), "exit": 1}
        else:
            assert outcome.stdout == ""
    daemon = endnoted("run", "--no-scan", str(tmp_path / "no-library"), timeout=30, env=env)
    # Its stderr is not a terminal: the line saying where its log goes comes first, then the one error line.
    assert daemon.code == 1 and "Traceback" not in daemon.stderr
    assert [line for line in daemon.stderr.splitlines() if line.startswith("Error: ")] == \
        [daemon.stderr.splitlines()[-1]] and f"{blocker} is a file" in daemon.stderr.splitlines()[-1]
    assert blocker.read_text() == "something else\n"


def test_everything_of_ours_is_private_under_umask_022(tmp_path: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(5, attachments=1), last_sync=days_ago(0.1)))
    state = tmp_path / "state"
    out = tmp_path / "backups"
    assert endnoted("check", str(enl), umask=0o022, timeout=60).code == 0
    done = endnoted("backup", "--to", str(out), str(enl), umask=0o022, timeout=120)
    assert done.code == 0, done.stderr
    folder = endnoted("backup", "--folder", "--to", str(out), str(enl), umask=0o022, timeout=120)
    assert folder.code == 0, folder.stderr
    # The daemon's lock, taken by a real process under the same umask.
    taker = ("import sys; from pathlib import Path; from endnoted.state.locking import FileLock; "
             "FileLock(Path(sys.argv[1]), 'x').acquire()")
    subprocess.run([sys.executable, "-c", taker, str(state / "daemon.lock")], check=True, timeout=30,
                   preexec_fn=lambda: os.umask(0o022))
    assert _mode(state) == 0o700
    for name in ("state.db", "integrity.json", "daemon.lock"):
        assert _mode(state / name) == 0o600, name
    for companion in state.glob("state.db-*"):
        assert _mode(companion) == 0o600, companion.name
    assert _mode(out) == 0o700
    for item in out.rglob("*"):
        assert _mode(item) == (0o700 if item.is_dir() else 0o600), item


def test_a_non_ascii_email_in_a_path_is_redacted_from_the_support_bundle(tmp_path: Path) -> None:
    enl = build(tmp_path / "zoë.müller@uni-köln.de" / "lib", LibrarySpec(refs=synthetic_refs(3),
                                                                          last_sync=days_ago(0.1)))
    (tmp_path / "config.toml").write_text(f'libraries = ["{enl}"]\n', encoding="utf-8")
    bundle = tmp_path / "bundle.zip"
    assert endnoted("report", "-o", str(bundle), timeout=60).code == 0
    with zipfile.ZipFile(bundle) as zipped:
        text = "".join(zipped.read(name).decode("utf-8") for name in zipped.namelist())
    assert "müller" not in text and "uni-köln" not in text and "zoë" not in text


# --- the state folder on a full disk, or something other than a file at its paths -------------

def test_run_with_the_state_folder_on_a_full_disk_says_so_in_one_line(tmp_path: Path, small_disk: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(5), last_sync=days_ago(0.1)))
    (small_disk / "filler").write_bytes(bytes(shutil.disk_usage(small_disk).free))
    for state in (small_disk / "state", small_disk):   # a new folder (no room for it), and one that exists
        daemon = endnoted("run", "--no-scan", str(enl), timeout=60, env={"ENDNOTED_STATE_DIR": str(state)})
        assert daemon.code == 1 and "Traceback" not in daemon.stderr and "unexpectedly" not in daemon.stderr
        errors = [line for line in daemon.stderr.splitlines() if line.startswith("Error: ")]
        assert errors == [daemon.stderr.splitlines()[-1]], daemon.stderr
        assert f"the disk holding endnoted's state folder {state} is full" in errors[0], errors[0]


def test_the_state_file_filling_its_disk_while_the_daemon_runs_is_said_not_a_silent_loop(
        tmp_path: Path, small_disk: Path) -> None:
    # The state file was made while there was room; then the disk filled. The daemon says why in
    # one line and exits 1, within a bounded time: never a crash with a traceback, never a hang.
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(5), last_sync=days_ago(0.1)))
    env = {"ENDNOTED_STATE_DIR": str(small_disk)}
    assert endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=120, env=env).code == 0
    (small_disk / "filler").write_bytes(bytes(shutil.disk_usage(small_disk).free))
    daemon = endnoted("run", "--no-scan", str(enl), timeout=60, env=env)
    assert daemon.code == 1 and "Traceback" not in daemon.stderr and "unexpectedly" not in daemon.stderr
    assert "is full" in daemon.stderr.splitlines()[-1], daemon.stderr


@pytest.mark.parametrize("name", ["state.db", "daemon.lock"])
def test_a_fifo_at_a_state_path_is_refused_never_waited_on(tmp_path: Path, name: str) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.mkfifo(state / name)
    commands = [["status"], ["history"], ["run", "--no-scan", str(tmp_path / "none")]] if name == "state.db" \
        else [["run", "--no-scan", str(tmp_path / "none")]]
    for command in commands:
        outcome = endnoted(*command, timeout=20)
        assert outcome.code == 1 and "Traceback" not in outcome.stderr, outcome.stderr
        last = outcome.stderr.splitlines()[-1]
        assert last.startswith("Error: ") and f"{state / name} is a FIFO, not a regular file" in last, last
    assert stat.S_ISFIFO((state / name).stat().st_mode)   # left where it was


# --- author names never reach the state file -----------------------------------------------------

def _surnames(enl: Path) -> set[str]:
    """Every author's surname in a library, read from its own database (authors are one a line)."""
    sdb = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    with sqlite3.connect(f"file:{sdb}?mode=ro", uri=True) as db:
        fields = [row[0] for row in db.execute(
            "SELECT author || char(13) || secondary_author || char(13) || tertiary_author FROM refs")]
    db.close()
    names = {name.strip() for field in fields for name in field.replace("\r", "\n").split("\n")}
    return {name.split(",")[0].strip() for name in names if name} - {""}


def test_a_daemon_pass_keeps_no_author_name_in_the_state_file(real_copy: object, tmp_path: Path) -> None:
    # Policy (README, "The daemon": reads only what changed): titles, years and DOIs of the few references a finding
    # names may be kept for their owner; author names never are. This library's findings name
    # references with authors (missing files, duplicates, a stuck sync), so every one would show.
    import re
    import signal
    import time
    folder = real_copy("utsmok-endnote-exporter/en21-synced")  # type: ignore[operator]
    enl = folder / "MyLibrary.enl"
    surnames = _surnames(enl)
    sdb = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    with sqlite3.connect(f"file:{sdb}?mode=ro", uri=True) as db:
        kept = " ".join(f"{title} {year}" for title, year in db.execute("SELECT title, year FROM refs"))
    db.close()
    kept += f" {enl}"
    # A surname that is also a word of a title or of the path may rightly be there as that word.
    words = set(re.findall(r"\w+", kept))
    checked = {name for name in surnames if len(name) >= 3 and name not in words}
    assert len(checked) > 100   # the test has teeth: this library has hundreds of authors
    state = tmp_path / "state"
    daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (state / "state.db").exists():
                with sqlite3.connect(f"file:{state / 'state.db'}?mode=ro", uri=True) as db:
                    try:
                        if db.execute("SELECT count(*) FROM libraries WHERE report IS NOT NULL").fetchone()[0]:
                            break
                    except sqlite3.OperationalError:
                        pass
                db.close()
            time.sleep(0.1)
        else:
            raise AssertionError("no pass stored within 60 s")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        daemon.kill()
        daemon.wait()
    # The state file with its -wal, and everything else the daemon wrote beside it (its log too).
    ours = sorted(path for where in (state, tmp_path / "data") for path in where.rglob("*") if path.is_file())
    assert state / "state.db" in ours
    text = b"".join(path.read_bytes() for path in ours).decode("utf-8", "replace")
    assert "Introduction to Multimodal Scene Understanding" in text   # a named reference's title is kept
    found = sorted(name for name in checked if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text))
    assert found == [], f"author surnames in the state file: {found[:10]}"
