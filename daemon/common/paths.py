"""Where endnoted keeps its config, state, logs and backups on each platform.

Each lookup is: 1. an explicit argument, 2. an environment variable, 3. the platform default.
Directories are created by the code that writes into them, not here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "endnoted"


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def _platform() -> str:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("win"):
        return "windows"
    return "linux"


def state_dir() -> Path:
    """Given the environment, return the folder holding endnoted's state database."""
    # 1. ENDNOTED_STATE_DIR wins everywhere (tests, several profiles, help desks).
    if value := os.environ.get("ENDNOTED_STATE_DIR"):
        return Path(value)
    # 2. systemd sets STATE_DIRECTORY when the unit asks for StateDirectory=.
    if value := os.environ.get("STATE_DIRECTORY"):
        return Path(value.split(":")[0])
    # 3. the platform's convention.
    platform = _platform()
    if platform == "macos":
        return _home() / "Library" / "Application Support" / APP
    if platform == "windows":
        return Path(os.environ.get("LOCALAPPDATA") or _home() / "AppData" / "Local") / APP
    return Path(os.environ.get("XDG_STATE_HOME") or _home() / ".local" / "state") / APP


def data_dir() -> Path:
    """Given the environment, return the folder for files the user keeps (backups)."""
    if value := os.environ.get("ENDNOTED_DATA_DIR"):
        return Path(value)
    platform = _platform()
    if platform == "macos":
        return _home() / "Library" / "Application Support" / APP
    if platform == "windows":
        return Path(os.environ.get("LOCALAPPDATA") or _home() / "AppData" / "Local") / APP
    return Path(os.environ.get("XDG_DATA_HOME") or _home() / ".local" / "share") / APP


def config_file() -> Path:
    """Given the environment, return the path of the TOML config file (it may not exist)."""
    if value := os.environ.get("ENDNOTED_CONFIG"):
        return Path(value)
    platform = _platform()
    if platform == "macos":
        return _home() / "Library" / "Application Support" / APP / "config.toml"
    if platform == "windows":
        return Path(os.environ.get("APPDATA") or _home() / "AppData" / "Roaming") / APP / "config.toml"
    return Path(os.environ.get("XDG_CONFIG_HOME") or _home() / ".config") / APP / "config.toml"


def state_db() -> Path:
    return state_dir() / "state.db"


def default_backups_dir() -> Path:
    return data_dir() / "backups"


def default_export_folders() -> list[Path]:
    """Where a browser saves what the user exports from EndNote Web."""
    return [_home() / "Downloads"]


def default_scan_roots() -> list[Path]:
    home = _home()
    return [home / "Documents", home / "Desktop", home]
