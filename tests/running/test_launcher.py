"""The Repair… button's command line on each platform, and the one case where nothing can be opened.

Which programs exist, the environment and the platform are the OS boundary: passed in as
parameters. One Linux launch runs for real, through stand-in terminal and endnoted programs.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from endnoted.running import launcher
from endnoted.running.launcher import HOLD, Launch, open_repair, plan

POSIX_ONLY = pytest.mark.skipif(sys.platform.startswith("win"), reason="the stand-in programs are shell scripts")

LIB = "/Users/jane/Documents/My Thesis.enl"
WIN_LIB = "C:\\Users\\jane\\OneDrive\\Documents\\My Thesis.enl"


def only(*present: str) -> object:
    return lambda name: f"/usr/bin/{name}" if name in present else None


def test_the_button_opens_the_page_by_default_on_every_platform() -> None:
    for platform in ("linux", "macos", "windows"):
        launch = plan(LIB, platform=platform, which=only(), env={}, endnoted=["/opt/bin/endnoted"])
        assert launch == Launch(("/opt/bin/endnoted", "open", LIB), via="the browser (endnoted open)")


def test_windows_opens_a_new_console_that_stays_open() -> None:
    launch = plan(WIN_LIB, mode="terminal", platform="windows", which=only(), env={},
                  endnoted=["C:\\Program Files\\endnoted\\endnoted.exe"])
    assert launch is not None and launch.new_console
    # /s /k: cmd keeps the window open after the wizard; the outer quotes survive cmd's quote rule.
    assert launch.command_line == ('cmd.exe /s /k ""C:\\Program Files\\endnoted\\endnoted.exe" reset '
                                   '"C:\\Users\\jane\\OneDrive\\Documents\\My Thesis.enl""')


def test_macos_opens_terminal_through_osascript() -> None:
    launch = plan(LIB, mode="terminal", platform="macos", which=only("osascript"), env={},
                  endnoted=["/Users/jane/.local/bin/endnoted"])
    assert launch is not None
    assert launch.command == ("osascript", "-e", 'tell application "Terminal" to do script '
                              "\"/Users/jane/.local/bin/endnoted reset '/Users/jane/Documents/My Thesis.enl'\"",
                              "-e", 'tell application "Terminal" to activate')
    assert plan(LIB, mode="terminal", platform="macos", which=only(), env={}) is None


def test_linux_prefers_xdg_terminal_exec_and_leaves_our_cgroup_under_systemd() -> None:
    wizard = ("sh", "-c", HOLD, "endnoted-repair", "endnoted", "reset", LIB)
    first = plan(LIB, mode="terminal", platform="linux", which=only("xterm", "xdg-terminal-exec", "konsole"), env={},
                 endnoted=["endnoted"])
    assert first is not None and first.command == ("/usr/bin/xdg-terminal-exec", *wizard)
    known = plan(LIB, mode="terminal", platform="linux", which=only("konsole", "xterm"), env={}, endnoted=["endnoted"])
    assert known is not None and known.command == ("/usr/bin/konsole", "-e", *wizard)
    scoped = plan(LIB, mode="terminal", platform="linux", which=only("gnome-terminal", "systemd-run"),
                  env={"INVOCATION_ID": "0123abcd"}, endnoted=["endnoted"])
    assert scoped is not None and scoped.command == (
        "/usr/bin/systemd-run", "--user", "--scope", "--quiet", "--", "/usr/bin/gnome-terminal", "--", *wizard)
    override = plan(LIB, mode="terminal", platform="linux", which=only("xterm"),
                    env={"ENDNOTED_TERMINAL": "wezterm start --"}, endnoted=["endnoted"])
    assert override is not None and override.command == ("wezterm", "start", "--", "endnoted", "reset", LIB)


def test_with_no_terminal_it_never_runs_headless_but_says_which_command_to_run() -> None:
    told: list[tuple[str, str]] = []
    started: list[Launch] = []
    result = open_repair(LIB, mode="terminal", tell=lambda title, body: told.append((title, body)),
                         start=started.append, platform="linux", which=only(), env={}, endnoted=["endnoted"])
    assert result is None and started == []
    [(title, body)] = told
    assert "terminal" in title and f'endnoted reset "{LIB}"' in body


@POSIX_ONLY
def test_a_real_linux_launch_keeps_the_wizards_last_words_on_screen(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    screen = tmp_path / "screen.txt"
    # A stand-in terminal: runs the command it is given, shows its output (to a file), presses Enter once.
    (bin_dir / "xdg-terminal-exec").write_text(f'#!/bin/sh\nprintf "\\n" | "$@" > "{screen}" 2>&1\n')
    # A stand-in wizard: its last words, then it ends.
    (bin_dir / "endnoted").write_text('#!/bin/sh\necho "Step 14 of 14: the reset is done ($2)."\nexit 0\n')
    for program in bin_dir.iterdir():
        program.chmod(0o755)
    launch = open_repair(LIB, mode="terminal", platform="linux", env={},
                         which=lambda name: shutil.which(name, path=str(bin_dir)), endnoted=[str(bin_dir / "endnoted")])
    assert launch is not None and launch.via == "xdg-terminal-exec"
    deadline = time.monotonic() + 10
    while "Press Enter" not in (screen.read_text() if screen.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.05)
    text = screen.read_text()
    assert f"Step 14 of 14: the reset is done ({LIB})." in text
    assert "the repair wizard has ended (exit 0)" in text and "Press Enter to close this window." in text


def test_the_command_to_call_endnoted_is_the_script_beside_python_else_the_module(tmp_path: Path) -> None:
    python = tmp_path / "python3"
    python.touch()
    assert launcher.endnoted_command(str(python)) == (str(python), "-m", "endnoted")
    (tmp_path / "endnoted").touch()
    assert launcher.endnoted_command(str(python)) == (str(tmp_path / "endnoted"),)
