"""The lean path of `endnoted status` (cli/quick.py) prints exactly what the click command prints.

Both paths run as real processes of the installed entry point (`python -m endnoted`, whose `main` is the
console script's); ENDNOTED_LEAN=0 forces click. Compared: stdout, stderr and the exit code, byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from endnoted.common import paths
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from endnoted.state.records import StoredReport
from endnoted.state.store import Store

# A stand-in EndNote the daemon "saw" at its last heartbeat: status shows it while the daemon lives.
SEEN = [{"pid": 424242, "name": "EndNote", "started": 1700000000.0, "open_libraries": ["/x/Thesis.enl"]}]


def _endnoted(*args: str, lean: bool) -> tuple[bytes, bytes, int]:
    env = {**os.environ, "ENDNOTED_LEAN": "1" if lean else "0"}
    done = subprocess.run([sys.executable, "-m", "endnoted", *args], env=env, capture_output=True, timeout=120)
    return done.stdout, done.stderr, done.returncode


def _same(*args: str) -> tuple[bytes, bytes, int]:
    """Run both paths; return the click path's output once the lean path's equals it.

    Up to three tries: without a live daemon both paths scan this machine's processes, and other tests
    may start or stop a stand-in EndNote between the two runs. A rendering difference never matches.
    """
    for _ in range(3):
        click_path, lean_path = _endnoted(*args, lean=False), _endnoted(*args, lean=True)
        if lean_path == click_path:
            return click_path
    # On a loaded machine each process can take over a second, so an age counted in seconds ("12 seconds
    # ago") may tick between the two runs every time: then only the ages may differ, nothing else.
    assert _ages_masked(lean_path) == _ages_masked(click_path)
    return click_path


_AGE = re.compile(rb"\b(just now|\d+ seconds? ago|in \d+ seconds?)")


def _ages_masked(outcome: tuple[bytes, bytes, int]) -> tuple[bytes, bytes, int]:
    stdout, stderr, code = outcome
    return _AGE.sub(b"AGE", stdout), _AGE.sub(b"AGE", stderr), code


def _state(tmp_path: Path, libraries: int, *, pid: int | None = None, stopped: bool = False,
           troubled: bool = False, watching: list[int] | None = None) -> None:
    """A state file as the daemon leaves it; `troubled`: lib0 holds a reference changed since its last sync and
    never sent (diverged, exit 4), the others are in sync; `watching`: the daemon's watch set, lib<n> for each n
    (None: not recorded)."""
    with Store(paths.state_db()) as store:
        store.beat(pid=os.getpid() if pid is None else pid, started_at=datetime.now(UTC).isoformat(),
                   version="test", stopped=stopped, endnote=SEEN,
                   watching=None if watching is None else [_lib(tmp_path, n) for n in watching])
        store.record_notifier("test", True, "")
        for n in range(libraries):
            # Some synced long ago: verdicts and exit codes other than in-sync and 0.
            last_sync = days_ago(0.2 if n % 3 else 40)
            refs = synthetic_refs(6, seed=n)
            if troubled and n == 0:
                refs[0] = dataclasses.replace(refs[0], synced=False, updated=int(days_ago(30).timestamp()))
            enl = build(tmp_path / f"lib{n}", LibrarySpec(refs=refs, last_sync=last_sync))
            store.record_pass(StoredReport.from_report(check_library(locate(enl)[0])))


def test_without_a_state_file_both_paths_say_the_same() -> None:
    for args in (("status",), ("status", "--json")):
        stdout, _, code = _same(*args)
        assert code == 5 and b"endnoted check PATH" in stdout


def test_ten_libraries_and_a_live_daemon_print_the_same(tmp_path: Path) -> None:
    _state(tmp_path, 10)
    stdout, _, code = _same("status")
    assert stdout.count(b"My EndNote Library.enl") == 10 and b"/x/Thesis.enl" in stdout
    json_out, _, json_code = _same("status", "--json")
    assert json_code == code and b'"pid": 424242' in json_out


def test_a_daemon_that_is_gone_or_stopped_prints_the_same(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    _state(tmp_path, 3, pid=int(gone.stdout))
    stdout, _, code = _same("status")
    assert code == 5 and b"its process is gone" in stdout
    assert b"/x/Thesis.enl" not in stdout      # the dead daemon's record of EndNote is not shown
    _same("status", "--json")
    _state(tmp_path, 0, stopped=True)
    stdout, _, code = _same("status", "--json")
    assert code == 5 and b"stopped cleanly" in stdout


def test_a_reset_under_way_muted_alerts_and_libraries_sharing_a_name_print_the_same(tmp_path: Path) -> None:
    # The lean text renders the state file's plain rows; these shapes read the fields the records default.
    _state(tmp_path, 2)
    with Store(paths.state_db()) as store:
        store.record_notifier("test", False, "no notification daemon on the session bus")
        run = store.start_reset(str(tmp_path / "lib0" / "My EndNote Library.enl"), "A", str(tmp_path / "web.enl"))
        store.start_reset(str(tmp_path / "lib1" / "My EndNote Library.enl"), "", "")
        store.update_reset(dataclasses.replace(run, step=3), ["step"])
    stdout, _, code = _same("status")
    assert b"A reset is under way for lib0/My EndNote Library.enl: waiting on step 3, situation A" in stdout
    assert b"Alerts CANNOT reach you (test: no notification daemon" in stdout, stdout.decode()
    _same("status", "--json")


def test_a_damaged_state_file_fails_the_same_way() -> None:
    state = paths.state_db()
    state.parent.mkdir(parents=True)
    state.write_bytes(b"this is not a database" * 100)
    for args in (("status",), ("status", "--json")):
        stdout, stderr, code = _same(*args)
        assert code != 0 and stderr.startswith(b"Error: ") and b"damaged" in stderr
    assert b'"error"' in stdout


def _damage(statement: str) -> None:
    """Change the state file as another program would (the sqlite3 shell), outside the store."""
    connection = sqlite3.connect(paths.state_db())
    with connection:
        connection.execute(statement)
    connection.close()


@pytest.mark.parametrize("damage", ["update heartbeat set beat_at = 'garbage'",
                                    "update heartbeat set started_at = '2024-13-45T99:00:00Z'",
                                    "update heartbeat set endnote = '{bad'",
                                    "update heartbeat set watching = '{bad'",
                                    "update heartbeat set watching = '[1, 2]'"])
def test_a_damaged_heartbeat_is_said_in_one_line_the_same_way(tmp_path: Path, damage: str) -> None:
    _state(tmp_path, 2)
    _damage(damage)
    for args in (("status",), ("status", "--json")):
        stdout, stderr, code = _same(*args)
        assert code == 1 and stderr.count(b"\n") == 1 and stderr.startswith(b"Error: the state file "), stderr
        assert b"damaged" in stderr and b"heartbeat" in stderr and b"failed unexpectedly" not in stderr, stderr
    assert b'"error"' in stdout


@pytest.mark.parametrize("damage", ["report = '{bad'", "report = '[1, 2]'", "report = '{}'",
                                    "last_checked = 'garbage'"])
def test_one_damaged_library_record_is_shown_unknown_and_hides_no_other(tmp_path: Path, damage: str) -> None:
    # Each library's row is its own: one another program spoiled says so and the others are shown as they are.
    _state(tmp_path, 3)
    bad = str(tmp_path / "lib1" / "My EndNote Library.enl")
    _damage(f"update libraries set {damage} where path = '{bad}'")
    stdout, stderr, code = _same("status")
    assert stderr == b"" and code == 3, (code, stderr)
    assert all(f"lib{n}/My EndNote Library.enl".encode() in stdout for n in range(3)), stdout.decode()
    assert b"unknown    lib1/My EndNote Library.enl\n  endnoted's record of this library is damaged" in stdout
    json_out, _, json_code = _same("status", "--json")
    assert json_code == 3 and json_out.count(b'"verdict": "unknown"') == 1


def _lib(tmp_path: Path, n: int) -> str:
    return str(tmp_path / f"lib{n}" / "My EndNote Library.enl")


def _watching(tmp_path: Path, numbers: list[int] | None) -> None:
    """The live daemon's next heartbeat, recording its watch set: lib<n> for each n (None: not recorded)."""
    _state(tmp_path, 0, watching=numbers)


def test_libraries_the_live_daemon_no_longer_watches_are_shown_apart_and_do_not_count(tmp_path: Path) -> None:
    # lib0 is diverged (exit 4); lib1 and lib2 are in sync. A daemon that watches only lib1 and lib2 now:
    # lib0's old verdict is shown apart, marked, and no longer decides the exit code.
    _state(tmp_path, 3, troubled=True)
    _, _, code = _same("status")
    assert code == 4
    _watching(tmp_path, [1, 2])
    stdout, _, code = _same("status")
    assert code == 0, stdout.decode()
    text = stdout.decode()
    apart = text.index("The running daemon does not watch these now")
    assert text.index("lib1/My EndNote Library.enl") < apart and text.index("lib2/My EndNote Library.enl") < apart
    assert re.search(r"\n  lib0/My EndNote Library\.enl: not watched now \(last seen [^\n]*\), diverged then\n", text), text
    assert text.count("lib0/My EndNote Library.enl") == 1
    json_out, _, json_code = _same("status", "--json")
    assert json_code == 0
    watched = {lib["path"]: lib["watched"] for lib in json.loads(json_out)["libraries"]}
    assert watched == {str(tmp_path / f"lib{n}" / "My EndNote Library.enl"): n != 0 for n in range(3)}


def test_a_watched_librarys_bad_verdict_still_counts(tmp_path: Path) -> None:
    # Truth first: the diverged library the daemon does watch decides the exit code; unwatched ones do not hide it.
    _state(tmp_path, 3, troubled=True)
    _watching(tmp_path, [0])
    stdout, _, code = _same("status")
    text = stdout.decode()
    assert code == 4 and text.index("diverged   lib0/My EndNote Library.enl") < text.index("does not watch these now")
    assert "lib1/My EndNote Library.enl: not watched now" in text and "lib2/My EndNote Library.enl: not watched now" in text
    json_out, _, json_code = _same("status", "--json")
    assert json_code == 4 and json.loads(json_out)["daemon"]["watching"] == [str(tmp_path / "lib0" / "My EndNote Library.enl")]
    _watching(tmp_path, [])   # a daemon watching nothing now: every verdict is an old one
    stdout, _, code = _same("status")
    assert code == 0 and stdout.count(b": not watched now (last seen") == 3


def test_without_a_current_watch_set_nothing_is_marked(tmp_path: Path) -> None:
    # Not recorded (a daemon older than the watch set, or one still looking at start): every library counts.
    _state(tmp_path, 3, troubled=True)
    _watching(tmp_path, None)
    stdout, _, code = _same("status")
    assert code == 4 and b"not watched" not in stdout
    json_out, _, _ = _same("status", "--json")
    assert {lib["watched"] for lib in json.loads(json_out)["libraries"]} == {None}
    # A stopped daemon watches nothing now: there is no current watch set to compare with, so nothing new is said.
    _state(tmp_path, 0, stopped=True, watching=[1])
    stdout, _, code = _same("status")
    assert code == 5 and b"not watched" not in stdout
    assert all(f"\n{verdict}lib{n}/My EndNote Library.enl\n".encode() in stdout
               for n, verdict in enumerate(("diverged   ", "in-sync    ", "in-sync    "))), stdout.decode()
    json_out, _, _ = _same("status", "--json")
    document = json.loads(json_out)
    assert document["daemon"]["watching"] is None and {lib["watched"] for lib in document["libraries"]} == {None}


def test_a_heartbeat_from_the_future_is_no_sign_of_life(tmp_path: Path) -> None:
    # A live pid but a heartbeat dated 2099: a clock that disagrees, not a daemon alive now.
    _state(tmp_path, 1)
    _damage("update heartbeat set beat_at = '2099-01-01T00:00:00Z'")
    stdout, _, code = _same("status")
    assert code == 5 and b"NOT running" in stdout and b"clock" in stdout and b"last heartbeat in" not in stdout, stdout.decode()
    _same("status", "--json")


# What the lean text path must not import (start-up time, benchmarks/bench_startup.py): the CLI framework, the
# process scanner and the writer's library while the daemon's record will do, and the modules our typed
# records and paths cost (dataclasses brings inspect, ast and dis).
HEAVY = {'click', 'psutil', 'sqlite_utils', 'dataclasses', 'typing', 'pathlib', 'logging', 'platformdirs'}


def test_the_lean_path_imports_neither_click_nor_psutil_nor_sqlite_utils(tmp_path: Path) -> None:
    _state(tmp_path, 2)
    code = ("import sys\nsys.argv = ['endnoted', 'status']\nfrom endnoted.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "[]", done.stderr
    forced = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "ENDNOTED_LEAN": "0"})
    assert "'click'" in forced.stdout.splitlines()[-1], forced.stderr   # the test sees a difference


def test_typed_by_hand_without_an_override_the_lean_path_finds_the_platforms_state_file(tmp_path: Path) -> None:
    # No ENDNOTED_STATE_DIR: a researcher's own terminal. On Linux (and macOS) the convention is computed
    # from the environment (common/statedir.py), so the lean path still imports none of the heavy modules.
    _state(tmp_path, 2)
    xdg = tmp_path / "xdg"
    (xdg / "endnoted").mkdir(parents=True)
    shutil.copy(paths.state_db(), xdg / "endnoted" / "state.db")
    env = {key: value for key, value in os.environ.items() if key not in ("ENDNOTED_STATE_DIR", "STATE_DIRECTORY")}
    env["XDG_STATE_HOME"] = str(xdg)
    code = ("import sys\nsys.argv = ['endnoted', 'status']\nfrom endnoted.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.splitlines()[-1] == "[]", done.stderr
    assert "lib0" in done.stdout or "My EndNote Library" in done.stdout, done.stdout
    assert "No library checked yet" not in done.stdout
