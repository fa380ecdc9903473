"""Where endnoted keeps its config, state, logs and backups, and where it looks for libraries and exports.

Each lookup is: 1. an explicit argument, 2. an `ENDNOTED_*` environment variable, 3. the platform's
convention as platformdirs knows it. platformdirs follows what the user changed: a localised
`~/.config/user-dirs.dirs` on Linux (`~/Herunterladen`, `~/Dokumente`), and on Windows the shell's
known folders, which point into OneDrive when Documents or Desktop were redirected there.

The Windows and macOS branches are computed by plain functions that take the platform's folder
lookup as a parameter, so they can be tested on Linux with that lookup (the OS boundary) faked.
Directories are created by the code that writes into them, not here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

from endnoted.common import statedir

APP = "endnoted"
PLATFORMS = ("linux", "macos", "windows")

# A Windows folder lookup: CSIDL name ("CSIDL_PERSONAL", …) -> the folder, after redirection; None if unknown.
WindowsLookup = Callable[[str], "str | None"]


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def current_platform() -> str:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("win"):
        return "windows"
    return "linux"


_platform = current_platform  # the old private name, kept for callers elsewhere


@dataclass(frozen=True)
class Folders:
    """One platform's folders for endnoted, before any `ENDNOTED_*` override."""

    state: PurePath
    data: PurePath
    config: PurePath
    logs: PurePath
    downloads: PurePath
    documents: PurePath
    desktop: PurePath
    home: PurePath
    extra_scan_roots: tuple[PurePath, ...] = ()    # e.g. the OneDrive folder on Windows


def _windows_lookup(csidl: str) -> str | None:  # pragma: no cover - needs the Windows shell API
    # platformdirs asks SHGetKnownFolderPath / SHGetFolderPathW, which answer with the redirected
    # folder (OneDrive\Documents) when the user or their organisation moved it.
    from platformdirs.windows import get_win_folder  # here: it loads ctypes and winreg, Windows only
    try:
        return get_win_folder(csidl)
    except (OSError, ValueError, NotImplementedError):
        return None


def windows_folders(lookup: WindowsLookup, env: Mapping[str, str]) -> Folders:
    """Given the Windows known-folder lookup and the environment, return endnoted's folders on Windows."""
    profile = PureWindowsPath(env.get("USERPROFILE") or "C:\\Users\\Default")

    def folder(csidl: str, *fallback: str) -> PureWindowsPath:
        found = lookup(csidl)
        return PureWindowsPath(found) if found else profile.joinpath(*fallback)

    local = folder("CSIDL_LOCAL_APPDATA", "AppData", "Local")
    roaming = folder("CSIDL_APPDATA", "AppData", "Roaming")
    onedrive = [PureWindowsPath(env[name]) for name in ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")
                if env.get(name)]
    return Folders(state=local / APP, data=local / APP, config=roaming / APP / "config.toml",
                   logs=local / APP / "Logs", downloads=folder("CSIDL_DOWNLOADS", "Downloads"),
                   documents=folder("CSIDL_PERSONAL", "Documents"), desktop=folder("CSIDL_DESKTOPDIRECTORY", "Desktop"),
                   home=profile, extra_scan_roots=tuple(dict.fromkeys(onedrive)))


def macos_folders(home: PurePath) -> Folders:
    """Given the home folder, return endnoted's folders on macOS (Finder localises names only on screen)."""
    support = PurePosixPath(home) / "Library" / "Application Support" / APP
    return Folders(state=support, data=support, config=support / "config.toml",
                   logs=PurePosixPath(home) / "Library" / "Logs" / APP, downloads=PurePosixPath(home) / "Downloads",
                   documents=PurePosixPath(home) / "Documents", desktop=PurePosixPath(home) / "Desktop",
                   home=PurePosixPath(home))


def linux_folders() -> Folders:
    """endnoted's folders on Linux and other Unix: XDG base dirs, and user-dirs.dirs for the media folders."""
    from platformdirs.unix import Unix  # here, not at the top: only this platform's module is needed
    dirs = Unix(APP, appauthor=False)
    return Folders(state=Path(dirs.user_state_dir), data=Path(dirs.user_data_dir),
                   config=Path(dirs.user_config_dir) / "config.toml", logs=Path(dirs.user_log_dir),
                   downloads=Path(dirs.user_downloads_dir), documents=Path(dirs.user_documents_dir),
                   desktop=Path(dirs.user_desktop_dir), home=_home())


def folders(platform: str | None = None, *, lookup: WindowsLookup | None = None,
            env: Mapping[str, str] | None = None) -> Folders:
    """Given a platform (default: this one), return its folders; `lookup` replaces the Windows shell API."""
    platform = platform or current_platform()
    if platform == "windows":
        return windows_folders(lookup or _windows_lookup, os.environ if env is None else env)
    if platform == "macos":
        return macos_folders(_home())
    return linux_folders()


def state_dir() -> Path:
    """Given the environment, return the folder holding endnoted's state database."""
    # 1. ENDNOTED_STATE_DIR, 2. systemd's STATE_DIRECTORY, 3. the platform's convention: statedir.locate
    # computes it on Linux and macOS (so the lean status finds the same file); Windows asks the shell.
    if value := statedir.locate():
        return Path(value)
    return Path(folders().state)


def data_dir() -> Path:
    """Given the environment, return the folder for files the user keeps (backups)."""
    if value := os.environ.get("ENDNOTED_DATA_DIR"):
        return Path(value)
    return Path(folders().data)


def config_file() -> Path:
    """Given the environment, return the path of the TOML config file (it may not exist)."""
    if value := os.environ.get("ENDNOTED_CONFIG"):
        return Path(value)
    return Path(folders().config)


def log_dir() -> Path:
    """Given the environment, return the folder for endnoted's own rotating log file."""
    if value := os.environ.get("ENDNOTED_LOG_DIR"):
        return Path(value)
    if value := os.environ.get("LOGS_DIRECTORY"):   # systemd's LogsDirectory=
        return Path(value.split(":")[0])
    return Path(folders().logs)


def state_db() -> Path:
    return state_dir() / statedir.STATE_FILE


def default_backups_dir() -> Path:
    return data_dir() / "backups"


def default_export_folders() -> list[Path]:
    """Where a browser saves what the user exports from EndNote Web: the user's Downloads, wherever it is."""
    return [Path(folders().downloads)]


def default_scan_roots() -> list[Path]:
    """Where libraries usually live: Documents, Desktop, (on Windows) OneDrive, then the home folder itself."""
    found = folders()
    roots = [Path(found.documents), Path(found.desktop), *map(Path, found.extra_scan_roots), Path(found.home)]
    return list(dict.fromkeys(roots))
