"""`endnoted doctor`: every check can hold and can fail, with the OS boundary passed in (never patched).

The notification check runs against the real recording server on a private D-Bus (Linux); the
service manager is recorded (systemd is not PID 1 here); /proc is a folder with the one file read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from endnoted.running.notify import DBusNotifier
from endnoted.support import autostart, doctor
from endnoted.support.autostart import CommandResult
from endnoted.support.doctor import Machine
from tests.conftest import run
from tests.notify_bus import notification_server, private_bus


def service_manager(command: Sequence[str]) -> CommandResult:
    """Stands in for systemctl --user (no user manager here): the unit is enabled and active."""
    answer = {"is-enabled": "enabled", "is-active": "active"}.get(command[2], "") if command[0] == "systemctl" else ""
    return CommandResult(tuple(command), 0, answer)


def _machine(tmp_path: Path, home: Path, **changes: object) -> Machine:
    proc = tmp_path / "proc"
    (proc / "sys/fs/inotify").mkdir(parents=True, exist_ok=True)
    (proc / "sys/fs/inotify/max_user_watches").write_text("65536\n")
    settings: dict[str, object] = dict(platform="linux", home=home, runner=service_manager,
                                       notifier=lambda: DBusNotifier(timeout=3), ask=lambda question: True,
                                       which=lambda name: "/usr/bin/xterm" if name == "xterm" else None, env={},
                                       browser=lambda: True, proc=proc, encoding="utf-8")
    settings.update(changes)
    return Machine(**settings)  # type: ignore[arg-type]


@pytest.fixture
def healthy(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed unit, a private state folder, the Downloads folder, a notification server."""
    autostart.install("linux", home=isolated_home, runner=service_manager, program=Path("/usr/bin/endnoted"))
    state = tmp_path / "state"
    state.chmod(0o700)
    for item in state.rglob("*"):
        item.chmod(0o700 if item.is_dir() else 0o600)
    (isolated_home / "Downloads").mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated_home / ".config"))
    return isolated_home


def test_all_checks_hold_on_a_good_machine(tmp_path: Path, healthy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with private_bus(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        with notification_server(address, tmp_path / "shown.jsonl") as log:
            checks = doctor.run_checks(_machine(tmp_path, healthy))
            shown = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(c.name, c.status) for c in checks] == [
        ("service", "ok"), ("notification", "ok"), ("repair", "ok"), ("config", "ok"), ("folders", "ok"),
        ("console", "ok"), ("permissions", "ok")], checks
    assert doctor.all_hold(checks) and [item["summary"] for item in shown] == [doctor.TEST_TITLE]
    assert "limit 65536" in checks[4].detail


def test_each_check_fails_with_a_fix(tmp_path: Path, healthy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "state" / "loose.txt").write_text("x")
    (tmp_path / "state" / "loose.txt").chmod(0o644)
    (tmp_path / "proc/sys/fs/inotify").mkdir(parents=True)
    with private_bus(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)           # a bus, but no notification server
        machine = _machine(tmp_path, healthy, runner=lambda c: CommandResult(tuple(c), 3, "inactive"),
                           encoding="cp1252", browser=lambda: False)
        (machine.proc / "sys/fs/inotify/max_user_watches").write_text("1\n")
        checks = {check.name: check for check in doctor.run_checks(machine)}
    assert checks["service"].status == "problem" and "not running" in checks["service"].detail
    assert checks["notification"].status == "problem" and "no notification server" in checks["notification"].detail
    assert checks["repair"].status == "problem" and "no web browser" in checks["repair"].detail
    assert checks["console"].status == "warning" and "cp1252" in checks["console"].detail
    assert checks["permissions"].status == "problem" and "loose.txt (644)" in checks["permissions"].detail
    assert checks["folders"].status == "problem" and "limit 1" in checks["folders"].detail
    assert all(check.fix for check in checks.values() if check.status != "ok")


def test_the_user_not_seeing_the_notification_is_a_problem(tmp_path: Path, healthy: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with private_bus(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        with notification_server(address, tmp_path / "shown.jsonl"):
            check = doctor.check_notification(_machine(tmp_path, healthy, ask=lambda question: False))
    assert check.status == "problem" and "you did not see it" in check.detail


def test_terminal_repair_without_a_terminal_is_a_problem(tmp_path: Path, healthy: Path) -> None:
    settings = doctor.config_module.Config(repair="terminal")
    assert doctor.check_repair(_machine(tmp_path, healthy), settings).status == "ok"
    check = doctor.check_repair(_machine(tmp_path, healthy, which=lambda name: None), settings)
    assert check.status == "problem" and "none was found" in check.detail


def test_the_cli_gives_json_and_exit_3_when_something_needs_fixing(isolated_home: Path) -> None:
    result = run("doctor", "--json", "--no-ask")
    data = json.loads(result.stdout)
    assert result.exit_code == 3 and data["ok"] is False and data["schema"] == 1
    assert [check["name"] for check in data["checks"]] == ["service", "notification", "repair", "config", "folders",
                                                         "console", "permissions"]
    text = run("doctor", "--no-ask")
    assert text.exit_code == 3 and "PROBLEM  service" in text.stdout and "fix: endnoted service install" in text.stdout


def test_without_the_page_the_page_setting_is_a_problem_not_a_terminal(tmp_path: Path, healthy: Path) -> None:
    # repair = "page" (the default) opens `endnoted open` whether or not it can start: say so, not "terminal ok".
    check = doctor.check_repair(_machine(tmp_path, healthy, page=lambda: "starlette is not installed"),
                                doctor.config_module.Config())
    assert check.status == "problem" and "endnoted open" in check.detail and "starlette" in check.detail
    assert 'repair = "terminal"' in check.fix


@pytest.mark.parametrize("mode", ["page", "terminal"])
def test_the_repair_advice_never_recommends_the_setting_in_effect(tmp_path: Path, healthy: Path, mode: str) -> None:
    settings = doctor.config_module.Config(repair=mode)
    broken = {"no page": dict(page=lambda: "uvicorn is not installed"), "no browser": dict(browser=lambda: False),
              "no terminal": dict(which=lambda name: None),
              "nothing works": dict(page=lambda: "jinja2 is not installed", browser=lambda: False,
                                    which=lambda name: None)}
    problems = 0
    for why, changes in broken.items():
        check = doctor.check_repair(_machine(tmp_path, healthy, **changes), settings)
        assert f'repair = "{mode}"' not in check.fix, (why, check)
        problems += check.status == "problem"
        if check.status == "problem" and mode == "terminal":
            assert "terminal" in check.detail, (why, check)
        if check.status == "problem" and mode == "page":
            assert "endnoted open" in check.detail or "browser" in check.detail, (why, check)
    assert problems >= 2   # each mode has failures of its own to report
    # Where the page cannot work either, it is not offered as the way out of a missing terminal.
    stuck = doctor.check_repair(_machine(tmp_path, healthy, page=lambda: "starlette is not installed",
                                         which=lambda name: None), doctor.config_module.Config(repair="terminal"))
    assert stuck.status == "problem" and "repair =" not in stuck.fix


def test_doctor_says_when_the_page_cannot_start_in_this_install(tmp_path: Path, isolated_home: Path) -> None:
    # starlette is hidden from a real subprocess (as in an install without the web stack); nothing of ours
    # is replaced. repair = "page" is the default: the advice is the terminal, never "page" again.
    code = ("import sys; sys.modules['starlette'] = None\n"
            "from endnoted.cli import main; sys.argv = ['endnoted', 'doctor', '--no-ask', '--json']; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus"})
    assert result.returncode == 3, result.stderr
    repair = {check["name"]: check for check in json.loads(result.stdout)["checks"]}["repair"]
    assert repair["status"] == "problem" and "starlette" in repair["detail"], repair
    assert 'repair = "terminal"' in repair["fix"] and 'repair = "page"' not in repair["fix"]


def _running_daemon(tmp_path: Path) -> subprocess.Popen[bytes]:
    """A real foreground daemon (`endnoted run`), once its heartbeat says it is alive."""
    import time

    from endnoted.common import paths
    from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
    from endnoted.state import glance
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(2), last_sync=days_ago(0.1)))
    daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (paths.state_db().exists() and glance.read(paths.state_db(), None, [])["running"]):
        if time.monotonic() > deadline or daemon.poll() is not None:
            daemon.kill()
            raise AssertionError("the daemon did not start")
        time.sleep(0.1)
    return daemon


def test_a_daemon_run_in_the_foreground_is_said_running_not_as_a_service(tmp_path: Path, isolated_home: Path) -> None:
    # No service installed; `endnoted run` in a terminal. The service manager says "not running" (it
    # knows only its own units); the daemon's heartbeat, read as `status` reads it, says otherwise.
    daemon = _running_daemon(tmp_path)
    try:
        inactive = lambda c: CommandResult(tuple(c), 3, "inactive")  # noqa: E731
        check = doctor.check_service(_machine(tmp_path, isolated_home, runner=inactive))
        assert check.status == "warning", check
        assert f"a daemon is running (pid {daemon.pid}, not as a service" in check.detail, check.detail
        assert "not installed" in check.detail and check.fix.startswith("endnoted service install")
        shown = subprocess.run([sys.executable, "-m", "endnoted", "service", "status"], capture_output=True,
                               text=True, timeout=60)
        assert shown.returncode == 0 and f"daemon:    running (pid {daemon.pid}, not as a service" in shown.stdout, \
            shown.stdout
        as_json = subprocess.run([sys.executable, "-m", "endnoted", "service", "status", "--json"],
                                 capture_output=True, text=True, timeout=60)
        assert json.loads(as_json.stdout)["daemon"] == {"running": True, "pid": daemon.pid}
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    after = subprocess.run([sys.executable, "-m", "endnoted", "service", "status", "--json"], capture_output=True,
                           text=True, timeout=60)
    assert json.loads(after.stdout)["daemon"] == {"running": False, "pid": None}


def test_folders_with_nothing_to_watch_say_so_not_about_0_watches_needed(tmp_path: Path, isolated_home: Path) -> None:
    settings = doctor.config_module.Config(libraries=[], export_folders=[])
    check = doctor.check_folders(_machine(tmp_path, isolated_home), settings)
    assert "about 0" not in check.detail and "nothing named to watch" in check.detail, check.detail
    assert "limit 65536" in check.detail
