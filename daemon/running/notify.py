"""Desktop notifications per platform, with an honest record of what happened to each one.

A delivery is `shown` only when the platform confirmed it (the notification server returned an
id; Windows accepted the toast with notifications for our app turned on), `not-shown (reason)`
when we know it was not, and `unknown` when the backend cannot tell. Never `shown` on a guess.

| platform | backend | why |
| --- | --- | --- |
| Linux | desktop-notifier over D-Bus (with a Repair… button), else a direct D-Bus `Notify` (jeepney) | notify-py takes an error reply for success (PLATFORM.md §4) |
| Windows | desktop-notifier's WinRT path | it registers an app id; notify-py's PowerShell toast does not, and reports success whatever happens (ms7m/notify-py#21, #25) |
| Windows without desktop-notifier | notify-py's PowerShell toast | better a toast that may show than none; its `True` can be a false positive, so `unknown` |
| macOS, inside an app bundle | desktop-notifier (UNUserNotificationCenter) | |
| macOS, a plain Python install | `osascript -e 'display notification …'` | desktop-notifier outside a bundle silently does nothing; osascript always shows, unless the user turned off Script Editor's notifications, which it cannot tell us: `unknown` |

Diverged and damaged go out at critical urgency and stay until dismissed (Linux: urgency 2 and
no expiry; Windows: high priority, and the toast stays in the notification centre). Every
notification carries our icon (`endnoted/assets/endnoted.png`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from endnoted.common.paths import current_platform

logger = logging.getLogger(__name__)
SERVICE = "org.freedesktop.Notifications"
APP_NAME = "endnoted"
SHOWN, NOT_SHOWN, UNKNOWN = "shown", "not-shown", "unknown"
CRITICAL, NORMAL = "critical", "normal"


def icon_path() -> Path:
    """Our own icon, shipped in the package (not the Python logo)."""
    return Path(str(resources.files("endnoted").joinpath("assets", "endnoted.png")))


@dataclass(frozen=True)
class Delivery:
    """What happened to one notification: `shown`, `not-shown` (with why) or `unknown` (with why)."""

    outcome: str
    reason: str = ""

    @property
    def delivered(self) -> bool:
        return self.outcome == SHOWN

    @property
    def error(self) -> str:
        return "" if self.outcome == SHOWN else self.describe()

    def describe(self) -> str:
        return self.outcome if not self.reason else f"{self.outcome} ({self.reason})"


class Notifier(Protocol):
    name: str

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = NORMAL) -> Delivery:
        """Show a notification; never raise."""
        ...

    def ready(self) -> tuple[bool, str]:
        """Whether a notification could be shown now, and if not, why (for `status` and `doctor`)."""
        ...


def notification_server_present(timeout: float = 2.0) -> tuple[bool, str]:
    """On Linux, ask the session bus whether a notification server owns its name (this activates nothing)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
    try:
        # jeepney is installed on Linux only (a platform-marked dependency): imported where it is used.
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
        with open_dbus_connection(bus="SESSION") as connection:
            reply = connection.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (SERVICE,)),
                                                  timeout=timeout)
        return (True, "") if reply.body[0] else (False, "no notification server on the session bus")
    except Exception as error:  # any bus trouble means: cannot deliver; never sink the daemon
        return False, f"session bus unreachable ({type(error).__name__}: {error})"


class DBusNotifier:
    """Linux without desktop-notifier: one `Notify` call over jeepney, whose reply says whether it was taken."""

    name = "D-Bus notifications (jeepney)"

    def __init__(self, *, timeout: float = 5.0, icon: Path | None = None) -> None:
        self.timeout = timeout
        self.icon = icon or icon_path()

    def ready(self) -> tuple[bool, str]:
        return notification_server_present()

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = NORMAL) -> Delivery:
        present, why = notification_server_present()
        if not present:
            logger.warning("notification not shown: %s", why)
            return Delivery(NOT_SHOWN, why)
        try:
            # jeepney is installed on Linux only (a platform-marked dependency): imported where it is used.
            from jeepney import DBusAddress, MessageType, new_method_call
            from jeepney.io.blocking import open_dbus_connection
            server = DBusAddress("/org/freedesktop/Notifications", bus_name=SERVICE, interface=SERVICE)
            critical = urgency == CRITICAL
            hints = {"urgency": ("y", 2 if critical else 1), "desktop-entry": ("s", APP_NAME)}
            call = new_method_call(server, "Notify", "susssasa{sv}i",
                                   (APP_NAME, 0, str(self.icon), title, body, [], hints, 0 if critical else -1))
            with open_dbus_connection(bus="SESSION") as connection:
                reply = connection.send_and_get_reply(call, timeout=self.timeout)
        except TimeoutError:
            logger.warning("notification server did not answer within %.0f s", self.timeout)
            return Delivery(NOT_SHOWN, f"the notification server did not answer within {self.timeout:.0f} s")
        except Exception as error:  # a side channel: never sinks the daemon
            logger.warning("notification not shown: %s", error)
            return Delivery(NOT_SHOWN, f"{type(error).__name__}: {error}")
        if reply.header.message_type is MessageType.method_return:
            return Delivery(SHOWN)
        logger.warning("notification refused by the server: %s", reply.body)
        return Delivery(NOT_SHOWN, f"the notification server refused it: {reply.body}")


CommandRunner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=15, check=False)


def _applescript_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class OsascriptNotifier:
    """macOS from a plain Python install: AppleScript's `display notification`, run by osascript.

    It shows under "Script Editor" in the notification settings. osascript exits 0 whether or not
    the user allowed those notifications, so a delivery is `unknown`, never `shown`.
    """

    name = "macOS notifications via osascript"

    def __init__(self, *, osascript: str = "osascript", run: CommandRunner = _run) -> None:
        self.osascript = osascript
        self.run = run

    def ready(self) -> tuple[bool, str]:
        if shutil.which(self.osascript) is None:
            return False, f"{self.osascript} not found"
        return True, "cannot confirm: macOS does not tell whether Script Editor may show notifications"

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = NORMAL) -> Delivery:
        script = f"display notification {_applescript_string(body)} with title {_applescript_string(title)}"
        if urgency == CRITICAL:
            script += ' sound name "Basso"'
        try:
            done = self.run([self.osascript, "-e", script])
        except (OSError, subprocess.SubprocessError) as error:
            logger.warning("notification not shown: %s", error)
            return Delivery(NOT_SHOWN, f"{type(error).__name__}: {error}")
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip() or f"osascript exited {done.returncode}"
            logger.warning("notification not shown: %s", why)
            return Delivery(NOT_SHOWN, why)
        return Delivery(UNKNOWN, "macOS does not say whether Script Editor's notifications are allowed")


class NotifyPyNotifier:
    """Windows when desktop-notifier (WinRT) cannot be imported: notify-py's PowerShell toast.

    notify-py's `send()` returns True even when Windows showed nothing (an unregistered app id, muted
    notifications: PLATFORM.md §4), so True is only `unknown`; False is `not-shown`.
    """

    name = "Windows toasts via notify-py (PowerShell)"

    def __init__(self, *, factory: Callable[[], Any] | None = None, icon: Path | None = None) -> None:
        self.factory = factory or _notifypy
        self.icon = icon or icon_path()

    def ready(self) -> tuple[bool, str]:
        return True, "cannot confirm: notify-py's toasts report success whatever Windows does"

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = NORMAL) -> Delivery:
        try:
            note = self.factory()
            note.application_name, note.title, note.message = APP_NAME, title, body
            note.icon = str(self.icon)
            sent = bool(note.send(block=True))
        except Exception as error:  # notify-py raises its own types and OSError from PowerShell
            logger.warning("notification not shown: %s", error)
            return Delivery(NOT_SHOWN, f"{type(error).__name__}: {error}")
        if not sent:
            return Delivery(NOT_SHOWN, "notify-py could not send the toast")
        return Delivery(UNKNOWN, "notify-py reports success whether or not Windows showed the toast")


def _notifypy() -> Any:
    # Imported only on this path: notify-py picks its backend at import time (PLATFORM.md §4).
    from notifypy import Notify
    return Notify(enable_logging=False)


def _desktop_notifier_backend() -> Any:
    # desktop-notifier is a dependency on Windows only (an extra elsewhere): imported when chosen.
    from desktop_notifier import DesktopNotifier as Backend
    from desktop_notifier import Icon
    return Backend(app_name=APP_NAME, app_icon=Icon(path=icon_path()))


class ActionNotifier:
    """desktop-notifier: D-Bus on Linux, WinRT on Windows (registers our app id), Cocoa in a macOS bundle.

    It carries the "Repair…" button. desktop-notifier is async and needs a running event loop to
    receive button presses, so it lives on a loop thread of its own; `send` waits with a timeout
    (it can hang forever on a silent server, PLATFORM.md §4). `backend` makes the
    desktop-notifier object: the real one by default; a test on Linux passes a stand-in for the
    WinRT toast API, which cannot exist here. `presence` is the Linux server check (None elsewhere).
    """

    def __init__(self, *, timeout: float = 5.0, launcher: Callable[[str], None] | None = None,
                 backend: Callable[[], Any] = _desktop_notifier_backend,
                 presence: Callable[[], tuple[bool, str]] | None = notification_server_present,
                 name: str = "desktop-notifier") -> None:
        self.timeout = timeout
        self.launcher = launcher
        self.name = name
        self._backend_factory = backend
        self._presence = presence
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="endnoted-actions", daemon=True)
        self._thread.start()
        self._notifier: Any = None

    def _run(self, coroutine: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coroutine, self.timeout), self._loop)
        return future.result(self.timeout + 1)

    def _backend(self) -> Any:
        if self._notifier is None:
            self._notifier = self._backend_factory()
        return self._notifier

    def ready(self) -> tuple[bool, str]:
        if self._presence is not None:
            present, why = self._presence()
            if not present:
                return False, why
        try:
            allowed = self._run(self._backend().has_authorisation())
        except Exception as error:  # a side channel: never sinks the daemon
            return False, f"{type(error).__name__}: {error}"
        return (True, "") if allowed else (False, "notifications for endnoted are turned off in the system settings")

    def _press(self, repair: str) -> None:
        if self.launcher is not None:
            self.launcher(repair)

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = NORMAL) -> Delivery:
        if self._presence is not None:
            present, why = self._presence()
            if not present:
                logger.warning("notification not shown: %s", why)
                return Delivery(NOT_SHOWN, why)
        dispatched = threading.Event()

        async def go() -> bool:
            # desktop-notifier is a dependency on Windows only (an extra elsewhere): imported when used.
            from desktop_notifier import Button, Icon, Urgency
            notifier = self._backend()
            if not await notifier.has_authorisation():
                return False
            critical = urgency == CRITICAL
            buttons = [Button("Repair…", on_pressed=lambda: self._press(repair))] if repair else []
            await notifier.send(title, body, urgency=Urgency.Critical if critical else Urgency.Normal,
                                icon=Icon(path=icon_path()), buttons=buttons, on_dispatched=dispatched.set,
                                timeout=0 if critical else -1)
            return True

        try:
            allowed = self._run(go())
        except Exception as error:  # a side channel: never sinks the daemon
            logger.warning("notification not shown: %s", error or type(error).__name__)
            return Delivery(NOT_SHOWN, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
        if not allowed:
            why = "notifications for endnoted are turned off in the system settings"
            logger.warning("notification not shown: %s", why)
            return Delivery(NOT_SHOWN, why)
        if not dispatched.is_set():
            # desktop-notifier logs the failure and returns; only on_dispatched proves the platform took it.
            return Delivery(NOT_SHOWN, "the platform refused the notification (see the log)")
        return Delivery(SHOWN)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)


class NullNotifier:
    """For `notifications = false` in the config, or a platform without a backend: shows nothing."""

    def __init__(self, reason: str = "notifications are turned off in the config") -> None:
        self.reason = reason
        self.name = "none"

    def ready(self) -> tuple[bool, str]:
        return False, self.reason

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = NORMAL) -> Delivery:
        return Delivery(NOT_SHOWN, self.reason)


def _has_desktop_notifier() -> bool:
    try:   # an optional dependency outside Windows: whether it imports is the answer
        import desktop_notifier  # noqa: F401
    except ImportError:
        return False
    return True


def in_app_bundle(executable: str | None = None) -> bool:
    """True when this Python runs from inside a macOS .app bundle (desktop-notifier's Cocoa path needs one)."""
    return ".app/Contents/" in (executable or sys.executable)


def choose(platform: str | None = None, *, has_desktop_notifier: bool | None = None, in_bundle: bool | None = None,
           launcher: Callable[[str], None] | None = None, backend: Callable[[], Any] | None = None,
           run: CommandRunner = _run) -> Notifier:
    """Given the platform and what is installed, return the notifier that can really show something there.

    The keyword arguments are the OS boundary: which packages exist, whether we run inside an app
    bundle, the desktop-notifier backend and the command runner. Defaults are this machine's.
    """
    platform = platform or current_platform()
    has = _has_desktop_notifier() if has_desktop_notifier is None else has_desktop_notifier
    extra: dict[str, Any] = {} if backend is None else {"backend": backend}
    if platform == "windows":
        if not has:
            return NotifyPyNotifier()
        return ActionNotifier(launcher=launcher, presence=None, name="Windows toasts (desktop-notifier, WinRT)",
                              **extra)
    if platform == "macos":
        bundle = in_app_bundle() if in_bundle is None else in_bundle
        if has and bundle:
            return ActionNotifier(launcher=launcher, presence=None, name="macOS notification centre (desktop-notifier)",
                                  **extra)
        return OsascriptNotifier(run=run)
    if has:
        return ActionNotifier(launcher=launcher, name="D-Bus notifications (desktop-notifier)", **extra)
    return DBusNotifier()


def best_notifier(launcher: Callable[[str], None] | None = None) -> Notifier:
    """This machine's notifier (kept for callers of the old name)."""
    return choose(launcher=launcher)
