"""Where the state folder is, as far as the environment alone tells: `paths.state_dir` asks this first, and
the lean `status` (cli/quick.py) uses it without importing `paths` (dataclasses, pathlib, platformdirs:
start-up time, issue 16 item 5). Imports: os and sys only.

On Linux and macOS the platform's convention is computed from the environment (the same folders
platformdirs gives: tests/common/test_statedir.py compares them), so `status` typed by hand takes the
lean path there too. On Windows the local AppData folder comes from the shell's known-folder lookup
(paths.windows_folders), not from an environment variable, so there `locate` says None and the
caller asks `paths`.
"""

from __future__ import annotations

import os
import sys


def from_env() -> str | None:
    """Given the environment, the state folder it names (ENDNOTED_STATE_DIR, then systemd's STATE_DIRECTORY), or None."""
    # 1. ENDNOTED_STATE_DIR wins everywhere (tests, several profiles, help desks).
    if value := os.environ.get("ENDNOTED_STATE_DIR"):
        return value
    # 2. systemd sets STATE_DIRECTORY when the unit asks for StateDirectory=.
    if value := os.environ.get("STATE_DIRECTORY"):
        return value.split(":")[0]
    return None


STATE_FILE = "state.db"
APP = "endnoted"


def conventional(platform: str, env: dict[str, str] | os._Environ[str], home: str) -> str | None:
    """Given a platform ("linux", "macos", "windows"), the environment and the home folder, return the state
    folder the platform's convention gives, or None where only the OS can tell (Windows)."""
    if platform == "macos":
        return os.path.join(home, "Library", "Application Support", APP)
    if platform == "linux":
        # platformdirs' Unix.user_state_dir: $XDG_STATE_HOME unless blank, else ~/.local/state.
        base = env.get("XDG_STATE_HOME", "")
        if not base.strip():
            base = os.path.join(home, ".local", "state")
        return os.path.join(base, APP)
    return None


def locate() -> str | None:
    """The state folder from the environment: an override, else this platform's convention (None on Windows)."""
    if named := from_env():
        return named
    platform = "macos" if sys.platform == "darwin" else "windows" if sys.platform.startswith("win") else "linux"
    return conventional(platform, os.environ, os.environ.get("HOME") or os.path.expanduser("~"))
