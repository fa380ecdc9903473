"""Every folder we use or look in, per platform, following localised and redirected folders.

Linux reads a real `user-dirs.dirs` in a temporary HOME. The Windows known-folder lookup (the
shell API / registry, which cannot exist here) is passed in as a parameter.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from endnoted.common import paths

LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads user-dirs.dirs: the Linux branch, on this machine")

GERMAN_USER_DIRS = """# This file is written by xdg-user-dirs-update
XDG_DESKTOP_DIR="$HOME/Schreibtisch"
XDG_DOWNLOAD_DIR="$HOME/Herunterladen"
XDG_DOCUMENTS_DIR="$HOME/Dokumente"
"""


@pytest.fixture
def german_home(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    config = isolated_home / ".config"
    config.mkdir(mode=0o700)
    (config / "user-dirs.dirs").write_text(GERMAN_USER_DIRS)
    return isolated_home


@LINUX_ONLY
def test_linux_follows_a_localised_user_dirs_file(german_home: Path) -> None:
    assert paths.default_export_folders() == [german_home / "Herunterladen"]
    assert paths.default_scan_roots() == [german_home / "Dokumente", german_home / "Schreibtisch", german_home]
    found = paths.folders("linux")
    assert (found.state, found.logs) == (german_home / ".local/state/endnoted", german_home / ".local/state/endnoted/log")


@LINUX_ONLY
def test_linux_without_user_dirs_uses_the_english_names(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert paths.default_export_folders() == [isolated_home / "Downloads"]


def test_windows_follows_known_folders_redirected_into_onedrive() -> None:
    profile = "C:\\Users\\jane"
    known = {  # what SHGetKnownFolderPath answers once Documents and Desktop were moved into OneDrive
        "CSIDL_LOCAL_APPDATA": f"{profile}\\AppData\\Local", "CSIDL_APPDATA": f"{profile}\\AppData\\Roaming",
        "CSIDL_PERSONAL": f"{profile}\\OneDrive - Uni\\Documents", "CSIDL_DESKTOPDIRECTORY": f"{profile}\\OneDrive - Uni\\Desktop",
        "CSIDL_DOWNLOADS": "D:\\Downloads"}
    found = paths.folders("windows", lookup=known.get,
                          env={"USERPROFILE": profile, "OneDriveCommercial": f"{profile}\\OneDrive - Uni"})
    assert found.documents == PureWindowsPath(profile, "OneDrive - Uni", "Documents")
    assert found.desktop == PureWindowsPath(profile, "OneDrive - Uni", "Desktop")
    assert found.downloads == PureWindowsPath("D:\\Downloads")
    assert found.state == PureWindowsPath(profile, "AppData", "Local", "endnoted")
    assert found.logs == PureWindowsPath(profile, "AppData", "Local", "endnoted", "Logs")
    assert found.config == PureWindowsPath(profile, "AppData", "Roaming", "endnoted", "config.toml")
    assert found.extra_scan_roots == (PureWindowsPath(profile, "OneDrive - Uni"),)
    # A lookup that knows nothing falls back to the profile's English names.
    bare = paths.folders("windows", lookup=lambda name: None, env={"USERPROFILE": profile})
    assert bare.documents == PureWindowsPath(profile, "Documents") and bare.extra_scan_roots == ()


def test_macos_folders(isolated_home: Path) -> None:
    found = paths.folders("macos")
    home = PurePosixPath(isolated_home)
    assert found.state == home / "Library/Application Support/endnoted"
    assert found.logs == home / "Library/Logs/endnoted"
    assert found.downloads == home / "Downloads"


def test_endnoted_overrides_still_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENDNOTED_LOG_DIR", str(tmp_path / "logs"))
    assert paths.log_dir() == tmp_path / "logs"
    assert paths.state_dir() == tmp_path / "state" and paths.data_dir() == tmp_path / "data"
    assert paths.config_file() == tmp_path / "config.toml"
