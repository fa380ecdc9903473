"""The state folder from the environment alone (common/statedir.py) is the one `paths` and platformdirs give."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

import pytest
from platformdirs.unix import Unix

from endnoted.common import paths, statedir


@pytest.mark.parametrize("xdg", [None, "", "   ", "/srv/state", "/home/ünï/state dir"])
def test_linux_convention_is_platformdirs_own(xdg: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if xdg is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", xdg)
    monkeypatch.setenv("HOME", "/home/ünï")
    expected = Unix("endnoted", appauthor=False).user_state_dir
    assert statedir.conventional("linux", os.environ, "/home/ünï") == expected


def test_macos_convention_is_the_one_paths_gives() -> None:
    home = "/Users/Zoë Smith"
    assert statedir.conventional("macos", {}, home) == str(paths.macos_folders(PurePosixPath(home)).state)


def test_windows_asks_the_shell_so_the_environment_alone_does_not_tell() -> None:
    assert statedir.conventional("windows", {"LOCALAPPDATA": "C:\\Users\\x\\AppData\\Local"}, "C:\\Users\\x") is None


def test_an_override_wins_and_paths_agrees_with_locate(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("ENDNOTED_STATE_DIR", raising=False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", "/tmp/xdg-here")
    assert statedir.locate() == "/tmp/xdg-here/endnoted" == str(paths.state_dir())
    monkeypatch.setenv("STATE_DIRECTORY", "/run/sd/endnoted:/other")
    assert statedir.locate() == "/run/sd/endnoted" == str(paths.state_dir())
    monkeypatch.setenv("ENDNOTED_STATE_DIR", "/mine")
    assert statedir.locate() == "/mine" == str(paths.state_dir())
