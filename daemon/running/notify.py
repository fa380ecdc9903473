"""Desktop notifications: a small Notifier protocol, and the real one over notify-py.

notify-py reports success falsely when a session bus has no notification server (PLATFORM.md §4),
so on Linux we first ask the bus whether `org.freedesktop.Notifications` has an owner (without
activating anything), and send from a worker thread with a timeout. A failed send is a warning.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)
SERVICE = "org.freedesktop.Notifications"


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    error: str = ""


class Notifier(Protocol):
    def send(self, title: str, body: str, *, repair: str | None = None) -> Delivery:
        """Show a notification; never raise."""
        ...


def notification_server_present(timeout: float = 2.0) -> tuple[bool, str]:
    """On Linux, ask the session bus whether a notification server owns its name; elsewhere assume one."""
    if not sys.platform.startswith("linux"):
        return True, ""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
        with open_dbus_connection(bus="SESSION") as connection:
            reply = connection.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (SERVICE,)),
                                                  timeout=timeout)
        return (True, "") if reply.body[0] else (False, "no notification server on the session bus")
    except Exception as error:  # any bus trouble means: cannot deliver; never sink the daemon
        return False, f"session bus unreachable ({type(error).__name__}: {error})"


class DesktopNotifier:
    """notify-py behind a presence check, a worker thread and a timeout."""

    def __init__(self, *, timeout: float = 5.0, app_name: str = "endnoted") -> None:
        self.timeout = timeout
        self.app_name = app_name

    def send(self, title: str, body: str, *, repair: str | None = None) -> Delivery:
        present, why = notification_server_present()
        if not present:
            logger.warning("notification not shown: %s", why)
            return Delivery(False, why)
        outcome: list[Delivery] = []

        def work() -> None:
            try:
                from notifypy import Notify
                note = Notify(enable_logging=False)  # its logging dumps os.environ (PLATFORM.md §1)
                note.application_name = self.app_name
                note.title = title
                note.message = body
                outcome.append(Delivery(bool(note.send(block=True)), ""))
            except Exception as error:  # a side channel: it must never sink the daemon
                outcome.append(Delivery(False, f"{type(error).__name__}: {error}"))

        worker = threading.Thread(target=work, name="endnoted-notify", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if not outcome:
            logger.warning("notification server did not answer within %.0f s", self.timeout)
            return Delivery(False, f"no answer within {self.timeout:.0f} s")
        if not outcome[0].delivered:
            logger.warning("notification not shown: %s", outcome[0].error or "notify-py reported failure")
        return outcome[0]


class NullNotifier:
    """For `notifications = false` in the config: records nothing, shows nothing."""

    def send(self, title: str, body: str, *, repair: str | None = None) -> Delivery:
        return Delivery(False, "notifications are turned off in the config")


def repair_command(library: str) -> list[str]:
    """The command that opens a terminal running the reset wizard for `library` on this platform.

    ENDNOTED_TERMINAL (a command prefix, split like a shell would) overrides the platform's choice.
    """
    import shlex
    wizard = ["endnoted", "reset", library]
    if override := os.environ.get("ENDNOTED_TERMINAL"):
        return [*shlex.split(override), *wizard]
    if sys.platform == "darwin":
        script = " ".join(shlex.quote(part) for part in wizard).replace("\\", "\\\\").replace('"', '\\"')
        return ["osascript", "-e", f'tell application "Terminal" to do script "{script}"', "-e",
                'tell application "Terminal" to activate']
    if sys.platform.startswith("win"):
        return ["cmd", "/c", "start", "endnoted reset", "cmd", "/k", *wizard]
    import shutil
    for terminal, flag in (("x-terminal-emulator", "-e"), ("gnome-terminal", "--"), ("konsole", "-e"),
                           ("xfce4-terminal", "-x"), ("xterm", "-e")):
        if shutil.which(terminal):
            return [terminal, flag, *wizard]
    return wizard


def open_repair_terminal(library: str) -> None:
    import subprocess
    try:
        subprocess.Popen(repair_command(library), start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as error:
        logger.warning("cannot open a terminal for the repair: %s; run endnoted reset \"%s\"", error, library)


class ActionNotifier:
    """desktop-notifier (the `endnoted[actions]` extra): the same notification with a "Repair…" button.

    desktop-notifier is async and needs a running event loop to receive button presses, so it
    lives on a loop thread of its own; `send` waits for it with a timeout (it can hang forever on
    a silent server, PLATFORM.md §4).
    """

    def __init__(self, *, timeout: float = 5.0, launcher: Callable[[str], None] = open_repair_terminal) -> None:
        import asyncio
        self.timeout = timeout
        self.launcher = launcher
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="endnoted-actions", daemon=True)
        self._thread.start()
        self._notifier: Any = None

    def send(self, title: str, body: str, *, repair: str | None = None) -> Delivery:
        import asyncio
        present, why = notification_server_present()
        if not present:
            logger.warning("notification not shown: %s", why)
            return Delivery(False, why)

        async def go() -> None:
            from desktop_notifier import Button
            from desktop_notifier import DesktopNotifier as Backend
            if self._notifier is None:
                self._notifier = Backend(app_name="endnoted")
            buttons = [Button("Repair…", on_pressed=lambda: self.launcher(repair))] if repair else []
            await self._notifier.send(title, body, buttons=buttons)

        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(go(), self.timeout), self._loop)
        try:
            future.result(self.timeout + 1)
        except Exception as error:  # a side channel: never sinks the daemon
            logger.warning("notification not shown: %s", error or type(error).__name__)
            return Delivery(False, f"{type(error).__name__}: {error}")
        return Delivery(True)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)


def best_notifier() -> Notifier:
    """The notifier with a "Repair…" button when `endnoted[actions]` is installed, else notify-py's."""
    try:
        import desktop_notifier  # noqa: F401
    except ImportError:
        return DesktopNotifier()
    return ActionNotifier()
