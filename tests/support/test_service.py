"""Service files for all three platforms, and install / install again / uninstall in a temporary HOME."""

from __future__ import annotations

import json
import os
import plistlib
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest

from endnoted.support import autostart
from endnoted.support.autostart import CommandResult
from tests.conftest import run

ODD_HOME = "Jane Doe é 研究"
NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def _systemd_analyze() -> str:
    """systemd-analyze; skip off Linux, fail on Linux when ./scripts/test did not install it."""
    if not sys.platform.startswith("linux"):
        pytest.skip("needs systemd-analyze: Linux only")
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: ./scripts/test installs Debian's systemd package"
    return analyze


@pytest.fixture
def odd_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / ODD_HOME
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


@pytest.fixture
def program(odd_home: Path) -> Path:
    """An executable `endnoted` inside the odd home, as a venv there would have."""
    script = odd_home / "venv 1" / "bin" / "endnoted"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_the_systemd_unit_passes_systemd_analyze_verify(odd_home: Path, program: Path, tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    rendered = autostart.render("linux", home=odd_home, program=program)
    unit = tmp_path / "endnoted.service"
    unit.write_bytes(rendered.content)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    # Documentation= names our man page; verify runs `man` on it, so install the pages as the README says.
    pages = tmp_path / "man"
    assert run("manpage", str(pages / "man1")).exit_code == 0
    result = subprocess.run([analyze, "--user", "verify", str(unit)], capture_output=True, text=True, check=False,
                            env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "MANPATH": str(pages)})
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr   # unknown keys, bad values and missing pages only show here
    text = rendered.content.decode()
    assert f'ExecStart="{program}" run' in text
    for setting in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "WantedBy=default.target", "UMask=0077",
                    "Documentation=man:endnoted(1)\n", "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX",
                    "SystemCallFilter=@system-service", "RestrictSUIDSGID=yes"):
        assert setting in text
    interpreter = autostart.render("linux", home=odd_home, program=Path("/opt/py 3/bin/python3")).content.decode()
    assert 'ExecStart="/opt/py 3/bin/python3" -m endnoted run' in interpreter


def test_a_broken_unit_would_be_caught(odd_home: Path, program: Path, tmp_path: Path) -> None:
    # The verify test is only worth something if systemd-analyze complains about a bad key.
    _systemd_analyze()
    unit = tmp_path / "endnoted.service"
    unit.write_bytes(autostart.render("linux", home=odd_home, program=program).content.replace(
        b"WatchdogSec=60", b"WatchdogSecs=60"))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], capture_output=True, text=True,
                            check=False, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert "WatchdogSecs" in result.stderr


def test_the_launchd_plist_parses_and_has_absolute_paths(odd_home: Path, program: Path) -> None:
    rendered = autostart.render("macos", home=odd_home, program=program, uid=501)
    plist = plistlib.loads(rendered.content)
    assert plist["Label"] == autostart.LABEL
    assert plist["ProgramArguments"] == [str(program), "run"]
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["LimitLoadToSessionType"] == "Aqua"
    assert plist["ProcessType"] == "Background" and plist["ThrottleInterval"] == 30
    assert autostart.MARKER.encode() in rendered.content   # so uninstall knows it is ours
    for key in ("StandardOutPath", "StandardErrorPath"):
        assert Path(plist[key]).is_absolute() and ODD_HOME in plist[key] and "/Library/Logs/endnoted/" in plist[key]
    assert rendered.path == odd_home / "Library/LaunchAgents" / f"{autostart.LABEL}.plist"
    assert ("launchctl", "bootstrap", "gui/501", str(rendered.path)) in rendered.install


def test_the_windows_task_xml_has_the_logon_trigger_restart_and_command(odd_home: Path) -> None:
    pythonw = Path("C:/Users") / ODD_HOME / "venv" / "Scripts" / "python.exe"
    rendered = autostart.render("windows", home=odd_home, program=pythonw, user="LAB\\jdoe")
    assert rendered.content.startswith(b"\xff\xfe")  # UTF-16 with BOM, as schtasks /XML expects
    root = ET.fromstring(rendered.content.decode("utf-16").split("?>", 1)[1])
    trigger = root.find("t:Triggers/t:LogonTrigger", NS)
    assert trigger is not None and trigger.findtext("t:UserId", namespaces=NS) == "LAB\\jdoe"
    assert root.findtext("t:Principals/t:Principal/t:LogonType", namespaces=NS) == "InteractiveToken"
    assert root.findtext("t:Settings/t:RestartOnFailure/t:Count", namespaces=NS) == "10"
    assert root.findtext("t:Settings/t:ExecutionTimeLimit", namespaces=NS) == "PT0S"
    assert root.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=NS) == str(pythonw.with_name("pythonw.exe"))
    assert root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS) == "-m endnoted run"
    assert rendered.install[0][:3] == ("schtasks", "/Create", "/TN")


class Recorder:
    """Stands in for systemctl, which has no user manager in this container (systemd is not PID 1).

    Where a user manager exists the real runner is used instead (see the test below).
    """

    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []

    def __call__(self, command: Sequence[str]) -> CommandResult:
        self.commands.append(tuple(command))
        return CommandResult(tuple(command), 0, "")


def _user_manager_available() -> bool:
    if shutil.which("systemctl") is None:
        return False
    done = subprocess.run(["systemctl", "--user", "is-system-running"], capture_output=True, text=True, check=False)
    return done.returncode == 0 or done.stdout.strip() in ("degraded", "starting")


def test_install_twice_then_uninstall_in_a_temporary_home(odd_home: Path, program: Path) -> None:
    runner = Recorder() if not _user_manager_available() else autostart.run_command
    unit = odd_home / ".config/systemd/user/endnoted.service"
    first = autostart.install("linux", home=odd_home, runner=runner, program=program)
    assert unit.is_file() and first.actions == [f"wrote {unit}"]
    second = autostart.install("linux", home=odd_home, runner=runner, program=program)
    assert second.actions == [f"{unit} is already up to date"]
    assert sorted(p.name for p in unit.parent.iterdir()) == ["endnoted.service"]
    removed = autostart.uninstall("linux", home=odd_home, runner=runner)
    assert not unit.exists() and removed.actions[0] == f"removed {unit}"
    assert not (odd_home / ".config").exists()  # the folders install made are gone too
    if isinstance(runner, Recorder):
        reload_, enable = ("systemctl", "--user", "daemon-reload"), ("systemctl", "--user", "enable", "--now",
                                                                      "endnoted.service")
        assert runner.commands == [reload_, enable, reload_, enable,
                                   ("systemctl", "--user", "disable", "--now", "endnoted.service"), reload_]


def test_install_refuses_to_overwrite_a_file_it_did_not_write(odd_home: Path, program: Path) -> None:
    unit = odd_home / ".config/systemd/user/endnoted.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    with pytest.raises(autostart.EndnotedError, match="not written by endnoted"):
        autostart.install("linux", home=odd_home, runner=Recorder(), program=program)
    assert unit.read_text() == "[Service]\nExecStart=/bin/true\n"


def test_macos_install_and_uninstall_remove_exactly_what_was_written(odd_home: Path, program: Path) -> None:
    runner = Recorder()  # launchctl cannot exist on Linux: its commands are recorded
    report = autostart.install("macos", home=odd_home, runner=runner, program=program)
    plist = odd_home / "Library/LaunchAgents" / f"{autostart.LABEL}.plist"
    assert plist.is_file() and (odd_home / "Library/Logs/endnoted").is_dir() and report.installed
    autostart.uninstall("macos", home=odd_home, runner=runner)
    assert not plist.exists() and not (odd_home / "Library/Logs/endnoted").exists()
    assert not (odd_home / "Library").exists()  # install made Library/LaunchAgents and Library/Logs: all gone
    assert runner.commands[-1][:2] == ("launchctl", "bootout")


def test_cli_dry_run_changes_nothing(odd_home: Path) -> None:
    result = run("service", "install", "--dry-run", "--platform", "linux")
    assert result.exit_code == 0 and "Type=notify" in result.stdout and "systemctl --user enable --now" in result.stdout
    assert not (odd_home / ".config").exists()
    windows = run("service", "install", "--dry-run", "--platform", "windows")
    assert "<LogonTrigger>" in windows.stdout and "schtasks /Create" in windows.stdout


def test_cli_status_says_not_installed(odd_home: Path) -> None:
    data = json.loads(run("service", "status", "--json", "--platform", "linux").stdout)
    assert data["installed"] is False and data["running"] is False


def test_the_launchd_plist_falls_back_to_the_interpreter_with_real_arguments(odd_home: Path) -> None:
    # When no `endnoted` script is found, the installer names the interpreter: it must run `-m endnoted run`.
    python = odd_home / "venv 1" / "bin" / "python3"
    plist = plistlib.loads(autostart.render("macos", home=odd_home, program=python, uid=501).content)
    assert plist["ProgramArguments"] == [str(python), "-m", "endnoted", "run"]


def test_a_dry_run_for_another_platform_fills_in_placeholders_not_this_machines_values(odd_home: Path) -> None:
    mac = autostart.render("macos", home=None)          # home=None: rendering for another machine
    plist = plistlib.loads(mac.content)
    assert plist["ProgramArguments"] == [autostart.PLACEHOLDER_PROGRAM, "run"]
    assert plist["StandardErrorPath"].startswith(autostart.PLACEHOLDER_HOME + "/Library/Logs/endnoted/")
    assert ("launchctl", "bootstrap", "gui/<UID>", str(mac.path)) in mac.install
    windows = autostart.render("windows", home=None)
    root = ET.fromstring(windows.content.decode("utf-16").split("?>", 1)[1])
    assert root.findtext("t:Triggers/t:LogonTrigger/t:UserId", namespaces=NS) == autostart.PLACEHOLDER_SID
    assert root.findtext("t:Principals/t:Principal/t:UserId", namespaces=NS) == autostart.PLACEHOLDER_SID
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=NS) == autostart.PLACEHOLDER_PYTHONW
    assert str(windows.path).startswith("<LOCALAPPDATA>")
    # The CLI renders that way for every platform but this one.
    for platform in sorted({"linux", "macos", "windows"} - {autostart.current_platform()}):
        shown = run("service", "install", "--dry-run", "--platform", platform)
        assert shown.exit_code == 0 and "replace the <PLACEHOLDERS>" in shown.stdout, shown.stderr
        assert ODD_HOME not in shown.stdout and sys.executable not in shown.stdout and "gui/0" not in shown.stdout
        assert str(Path(sys.executable).parent) not in shown.stdout


def test_the_windows_task_names_the_user_by_sid() -> None:
    def whoami(command: Sequence[str]) -> CommandResult:   # stands in for Windows' whoami
        return CommandResult(tuple(command), 0, '"LAB\\jdoe","S-1-5-21-1004336348-1177238915-682003330-512"\r\n')
    assert autostart.windows_user_id(whoami) == "S-1-5-21-1004336348-1177238915-682003330-512"


@pytest.mark.skipif(os.name == "nt", reason="the stand-ins below are shell scripts")
@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_another_platform_is_only_ever_shown_never_installed(odd_home: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    # launchctl and schtasks cannot exist on Linux: stand-ins on PATH record any call, which must not come.
    tools = tmp_path / "tools"
    tools.mkdir()
    called = tmp_path / "called"
    for tool in ("systemctl", "launchctl", "schtasks"):
        (tools / tool).write_text(f"#!/bin/sh\necho {tool} \"$@\" >> '{called}'\n")
        (tools / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    state = Path(os.environ["ENDNOTED_STATE_DIR"])
    for platform in sorted(set(autostart.PLATFORMS) - {autostart.current_platform()}):
        result = run("service", action, "--platform", platform)
        assert result.exit_code == 2, (platform, result.stdout, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "--dry-run" in result.stderr
        assert result.stdout == ""
        shown = run("service", action, "--platform", platform, "--dry-run")
        assert shown.exit_code == 0 and "# would" in shown.stdout
    assert list(odd_home.iterdir()) == [] and not state.exists() and not called.exists()


def test_dry_runs_speak_json_and_change_nothing(odd_home: Path) -> None:
    state = Path(os.environ["ENDNOTED_STATE_DIR"])
    for platform in autostart.PLATFORMS:
        install = json.loads(run("service", "install", "--dry-run", "--json", "--platform", platform).stdout)
        assert install["schema"] == 1 and install["dry_run"] is True and install["commands"] == []
        assert install["platform"] == platform and install["actions"] == [f"would write {install['path']}"]
        assert install["would_run"] == [list(c) for c in autostart.dry_run(platform, home=odd_home).would_run or ()]
        assert install["content"].lstrip("\ufeff").startswith(("[Unit]", "#", "<?xml"))
        uninstall = json.loads(run("service", "uninstall", "--dry-run", "--json", "--platform", platform).stdout)
        removed = f"would remove {uninstall['path']}" if platform != autostart.current_platform() else \
            f"nothing to remove: {uninstall['path']} is not installed"   # odd_home holds no service
        assert uninstall["dry_run"] is True and uninstall["actions"] == [removed]
        assert "content" not in uninstall and uninstall["would_run"]
    assert list(odd_home.iterdir()) == [] and not state.exists()


def test_uninstall_dry_run_says_when_nothing_is_installed(odd_home: Path, program: Path) -> None:
    """"would remove …" read as if the service were installed: a dry run says what is there first."""
    unit = odd_home / ".config/systemd/user/endnoted.service"
    nothing = run("service", "uninstall", "--dry-run", "--platform", autostart.current_platform())
    assert nothing.exit_code == 0
    first = nothing.stdout.splitlines()[0]
    assert "nothing is installed" in first and "would remove nothing" in first
    assert "if the service were installed" in nothing.stdout and "# would run: " in nothing.stdout
    assert not (odd_home / ".config").exists()
    if autostart.current_platform() != "linux":
        return
    autostart.install("linux", home=odd_home, runner=Recorder(), program=program)   # systemctl has no user manager here
    installed = run("service", "uninstall", "--dry-run").stdout
    assert "nothing is installed" not in installed and f"# would remove {unit}" in installed
    assert unit.is_file()
    unit.write_text("[Service]\nExecStart=/bin/true\n")   # someone else's unit under our name
    foreign = run("service", "uninstall", "--dry-run").stdout
    assert f"# would leave {unit} alone: it was not written by endnoted" in foreign and "would remove" not in foreign
