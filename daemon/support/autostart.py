"""Installs endnoted as a per-user service: systemd user unit, launchd agent, Windows logon task.

Templates live in `service/` (package `endnoted.service`) and are read through importlib.resources.
Install writes the filled-in file, runs the platform's registration commands, and records what
it wrote in a manifest, so uninstall removes exactly that. Commands run through a `Runner`, the
OS boundary: the real one runs them; tests on a machine without a service manager pass one that
records them.
"""

from __future__ import annotations

import getpass
import html
import json
import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from string import Template

from endnoted.common import paths
from endnoted.common.errors import EndnotedError, UsageError

MARKER = "Written by `endnoted service install`"
LABEL = "io.github.endnoted.agent"
TASK_NAME = "endnoted"
PLATFORMS = ("linux", "macos", "windows")


@dataclass(frozen=True)
class CommandResult:
    command: tuple[str, ...]
    returncode: int
    output: str


Runner = Callable[[Sequence[str]], CommandResult]


def run_command(command: Sequence[str]) -> CommandResult:
    """Run a registration command for real, with a timeout; a missing program is returncode 127."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as error:
        return CommandResult(tuple(command), 127, f"{command[0]} not found: {error}")
    except subprocess.TimeoutExpired:
        return CommandResult(tuple(command), 124, f"{command[0]} did not answer within 60 s")
    return CommandResult(tuple(command), done.returncode, (done.stdout + done.stderr).strip())


@dataclass(frozen=True)
class Rendered:
    """One platform's service file, filled in for this user, and the commands around it."""

    platform: str
    path: Path
    content: bytes
    install: tuple[tuple[str, ...], ...]
    uninstall: tuple[tuple[str, ...], ...]
    status: tuple[tuple[str, ...], ...]
    extra_dirs: tuple[Path, ...] = field(default=())


def current_platform() -> str:
    return "macos" if sys.platform == "darwin" else "windows" if sys.platform.startswith("win") else "linux"


# What a dry run for another platform prints instead of this machine's values: they would be wrong there.
PLACEHOLDER_PROGRAM = "<ENDNOTED>"         # the absolute path of `endnoted` on the target machine
PLACEHOLDER_PYTHONW = "<PYTHONW.EXE>"       # pythonw.exe of the Python that has endnoted installed
PLACEHOLDER_HOME = "<HOME>"
PLACEHOLDER_UID = "<UID>"                   # `id -u` on the Mac
PLACEHOLDER_SID = "<USER-SID>"              # `whoami /user` on Windows: S-1-5-21-…
PLACEHOLDER_LOCALAPPDATA = "<LOCALAPPDATA>"


def executable() -> Path:
    """The absolute path of the installed `endnoted` script (beside this interpreter), else the interpreter."""
    found = shutil.which("endnoted", path=str(Path(sys.executable).parent)) or shutil.which("endnoted")
    return Path(found).absolute() if found else Path(sys.executable).absolute()


def program_arguments(program: Path | str) -> list[str]:
    """How the service starts the daemon: `endnoted run`, or `python -m endnoted run` when only the interpreter is known."""
    name = Path(str(program)).name.lower()
    if name.startswith("endnoted") or str(program) == PLACEHOLDER_PROGRAM:
        return [str(program), "run"]
    return [str(program), "-m", "endnoted", "run"]


def windows_user_id(runner: Runner | None = None) -> str:
    """This Windows user's SID (what a LogonTrigger's UserId should hold), else DOMAIN\\name."""
    result = (runner or run_command)(("whoami", "/user", "/fo", "csv", "/nh"))
    parts = [part.strip('"') for part in result.output.strip().split('","')] if result.returncode == 0 else []
    if len(parts) == 2 and parts[1].startswith("S-1-"):
        return parts[1]
    domain = os.environ.get("USERDOMAIN", "")
    return (domain + "\\" if domain else "") + (os.environ.get("USERNAME") or getpass.getuser())


def _template(name: str) -> str:
    return resources.files("endnoted.service").joinpath(name).read_text(encoding="utf-8")


def _systemd_quote(value: str) -> str:
    # systemd unit syntax: % starts a specifier, \\ and " are escapes inside a quoted word.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def launchd_plist(arguments: Sequence[str], logs: PurePath) -> bytes:
    """The LaunchAgent, written by plistlib (launchd's own format), with our marker as a comment."""
    agent = {
        "Label": LABEL,
        # Absolute paths only: launchd does no ~ expansion and no PATH lookup.
        "ProgramArguments": list(arguments),
        "RunAtLoad": True,
        # Restart after a crash, not after a clean exit; "already running" exits 0 (not a crash).
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 30,
        # Only in graphical (Aqua) sessions: notifications need one; not over ssh.
        "LimitLoadToSessionType": "Aqua",
        # A background agent: launchd may throttle its CPU and I/O in favour of what you are doing.
        "ProcessType": "Background",
        # endnoted writes and rotates its own log in ~/Library/Logs/endnoted/endnoted.log; these two
        # catch only what Python prints before logging starts (a crash at start-up).
        "StandardOutPath": str(logs / "launchd.out.log"),
        "StandardErrorPath": str(logs / "launchd.err.log"),
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
    }
    content = plistlib.dumps(agent, fmt=plistlib.FMT_XML)
    head, rest = content.split(b"<plist", 1)
    comment = (f"<!-- {MARKER}; `endnoted service uninstall` removes it. A per-user LaunchAgent: it runs as "
               "you, in your login session, so it can read your libraries and show you notifications. -->\n")
    return head + comment.encode() + b"<plist" + rest


def render(platform: str, *, home: Path | None, program: Path | None = None, uid: int | None = None,
           user: str | None = None, runner: Runner | None = None) -> Rendered:
    """Given a platform and a home folder, return its filled-in service file and commands.

    With `home=None` (a dry run for another platform), whatever is not given (program, home, uid,
    user) is a visible placeholder: this machine's values would be wrong there.
    """
    here = home is not None   # fill in this machine's values
    if platform not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r}; choose one of {', '.join(PLATFORMS)}")
    if platform == "linux":
        home_path: PurePath = home if home is not None else PurePosixPath(PLACEHOLDER_HOME)
        config = Path(os.environ.get("XDG_CONFIG_HOME") or home_path / ".config") if here else home_path / ".config"
        arguments = program_arguments(program or (executable() if here else PLACEHOLDER_PROGRAM))
        start = " ".join([_systemd_quote(arguments[0]), *arguments[1:]])
        content = Template(_template("endnoted.service")).substitute(exec_start=start)
        unit = "endnoted.service"
        return Rendered("linux", Path(config / "systemd" / "user" / unit), content.encode(),
                        install=(("systemctl", "--user", "daemon-reload"),
                                 ("systemctl", "--user", "enable", "--now", unit)),
                        uninstall=(("systemctl", "--user", "disable", "--now", unit),
                                   ("systemctl", "--user", "daemon-reload")),
                        status=(("systemctl", "--user", "is-enabled", unit),
                                ("systemctl", "--user", "is-active", unit)))
    if platform == "macos":
        mac_home: PurePath = home if home is not None else PurePosixPath(PLACEHOLDER_HOME)
        if uid is not None:
            domain = f"gui/{uid}"
        elif here and hasattr(os, "getuid"):
            domain = f"gui/{os.getuid()}"
        else:
            domain = f"gui/{PLACEHOLDER_UID}"
        logs = mac_home / "Library" / "Logs" / "endnoted"
        plist = mac_home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        arguments = program_arguments(program or (executable() if here else PLACEHOLDER_PROGRAM))
        return Rendered("macos", Path(plist), launchd_plist(arguments, logs),
                        install=(("launchctl", "bootout", f"{domain}/{LABEL}"),
                                 ("launchctl", "bootstrap", domain, str(plist))),
                        uninstall=(("launchctl", "bootout", f"{domain}/{LABEL}"),),
                        status=(("launchctl", "print", f"{domain}/{LABEL}"),), extra_dirs=(Path(logs),))
    # Windows: a per-user logon task, run by pythonw.exe (no console window).
    if user is None:
        user = windows_user_id(runner) if here else PLACEHOLDER_SID
    if program is not None:
        pythonw = str(program.with_name("pythonw.exe") if program.name.lower().startswith("python") else
                      Path(sys.executable).with_name("pythonw.exe"))
    else:
        pythonw = str(Path(sys.executable).with_name("pythonw.exe")) if here else PLACEHOLDER_PYTHONW
    content = Template(_template("endnoted-task.xml")).substitute(
        user_id=html.escape(user), command=html.escape(pythonw))
    task_file = paths.state_dir() / "endnoted-task.xml" if here else \
        Path(str(PureWindowsPath(PLACEHOLDER_LOCALAPPDATA) / "endnoted" / "endnoted-task.xml"))
    return Rendered("windows", task_file, content.encode("utf-16"),
                    install=(("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(task_file), "/F"),
                             ("schtasks", "/Run", "/TN", TASK_NAME)),
                    uninstall=(("schtasks", "/End", "/TN", TASK_NAME),
                               ("schtasks", "/Delete", "/TN", TASK_NAME, "/F")),
                    status=(("schtasks", "/Query", "/TN", TASK_NAME, "/V", "/FO", "LIST"),))


@dataclass
class Report:
    """What install/uninstall/status did, for the CLI to print."""

    platform: str
    path: Path
    actions: list[str] = field(default_factory=list)
    commands: list[CommandResult] = field(default_factory=list)
    installed: bool = False
    enabled: bool | None = None
    running: bool | None = None
    # A dry run: the commands that would run (nothing ran) and, for install, the file that would be written.
    would_run: list[tuple[str, ...]] | None = None
    content: str | None = None
    # status: the pid of a daemon alive by its heartbeat (as `endnoted status` reads it), service or not;
    # None when none is. The service manager knows only its own unit, not an `endnoted run` in a terminal.
    daemon_pid: int | None = None
    daemon_seen: bool = False   # True once status has looked (install and uninstall do not)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "platform": self.platform, "path": str(self.path), "actions": self.actions,
            "installed": self.installed, "enabled": self.enabled, "running": self.running,
            "commands": [{"command": list(c.command), "returncode": c.returncode, "output": c.output}
                         for c in self.commands]}
        if self.would_run is not None:
            data["dry_run"] = True
            data["would_run"] = [list(command) for command in self.would_run]
        if self.content is not None:
            data["content"] = self.content
        if self.daemon_seen:   # status: the daemon as its heartbeat says
            data["daemon"] = {"running": self.daemon_pid is not None, "pid": self.daemon_pid}
        return data


def refuse_other_platform(platform: str, action: str) -> None:
    """Install and uninstall act on this computer only: another platform's files can only be shown."""
    here = current_platform()
    if platform != here:
        raise UsageError(f"this computer runs {here}: `service {action} --platform {platform}` can only show "
                         f"what it would do; add --dry-run")


def _written_by_us(path: Path) -> bool:
    """Whether an existing service file carries our marker (unreadable or not a file: not ours to remove)."""
    try:
        return MARKER.encode() in path.read_bytes().replace(b"\x00", b"")
    except OSError:
        return False


def dry_run(platform: str, *, home: Path, uninstall: bool = False) -> Report:
    """What install (or uninstall) would write, remove and run; changes nothing and runs nothing.

    For another platform this machine's paths and ids would be wrong there: placeholders instead.
    """
    here = platform == current_platform()
    rendered = render(platform, home=home if here else None)
    report = Report(platform, rendered.path, installed=here and rendered.path.exists(),
                    would_run=list(rendered.uninstall if uninstall else rendered.install))
    if uninstall and here and not report.installed:
        # Said as it is: "would remove" a file that is not there read as if the service were installed.
        report.actions.append(f"nothing to remove: {rendered.path} is not installed")
    elif uninstall and here and not _written_by_us(rendered.path):
        report.actions.append(f"would leave {rendered.path} alone: it was not written by endnoted")
    elif uninstall:
        report.actions.append(f"would remove {rendered.path}")
    else:
        report.actions.append(f"would write {rendered.path}")
        report.content = rendered.content.decode("utf-16" if platform == "windows" else "utf-8")
    return report


def _manifest() -> Path:
    return paths.state_dir() / "service-manifest.json"


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def install(platform: str, *, home: Path, runner: Runner = run_command, program: Path | None = None) -> Report:
    """Write the service file (only if it changed), register it, and record what was written."""
    rendered = render(platform, home=home, program=program, runner=runner)
    report = Report(platform, rendered.path)
    # Every folder this install has to create, so uninstall can take exactly those away again.
    created = sorted({str(d) for leaf in (*rendered.extra_dirs, rendered.path.parent)
                      for d in (leaf, *leaf.parents) if not d.exists()})
    for folder in rendered.extra_dirs:
        folder.mkdir(parents=True, exist_ok=True)
    if rendered.path.exists() and rendered.path.read_bytes() == rendered.content:
        report.actions.append(f"{rendered.path} is already up to date")
    else:
        if rendered.path.exists() and MARKER.encode() not in rendered.path.read_bytes().replace(b"\x00", b""):
            raise EndnotedError(f"{rendered.path} exists and was not written by endnoted; remove it first")
        _write_atomically(rendered.path, rendered.content)
        report.actions.append(f"wrote {rendered.path}")
    previous = json.loads(_manifest().read_text()) if _manifest().exists() else {}
    _write_atomically(_manifest(), json.dumps({
        "platform": platform, "file": str(rendered.path),
        "dirs": sorted(set(previous.get("dirs", [])) | set(created))}, indent=2).encode())
    for number, command in enumerate(rendered.install):
        result = runner(command)
        report.commands.append(result)
        # launchctl bootout fails harmlessly when the agent was not loaded yet.
        if result.returncode != 0 and not (platform == "macos" and number == 0):
            raise EndnotedError(f"wrote {rendered.path}, but `{' '.join(command)}` failed ({result.output or result.returncode}); "
                                "start the daemon by hand with: endnoted run")
    report.installed = True
    return report


def uninstall(platform: str, *, home: Path, runner: Runner = run_command) -> Report:
    """Stop and unregister the service, then remove exactly the files install wrote."""
    rendered = render(platform, home=home, runner=runner)
    report = Report(platform, rendered.path)
    manifest = json.loads(_manifest().read_text()) if _manifest().exists() else {}
    for command in rendered.uninstall:
        report.commands.append(runner(command))
    target = Path(manifest.get("file", rendered.path))
    if target.exists():
        if MARKER.encode() not in target.read_bytes().replace(b"\x00", b""):
            raise EndnotedError(f"{target} was not written by endnoted; leaving it alone")
        target.unlink()
        report.actions.append(f"removed {target}")
    else:
        report.actions.append(f"{target} was not installed")
    for folder in sorted(map(Path, manifest.get("dirs", [])), key=lambda d: -len(d.parts)):  # deepest first
        try:
            folder.rmdir()   # only if empty: logs the user may want stay
            report.actions.append(f"removed {folder}")
        except OSError:
            pass
    _manifest().unlink(missing_ok=True)
    return report


def running_daemon() -> int | None:
    """The pid of the daemon alive by its heartbeat (read as `endnoted status` reads it), or None."""
    from endnoted.state import glance
    try:
        seen = glance.read(paths.state_db(), None, [])
    except EndnotedError:   # no readable state file: no daemon we can tell of
        return None
    return int(seen["beat"]["pid"]) if seen["running"] and seen["beat"] else None


def status(platform: str, *, home: Path, runner: Runner = run_command) -> Report:
    rendered = render(platform, home=home, runner=runner)
    report = Report(platform, rendered.path, installed=rendered.path.exists(), daemon_pid=running_daemon(),
                    daemon_seen=True)
    results = [runner(command) for command in rendered.status]
    report.commands.extend(results)
    if platform == "linux":
        report.enabled = results[0].returncode == 0 and results[0].output.strip() == "enabled"
        report.running = results[1].returncode == 0 and results[1].output.strip() == "active"
    elif platform == "macos":
        report.enabled = report.installed
        report.running = results[0].returncode == 0 and "state = running" in results[0].output
    else:
        report.enabled = results[0].returncode == 0
        report.running = "Running" in results[0].output
    return report
