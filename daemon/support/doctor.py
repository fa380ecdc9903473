"""`endnoted doctor`: does everything an alert needs hold on this machine? Each check says what it saw and the fix.

The checks: the service is installed and running; a test notification really shows (the user is
asked); the Repair… button can open something; the config reads; the watched folders exist (and,
on Linux, the inotify watch limit suffices); the console can show our marks; our state is private.

Everything that touches the OS comes in through `Machine`, so tests pass their own pieces (a
recorded service manager, a notifier on a private bus, a fake /proc) instead of patching ours.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import sys
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from endnoted.common import config as config_module
from endnoted.common import console, paths
from endnoted.common.errors import EndnotedError
from endnoted.running import launcher
from endnoted.running.notify import NOT_SHOWN, SHOWN, Notifier, choose
from endnoted.support import autostart

OK, WARNING, PROBLEM = "ok", "warning", "problem"
TEST_TITLE = "endnoted doctor: test notification"


@dataclass(frozen=True)
class Check:
    name: str
    status: str          # ok | warning (cannot be confirmed, or not needed yet) | problem
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class Machine:
    """This machine's OS boundary; each field can be replaced by a test."""

    platform: str = field(default_factory=paths.current_platform)
    home: Path = field(default_factory=lambda: Path(os.environ.get("HOME") or Path.home()))
    runner: autostart.Runner = autostart.run_command
    notifier: Callable[[], Notifier] = choose
    ask: Callable[[str], bool] | None = None        # None: do not ask (judge by what the platform said)
    which: Callable[[str], str | None] = shutil.which
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    browser: Callable[[], bool] = lambda: _has_browser()
    proc: Path = Path("/proc")
    # Why `endnoted open` (the Repair… page) cannot start in this install, or None when it can.
    page: Callable[[], str | None] = lambda: web_problem()
    encoding: str | None = field(default_factory=lambda: getattr(sys.stdout, "encoding", None))


# What `endnoted open` imports besides endnoted itself (pyproject's dependencies for the window).
WEB_DEPENDENCIES = ("starlette", "uvicorn", "jinja2")


def web_problem() -> str | None:
    """Why the web stack of `endnoted open` is missing from this install, or None when it is there."""
    missing = [name for name in WEB_DEPENDENCIES if importlib.util.find_spec(name) is None]
    return f"{', '.join(missing)} not installed" if missing else None


def _has_browser() -> bool:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def check_service(machine: Machine) -> Check:
    try:
        report = autostart.status(machine.platform, home=machine.home, runner=machine.runner)
    except EndnotedError as error:
        return Check("service", PROBLEM, str(error), "endnoted service install")
    pid = report.daemon_pid if not report.running else None   # a daemon alive outside the service
    if not report.installed:
        if pid is not None:
            return Check("service", WARNING, f"not installed ({report.path} does not exist), but a daemon is running "
                         f"(pid {pid}, not as a service: it stops with its terminal or at logout)",
                         "endnoted service install, so that it starts at login (stop the other one first)")
        return Check("service", PROBLEM, f"not installed ({report.path} does not exist)",
                     "endnoted service install")
    if not report.running:
        if pid is not None:
            return Check("service", WARNING, f"installed ({report.path}) but not running; a daemon is running "
                         f"(pid {pid}, not as a service)",
                         "stop that daemon, then endnoted service install (it starts the service again)")
        return Check("service", PROBLEM, f"installed ({report.path}) but not running",
                     "endnoted service install (it starts the service again), then endnoted service status")
    return Check("service", OK, f"installed and running ({report.path})")


def check_notification(machine: Machine) -> Check:
    notifier = machine.notifier()
    try:
        ready, why = notifier.ready()
        if not ready:
            return Check("notification", PROBLEM, f"{notifier.name}: alerts cannot be shown ({why})",
                         _notification_fix(machine.platform))
        delivery = notifier.send(TEST_TITLE, "If you can read this, endnoted's alerts reach you.")
    finally:
        if hasattr(notifier, "close"):
            notifier.close()
    if delivery.outcome == NOT_SHOWN:
        return Check("notification", PROBLEM, f"{notifier.name}: {delivery.describe()}",
                     _notification_fix(machine.platform))
    if machine.ask is not None:
        if machine.ask(f"Did a notification titled '{TEST_TITLE}' appear?"):
            return Check("notification", OK, f"{notifier.name}: shown, and you saw it")
        return Check("notification", PROBLEM, f"{notifier.name}: {delivery.describe()}, but you did not see it",
                     _notification_fix(machine.platform))
    if delivery.outcome == SHOWN:
        return Check("notification", OK, f"{notifier.name}: shown (the platform confirmed it; not asked)")
    return Check("notification", WARNING, f"{notifier.name}: {delivery.describe()}",
                 "run this check again in a terminal and answer whether the notification appeared")


def _notification_fix(platform: str) -> str:
    return {"windows": "Settings > System > Notifications: turn on notifications, and those for endnoted",
            "macos": "System Settings > Notifications > Script Editor: allow notifications",
            }.get(platform, "start a notification server (your desktop's, or dunst/mako), and run endnoted "
                            "in your desktop session")


def check_repair(machine: Machine, settings: config_module.Config) -> Check:
    """Check the route the Repair… button takes under the setting in effect; never advise that same setting."""
    if settings.repair == "page":
        if (why := machine.page()) is not None:
            return Check("repair", PROBLEM, f"Repair… opens endnoted open, which cannot start here ({why})",
                         'reinstall endnoted with its dependencies (pipx reinstall endnoted), or set '
                         'repair = "terminal" in the config')
        if machine.browser():
            return Check("repair", OK, "Repair… opens the wizard page in your browser (endnoted open)")
        return Check("repair", PROBLEM, "Repair… opens a browser page, but no web browser was found",
                     'install a browser, or set repair = "terminal" in the config')
    launch = launcher.plan("LIBRARY", mode="terminal", platform=machine.platform, which=machine.which,
                           env=machine.env, endnoted=["endnoted"])
    if launch is None:
        # The page is the other route: advise it only where it would work.
        other = ', or set repair = "page" in the config' if machine.page() is None and machine.browser() else ""
        return Check("repair", PROBLEM, "Repair… needs a terminal, and none was found (alerts will name the "
                     "command instead)", "install a terminal (xdg-terminal-exec, gnome-terminal, konsole, "
                     f"xterm){other}")
    return Check("repair", OK, f"Repair… opens the terminal wizard in {launch.via}")


def check_config() -> tuple[Check, config_module.Config | None]:
    try:
        settings = config_module.load()
    except EndnotedError as error:
        return Check("config", PROBLEM, str(error), "correct the file; endnoted config shows what is in effect"), None
    source = f"read from {settings.source}" if settings.source else f"defaults (no file at {paths.config_file()})"
    return Check("config", OK, source), settings


def _inotify_limit(proc: Path) -> int | None:
    try:
        return int((proc / "sys" / "fs" / "inotify" / "max_user_watches").read_text().strip())
    except (OSError, ValueError):
        return None


def _folders_below(path: Path, cap: int) -> int:
    """How many folders an inotify watch of `path` would need (one per folder), counting up to `cap`."""
    count = 0
    for _folder in os.walk(path):
        count += 1
        if count >= cap:
            break
    return count


def watching() -> str:
    """What the running daemon watches now, from its recorded watch set (state/glance.watching_now), as doctor says it."""
    from endnoted.state.glance import watching_now
    try:
        libraries = watching_now(paths.state_db())
    except EndnotedError as error:   # one check's trouble never stops the others
        return f"what the running daemon watches is not known ({error})"
    if libraries is None:
        return "no daemon is running (or it has not yet said what it watches)"
    return f"the running daemon watches {len(libraries)} {'library' if len(libraries) == 1 else 'libraries'}"


def check_folders(machine: Machine, settings: config_module.Config, now: str = "") -> Check:
    """The folders the config names; `now`: what the running daemon watches (watching()), said first."""
    missing = [str(p) for p in settings.libraries if not p.exists()]
    if missing:
        return Check("folders", PROBLEM, f"libraries named in the config are missing: {', '.join(missing)}",
                     "correct libraries = [...] in the config")
    watched = [p for p in (*settings.libraries, *settings.export_folders) if p.exists()]
    absent = [str(p) for p in settings.export_folders if not p.exists()]
    detail = (f"{now}; " if now else "") + (f"the config names {len(settings.libraries)} libraries, exports from "
              f"{', '.join(map(str, settings.export_folders)) or 'nowhere'}; scanning "
              f"{', '.join(map(str, settings.scan_roots)) or 'nothing'}")
    if machine.platform == "linux":
        limit = _inotify_limit(machine.proc)
        need = sum(_folders_below(p if p.is_dir() else p.parent, 100_000) for p in watched)
        if limit is not None:
            # Libraries the scan finds need watches too, a few each; with nothing named, say that, not "0 needed".
            needed = f"about {need} needed" if need else "nothing named to watch (libraries the scan finds need a few each)"
            detail += f"; inotify watches: {needed}, limit {limit}"
            if need > limit // 2:
                return Check("folders", PROBLEM, detail, "raise fs.inotify.max_user_watches (sysctl), or watch fewer "
                             "folders")
    if absent:
        return Check("folders", WARNING, f"{detail}; export folder missing: {', '.join(absent)}",
                     "set export_folders in the config to where your browser saves downloads")
    return Check("folders", OK, detail)


def check_console(machine: Machine) -> Check:
    if console.can_show(console.SAMPLE, machine.encoding):
        return Check("console", OK, f"{machine.encoding}: shows {console.SAMPLE}")
    return Check("console", WARNING, f"{machine.encoding or 'no encoding'}: cannot show {console.SAMPLE}; they print "
                 "as ?", "use a UTF-8 console (Windows: Windows Terminal, or set PYTHONIOENCODING=utf-8)")


def check_permissions(machine: Machine) -> Check:
    state = paths.state_dir()
    if not state.exists():
        return Check("permissions", WARNING, f"{state} does not exist yet (the daemon has not run)",
                     "endnoted service install")
    if machine.platform == "windows" or os.name != "posix":
        return Check("permissions", OK, f"{state} is in your profile (Windows keeps it private to you)")
    loose = []
    for path in (state, *state.rglob("*")):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            loose.append(f"{path} ({mode:o})")
    if loose:
        return Check("permissions", PROBLEM, "readable by others: " + ", ".join(loose[:5]),
                     f"chmod -R go-rwx {state}")
    return Check("permissions", OK, f"{state} and everything in it is yours alone (0700/0600)")


def run_checks(machine: Machine | None = None) -> list[Check]:
    """Run every check, in the order a user would fix them; one failing check never stops the others."""
    machine = machine or Machine()
    config_check, settings = check_config()
    checks = [check_service(machine)]
    if settings is not None and not settings.notifications:
        checks.append(Check("notification", WARNING, "notifications are turned off in the config",
                            "set notifications = true in the config"))
    else:
        checks.append(check_notification(machine))
    if settings is not None:
        checks.append(check_repair(machine, settings))
    checks.append(config_check)
    if settings is not None:
        checks.append(check_folders(machine, settings, watching()))
    checks += [check_console(machine), check_permissions(machine)]
    return checks


def all_hold(checks: list[Check]) -> bool:
    return not any(check.status == PROBLEM for check in checks)


def to_json(checks: list[Check]) -> dict[str, Any]:
    return {"schema": 1, "ok": all_hold(checks), "checks": [check.to_json() for check in checks]}
