"""What the notification's "Repair…" button starts, on each platform.

By default (`repair = "page"` in the config) it runs `endnoted open LIBRARY`, which opens the
wizard as a local page in the browser: no terminal needed. With `repair = "terminal"` it opens
the terminal wizard (`endnoted reset LIBRARY`) in a new window:

- Windows: a new console (`cmd /k`, so the window stays open with the wizard's last words).
- macOS: Terminal, through `osascript` (`do script` leaves the shell, and the window, open).
- Linux: `xdg-terminal-exec` first, then the usual terminals; under systemd through
  `systemd-run --user --scope`, so the window is not in our service's cgroup and survives
  `systemctl --user restart endnoted`. A small shell wrapper keeps the window open at the end.
- No terminal at all: never run the wizard headless (it would stop at its first question and
  nothing visible would happen); raise a notification that says which command to run instead.

`plan` only computes the command line; the OS boundary (which programs exist, the environment,
the platform) comes in as parameters, so every branch is tested on Linux.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from endnoted.common.paths import current_platform

logger = logging.getLogger(__name__)
MODES = ("page", "terminal")

# Known terminals after xdg-terminal-exec, each with the flag that precedes the command to run.
TERMINALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("xdg-terminal-exec", ()), ("x-terminal-emulator", ("-e",)), ("gnome-terminal", ("--",)), ("konsole", ("-e",)),
    ("xfce4-terminal", ("-x",)), ("kgx", ("--",)), ("ptyxis", ("--",)), ("tilix", ("-e",)), ("kitty", ()),
    ("alacritty", ("-e",)), ("foot", ()), ("wezterm", ("start", "--")), ("xterm", ("-e",)))

# Keeps the window open with the wizard's last words, whatever its exit status.
HOLD = ('"$@"; status=$?; echo; echo "endnoted: the repair wizard has ended (exit $status); its last words are above."; '
        'printf "Press Enter to close this window. "; read _')


@dataclass(frozen=True)
class Launch:
    """One way to start the repair: the program and arguments, and how it shows itself."""

    command: tuple[str, ...]
    via: str
    new_console: bool = False            # Windows: CREATE_NEW_CONSOLE
    command_line: str | None = None      # Windows: the exact line for CreateProcess (cmd's quoting rules)


def endnoted_command(executable: str | None = None) -> tuple[str, ...]:
    """How to call endnoted from outside: the script beside this interpreter, else `python -m endnoted`."""
    python = Path(executable or sys.executable)
    for name in ("endnoted", "endnoted.exe"):
        script = python.with_name(name)
        if script.is_file():
            return (str(script),)
    return (str(python), "-m", "endnoted")


def _applescript_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan(library: str, *, mode: str = "page", platform: str | None = None,
         which: Callable[[str], str | None] = shutil.which, env: Mapping[str, str] | None = None,
         endnoted: Sequence[str] | None = None) -> Launch | None:
    """Given a library and how to repair it, return what to start; None when no terminal can show the wizard."""
    platform = platform or current_platform()
    env = os.environ if env is None else env
    program = tuple(endnoted) if endnoted is not None else endnoted_command()
    if mode == "page":
        return Launch((*program, "open", library), via="the browser (endnoted open)")
    wizard = (*program, "reset", library)
    if override := env.get("ENDNOTED_TERMINAL"):      # a command prefix, split like a shell would
        return Launch((*shlex.split(override), *wizard), via=f"ENDNOTED_TERMINAL ({override})")
    if platform == "windows":
        line = 'cmd.exe /s /k "' + subprocess.list2cmdline(wizard) + '"'
        return Launch(("cmd.exe", "/s", "/k", subprocess.list2cmdline(wizard)), via="a new console window",
                      new_console=True, command_line=line)
    if platform == "macos":
        if which("osascript") is None:
            return None
        script = shlex.join(wizard)
        return Launch(("osascript", "-e", f"tell application \"Terminal\" to do script {_applescript_string(script)}",
                       "-e", 'tell application "Terminal" to activate'), via="Terminal")
    held = ("sh", "-c", HOLD, "endnoted-repair", *wizard)
    for terminal, flags in TERMINALS:
        if (found := which(terminal)) is None:
            continue
        command: tuple[str, ...] = (found, *flags, *held)
        if env.get("INVOCATION_ID") and (scope := which("systemd-run")):
            # We run inside a systemd unit: give the terminal a scope of its own, out of our cgroup.
            command = (scope, "--user", "--scope", "--quiet", "--", *command)
        return Launch(command, via=terminal)
    return None


def spawn(launch: Launch) -> None:
    """Start the launch detached from us (the real OS call)."""
    if launch.new_console and launch.command_line:  # pragma: no cover - Windows only
        subprocess.Popen(launch.command_line, creationflags=getattr(subprocess, "CREATE_NEW_CONSOLE", 0x10),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return
    subprocess.Popen(list(launch.command), start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def manual_command(library: str, mode: str) -> str:
    return f'endnoted {"open" if mode == "page" else "reset"} "{library}"'


def open_repair(library: str, *, mode: str = "page", tell: Callable[[str, str], object] | None = None,
                start: Callable[[Launch], None] = spawn, platform: str | None = None,
                which: Callable[[str], str | None] = shutil.which, env: Mapping[str, str] | None = None,
                endnoted: Sequence[str] | None = None) -> Launch | None:
    """Start the repair for `library`; when nothing can show it, `tell` the user which command to run."""
    launch = plan(library, mode=mode, platform=platform, which=which, env=env, endnoted=endnoted)
    problem = "no terminal was found to open the repair wizard in" if launch is None else ""
    if launch is not None:
        try:
            start(launch)
            logger.info("repair for %s opened via %s", library, launch.via)
            return launch
        except OSError as error:
            problem = f"{launch.via} could not be started ({error})"
    logger.warning("%s; run: %s", problem, manual_command(library, "terminal"))
    if tell is not None:
        tell("EndNote: run the repair in a terminal",
             f"{problem[0].upper()}{problem[1:]}. Open a terminal and run: {manual_command(library, 'terminal')}")
    return None
