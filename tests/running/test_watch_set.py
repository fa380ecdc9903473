"""The daemon's watch set, as the user met it: `endnoted run A B C`, stopped, then `endnoted run D E`.

Real daemons as subprocesses on real synthetic libraries in tmp_path; `status`, `libraries` and `doctor`
read the real state file they leave.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.conftest import run, tree_hash
from tests.running.test_daemon import snapshots, wait_for


def _start(*libraries: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", *map(str, libraries)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _stop(daemon: subprocess.Popen[str]) -> None:
    daemon.send_signal(signal.SIGTERM)
    try:
        assert daemon.wait(timeout=30) == 0
    finally:
        daemon.kill()
        daemon.wait()


def _library(folder: Path, name: str, *, diverged: bool = False) -> Path:
    refs = synthetic_refs(5, seed=len(name))
    if diverged:   # changed 3 days ago, never sent, last sync 4 days ago: diverged (exit 4)
        refs[0] = dataclasses.replace(refs[0], synced=False, updated=int(days_ago(3).timestamp()))
    return build(folder / name, LibrarySpec(name=name, refs=refs, last_sync=days_ago(0.2 if not diverged else 4))).resolve()


def _watches(*libraries: Path) -> None:
    """Wait for the daemon's watch set to be these (written with its heartbeat, every 5 s)."""
    wait_for(lambda: json.loads(run("status", "--json").stdout)["daemon"]["watching"] == sorted(map(str, libraries)),
             30, f"the watch set {libraries}")


def test_status_libraries_and_doctor_after_a_restart_with_other_libraries(tmp_path: Path) -> None:
    state = Path(os.environ["ENDNOTED_STATE_DIR"])
    a, b, c = (_library(tmp_path, name, diverged=name == "C") for name in "ABC")
    d, e = (_library(tmp_path, name) for name in "DE")
    before = tree_hash(tmp_path / "C")
    first = _start(a, b, c)
    try:
        wait_for(lambda: all(snapshots(state, lib) for lib in (a, b, c)), 60, "the first daemon's readings")
        _watches(a, b, c)
        assert run("status").exit_code == 4        # C, watched and diverged, counts
    finally:
        _stop(first)
    stopped = run("status", "--json")
    assert stopped.exit_code == 5   # no daemon: no current watch set, nothing marked
    assert {lib["watched"] for lib in json.loads(stopped.stdout)["libraries"]} == {None}

    second = _start(d, e)
    try:
        wait_for(lambda: all(snapshots(state, lib) for lib in (d, e)), 60, "the second daemon's readings")
        _watches(d, e)
        status = run("status")
        document = json.loads(run("status", "--json").stdout)
        assert {lib["path"]: lib["watched"] for lib in document["libraries"]} == {
            str(a): False, str(b): False, str(c): False, str(d): True, str(e): True}
        assert status.exit_code == 0, status.stdout   # C's old diverged verdict no longer counts
        apart = status.stdout.index("The running daemon does not watch these now")
        assert all(status.stdout.index(f"{name}.enl: not watched now (last seen ") > apart for name in "ABC")
        assert status.stdout.index("in-sync    D.enl") < apart and "diverged then" in status.stdout

        listed = run("libraries", "--no-scan")
        assert listed.exit_code == 0 and "No EndNote library found" not in listed.stdout
        assert f"{d}\n  watched by the running daemon" in listed.stdout and str(e) in listed.stdout
        assert str(c) not in listed.stdout
        as_json = json.loads(run("libraries", "--no-scan", "--json").stdout)
        assert [lib["path"] for lib in as_json["libraries"]] == [str(d), str(e)]

        checks = {check["name"]: check for check in json.loads(run("doctor", "--json", "--no-ask").stdout)["checks"]}
        assert checks["folders"]["detail"].startswith("the running daemon watches 2 libraries; the config names 0 "
                                                      "libraries"), checks["folders"]
    finally:
        _stop(second)
    assert tree_hash(tmp_path / "C") == before
    checks = {check["name"]: check for check in json.loads(run("doctor", "--json", "--no-ask").stdout)["checks"]}
    assert checks["folders"]["detail"].startswith("no daemon is running"), checks["folders"]
