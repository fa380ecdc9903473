"""Notifications per platform: which backend each platform gets, and an honest record of each delivery.

Linux runs for real: a private D-Bus with a recording notification server. Windows' WinRT toast API
and macOS's osascript cannot exist here; they are faked at the OS boundary only, passed in as
parameters (the desktop-notifier backend object; a stand-in `osascript` program), never monkeypatched.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from endnoted.running import notify
from endnoted.running.notify import (
    ActionNotifier,
    DBusNotifier,
    NullNotifier,
    OsascriptNotifier,
    choose,
    icon_path,
)
from tests.notify_bus import notification_server, private_bus

POSIX_ONLY = pytest.mark.skipif(sys.platform.startswith("win"), reason="the stand-in programs are shell scripts")


class FakeToasts:
    """Stands in for desktop-notifier's WinRT backend (Windows only): the notifications setting, and show().

    `setting_enabled` is Windows' per-app switch (ToastNotifier.setting); `accepts` is whether show()
    went through (desktop-notifier calls on_dispatched only then, and swallows the error otherwise).
    """

    def __init__(self, *, setting_enabled: bool = True, accepts: bool = True) -> None:
        self.setting_enabled = setting_enabled
        self.accepts = accepts
        self.sent: list[dict[str, Any]] = []

    async def has_authorisation(self) -> bool:
        return self.setting_enabled

    async def send(self, title: str, message: str, **options: Any) -> str:
        self.sent.append({"title": title, "message": message, **options})
        if self.accepts:
            options["on_dispatched"]()
        return "id-1"


@pytest.fixture
def closing() -> Iterator[Callable[[Any], Any]]:
    made: list[Any] = []
    yield lambda notifier: made.append(notifier) or notifier
    for notifier in made:
        if hasattr(notifier, "close"):
            notifier.close()


def test_each_platform_gets_the_backend_that_can_really_show_something(closing: Callable[[Any], Any]) -> None:
    windows = closing(choose("windows", has_desktop_notifier=True))
    assert isinstance(windows, ActionNotifier) and "WinRT" in windows.name
    without = choose("windows", has_desktop_notifier=False)
    assert isinstance(without, notify.NotifyPyNotifier) and "cannot confirm" in without.ready()[1]
    # macOS from a plain Python install: desktop-notifier would do nothing there, so osascript.
    assert isinstance(choose("macos", has_desktop_notifier=True, in_bundle=False), OsascriptNotifier)
    bundled = closing(choose("macos", has_desktop_notifier=True, in_bundle=True))
    assert isinstance(bundled, ActionNotifier) and "macOS" in bundled.name
    linux = closing(choose("linux", has_desktop_notifier=True))
    assert isinstance(linux, ActionNotifier) and "D-Bus" in linux.name
    assert isinstance(choose("linux", has_desktop_notifier=False), DBusNotifier)
    assert notify.in_app_bundle("/Applications/endnoted.app/Contents/MacOS/python3")
    assert not notify.in_app_bundle("/opt/homebrew/bin/python3.12")


def test_windows_toasts_are_shown_only_when_windows_took_them(closing: Callable[[Any], Any]) -> None:
    toasts = FakeToasts()
    notifier = closing(choose("windows", has_desktop_notifier=True, backend=lambda: toasts))
    delivery = notifier.send("EndNote: Thesis is diverged", "body", repair="C:\\libs\\Thesis.enl", urgency="critical")
    assert delivery.outcome == "shown"
    [sent] = toasts.sent
    assert sent["urgency"].name == "Critical" and sent["timeout"] == 0
    assert sent["icon"].path == icon_path() and icon_path().is_file()
    assert [button.title for button in sent["buttons"]] == ["Repair…"]


def test_windows_with_notifications_turned_off_is_not_shown_with_the_reason(closing: Callable[[Any], Any]) -> None:
    off = FakeToasts(setting_enabled=False)
    delivery = closing(choose("windows", has_desktop_notifier=True, backend=lambda: off)).send("t", "b")
    assert delivery.outcome == "not-shown" and "turned off" in delivery.reason and off.sent == []
    refused = FakeToasts(accepts=False)
    delivery = closing(choose("windows", has_desktop_notifier=True, backend=lambda: refused)).send("t", "b")
    assert delivery.outcome == "not-shown" and delivery.describe().startswith("not-shown (")


def test_a_hanging_backend_is_not_shown_after_the_timeout(closing: Callable[[Any], Any]) -> None:
    class Hangs(FakeToasts):
        async def send(self, title: str, message: str, **options: Any) -> str:
            await asyncio.sleep(60)
            return ""

    notifier = closing(ActionNotifier(timeout=0.5, presence=None, backend=Hangs))
    delivery = notifier.send("t", "b")
    assert delivery.outcome == "not-shown" and "Timeout" in delivery.reason


def _osascript(folder: Path, exit_code: int = 0) -> Path:
    """A stand-in for macOS's osascript: records its arguments, exits as told."""
    script = folder / "osascript"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{folder}/osascript.args"\n'
                      f'[ {exit_code} = 0 ] || echo "execution error: Not authorised (-1743)" >&2\nexit {exit_code}\n')
    script.chmod(0o755)
    return script


@POSIX_ONLY
def test_macos_osascript_delivery_is_unknown_never_shown(tmp_path: Path) -> None:
    notifier = OsascriptNotifier(osascript=str(_osascript(tmp_path)))
    delivery = notifier.send('EndNote: "Thesis" is diverged', "Run: endnoted reset \"/Users/j/Thesis.enl\"",
                             urgency="critical")
    assert delivery.outcome == "unknown" and "Script Editor" in delivery.reason
    args = (tmp_path / "osascript.args").read_text().splitlines()
    assert args[0] == "-e"
    assert args[1] == ('display notification "Run: endnoted reset \\"/Users/j/Thesis.enl\\"" '
                       'with title "EndNote: \\"Thesis\\" is diverged" sound name "Basso"')


@POSIX_ONLY
def test_macos_osascript_failure_is_not_shown_with_its_words(tmp_path: Path) -> None:
    delivery = OsascriptNotifier(osascript=str(_osascript(tmp_path, exit_code=1))).send("t", "b")
    assert delivery.outcome == "not-shown" and "Not authorised" in delivery.reason


def test_macos_osascript_missing_is_not_shown(tmp_path: Path) -> None:
    def missing(command: Any) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(2, "No such file or directory", command[0])

    delivery = OsascriptNotifier(run=missing).send("t", "b")
    assert delivery.outcome == "not-shown" and "FileNotFoundError" in delivery.reason


def test_linux_dbus_delivery_is_shown_only_with_a_server_and_carries_urgency_and_icon(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with private_bus(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        nobody = DBusNotifier(timeout=3)
        assert nobody.send("t", "b").outcome == "not-shown"
        assert nobody.ready() == (False, "no notification server on the session bus")
        with notification_server(address, tmp_path / "shown.jsonl") as log:
            notifier = DBusNotifier(timeout=3)
            assert notifier.ready() == (True, "")
            assert notifier.send("EndNote: Thesis is damaged", "body", urgency="critical").outcome == "shown"
            assert notifier.send("EndNote: Thesis is back to in-sync", "body").outcome == "shown"
            shown = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(item["urgency"], item["timeout"]) for item in shown] == [(2, 0), (1, -1)]
    assert {item["icon"] for item in shown} == {str(icon_path())}


def test_linux_desktop_notifier_critical_stays_until_dismissed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               closing: Callable[[Any], Any]) -> None:
    with private_bus(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        with notification_server(address, tmp_path / "shown.jsonl") as log:
            notifier = closing(choose("linux", has_desktop_notifier=True))
            assert notifier.ready() == (True, "")
            delivery = notifier.send("EndNote: Thesis is diverged", "body", repair="/libs/Thesis.enl",
                                     urgency="critical")
            assert delivery.outcome == "shown", delivery.reason
            [shown] = [json.loads(line) for line in log.read_text().splitlines()]
    assert shown["urgency"] == 2 and shown["timeout"] == 0 and shown["icon"] == icon_path().as_uri()
    assert "Repair…" in shown["actions"]


def test_notifications_turned_off_are_not_shown() -> None:
    delivery = NullNotifier().send("t", "b")
    assert delivery.outcome == "not-shown" and not delivery.delivered and "config" in delivery.error


def test_windows_gets_desktop_notifier_as_a_platform_marked_dependency() -> None:
    root = Path(__file__).resolve().parents[2]
    dependencies = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    [entry] = [d for d in dependencies if d.startswith("desktop-notifier")]
    assert entry.replace('"', "'").endswith("; sys_platform == 'win32'")


class _FakeToast:
    """Stands in for notify-py's PowerShell toast, which cannot run on Linux (the OS boundary)."""

    def __init__(self, result: bool | Exception) -> None:
        self.result = result
        self.application_name = self.title = self.message = self.icon = ""
        self.sent: list[tuple[str, str, str]] = []

    def send(self, block: bool = True) -> bool:
        if isinstance(self.result, Exception):
            raise self.result
        self.sent.append((self.application_name, self.title, self.message))
        return self.result


def test_windows_without_desktop_notifier_uses_notify_py_and_never_claims_shown() -> None:
    ok = _FakeToast(True)
    delivery = notify.NotifyPyNotifier(factory=lambda: ok).send("Library diverged", "Run endnoted open")
    assert delivery.outcome == notify.UNKNOWN  # notify-py's True can be a false positive
    assert ok.sent == [("endnoted", "Library diverged", "Run endnoted open")]
    assert notify.NotifyPyNotifier(factory=lambda: _FakeToast(False)).send("t", "b").outcome == notify.NOT_SHOWN
    broken = notify.NotifyPyNotifier(factory=lambda: _FakeToast(OSError("powershell.exe not found"))).send("t", "b")
    assert broken.outcome == notify.NOT_SHOWN and "powershell.exe not found" in broken.describe()
