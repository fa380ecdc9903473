"""Where log lines go: journald with priorities, else a private rotating file; the report carries its tail.

The journal stream is a real file whose device and inode go into JOURNAL_STREAM, as systemd does.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath

import pytest

from endnoted.common import paths
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.running import logs
from endnoted.support.supportbundle import write_bundle


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_under_journald_lines_carry_priorities_and_no_timestamp(tmp_path: Path) -> None:
    with (tmp_path / "journal").open("w+", encoding="utf-8") as stream:
        info = os.fstat(stream.fileno())
        where = logs.setup(0, daemon=True, stream=stream, env={"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"})
        assert where == logs.Placement("journald")
        log = logging.getLogger("endnoted.test")
        log.info("started")
        log.warning("no notification server")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("check failed")
        stream.seek(0)
        lines = stream.read().splitlines()
    assert lines[:3] == ["<6>endnoted.test: started", "<4>endnoted.test: no notification server",
                         "<3>endnoted.test: check failed"]
    assert lines[3].startswith("<3>Traceback") and all(line.startswith("<3>") for line in lines[3:])


def test_an_inherited_journal_stream_is_not_ours(tmp_path: Path) -> None:
    with (tmp_path / "other").open("w") as stream:
        assert not logs.under_journald(stream, {"JOURNAL_STREAM": "8:12345"})
        assert not logs.under_journald(None, {"JOURNAL_STREAM": "8:12345"})


def test_pythonw_has_no_stderr_so_the_daemon_writes_a_private_rotating_file(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    where = logs.setup(0, daemon=True, stream=None, env={}, folder=folder)
    assert where == logs.Placement("file", folder / "endnoted.log")
    log = logging.getLogger("endnoted.test")
    for number in range(logs.MAX_BYTES // 100 + 200):
        log.info("line %06d %s", number, "x" * 80)
    assert (folder / "endnoted.log.1").is_file()           # rotated, not grown for ever
    assert len(list(folder.glob("endnoted.log*"))) <= logs.BACKUPS + 1
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert "line" in logs.tail(folder / "endnoted.log", lines=3)


def test_a_daemon_in_a_terminal_also_logs_to_stderr_and_commands_only_there(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert logs.placement(daemon=True, stream=Terminal(), env={}, folder=tmp_path) == \
        logs.Placement("file", tmp_path / "endnoted.log", also_stderr=True)
    assert logs.placement(daemon=False, stream=Terminal(), env={}, folder=tmp_path) == logs.Placement("stderr")


def test_the_log_folder_per_platform(isolated_home: Path) -> None:
    assert paths.folders("macos").logs.as_posix().endswith("/Library/Logs/endnoted")
    windows = paths.folders("windows", lookup=lambda name: None, env={"USERPROFILE": "C:\\Users\\jane"})
    assert windows.logs == PureWindowsPath("C:\\Users\\jane\\AppData\\Local\\endnoted\\Logs")
    assert str(paths.folders("linux").logs).endswith(".local/state/endnoted/log")


def test_the_start_up_line_names_version_libraries_and_folders() -> None:
    line = logs.startup_line("1.2.3", libraries=[Path("/libs/Thesis.enl")], scan_roots=[Path("/home/j/Dokumente")],
                             export_folders=[Path("/home/j/Herunterladen")], notifier="D-Bus",
                             versions={"python": "3.11.7", "watchdog": "7.1.0"})
    assert line == ("endnoted 1.2.3 starting (python 3.11.7, watchdog 7.1.0); notifier: D-Bus; libraries: "
                    "/libs/Thesis.enl; scanning: /home/j/Dokumente; Web exports from: /home/j/Herunterladen")
    assert set(logs.library_versions()) >= {"python", "watchdog", "platformdirs"}


def test_the_support_bundle_carries_the_redacted_tail_of_the_log(tmp_path: Path, isolated_home: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENDNOTED_LOG_DIR", str(tmp_path / "logs"))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "endnoted.log").write_text(
        f"2026-12-02 10:00:00 WARNING endnoted: cannot read {isolated_home}/Documents/Thesis.enl\n"
        "2026-12-02 10:00:01 INFO endnoted: account someone@example.org\n")
    with zipfile.ZipFile(write_bundle(tmp_path / "bundle.zip")) as bundle:
        tail = bundle.read("log-tail.txt").decode()
    assert "cannot read ~/Documents/Thesis.enl" in tail and "<email>" in tail
    assert str(isolated_home) not in tail and "someone@example.org" not in tail


def test_the_daemon_writes_its_start_up_line_to_its_log_file(tmp_path: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(name="Thesis", refs=synthetic_refs(3), last_sync=days_ago(0.1)))
    folder = tmp_path / "logs"
    env = {**os.environ, "ENDNOTED_LOG_DIR": str(folder), "DBUS_SESSION_BUS_ADDRESS": ""}
    env.pop("JOURNAL_STREAM", None)
    # stderr is a pipe, as under launchd or Task Scheduler: the lines go to the rotating file.
    daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while "starting" not in logs.tail(folder / "endnoted.log") and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=20)
    text = logs.tail(folder / "endnoted.log")
    [line] = [line for line in text.splitlines() if " starting (" in line]
    assert "INFO endnoted.running.runner: endnoted " in line and "watchdog " in line and "platformdirs " in line
    assert f"libraries: {enl}" in line and "notifier: " in line
    if sys.platform.startswith("linux"):
        assert "WARNING endnoted.running.runner: notifications: " in text    # no session bus: said, not hidden
    # Whoever started it (a shell with 2>file, launchd's err log) is told where the log is, in one line.
    assert err == f"endnoted: the daemon logs to {folder / 'endnoted.log'}\n"


def test_under_journald_the_daemon_says_nothing_about_a_log_file(tmp_path: Path) -> None:
    # stderr is the journal stream (a real file whose device and inode are in JOURNAL_STREAM, as systemd
    # sets them): the log is stderr itself, so there is no file to point to.
    enl = build(tmp_path / "lib", LibrarySpec(name="Thesis", refs=synthetic_refs(3), last_sync=days_ago(0.1)))
    journal = tmp_path / "journal"
    with journal.open("w") as stream:
        info = os.fstat(stream.fileno())
        env = {**os.environ, "ENDNOTED_LOG_DIR": str(tmp_path / "logs"), "DBUS_SESSION_BUS_ADDRESS": "",
               "JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}
        daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=stream)
        try:
            deadline = time.monotonic() + 30
            while " starting (" not in journal.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=20)
    text = journal.read_text()
    assert " starting (" in text and text.startswith("<") and "logs to" not in text
    assert not (tmp_path / "logs").exists()
