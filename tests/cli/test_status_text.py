"""status_text: the helpers `status` renders with, without pathlib (start-up time), agree with pathlib."""

from __future__ import annotations

import ntpath
import posixpath
from pathlib import PurePath, PurePosixPath, PureWindowsPath

import pytest

from endnoted.cli import status_text


@pytest.mark.parametrize("path", ["/home/a/Thesis/My EndNote Library.enl", "/x.enl", "/", "relative/dir/x.enl",
                                  "x.enl", "/a b/c (1)/d.enl", ""])
def test_a_paths_parts_are_purepaths(path: str) -> None:
    assert status_text._parts(path) == PurePath(path).parts


@pytest.mark.parametrize("path", [r"C:\Users\me\Documents\My EndNote Library.enl", r"\\server\share\lab\x.enl",
                                  r"D:\x.enl"])
def test_a_windows_paths_parts_are_purewindowspaths(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The OS boundary: os.path is ntpath on Windows. Our own functions are not replaced.
    monkeypatch.setattr(status_text.os, "path", ntpath)
    assert status_text._parts(path) == PureWindowsPath(path).parts
    monkeypatch.setattr(status_text.os, "path", posixpath)
    assert status_text._parts("/a/b") == PurePosixPath("/a/b").parts


def test_short_names_of_a_whole_path_keep_its_anchor() -> None:
    names = status_text.short_names(["/a/x.enl", "/b/a/x.enl"])
    assert names == {"/a/x.enl": "/a/x.enl", "/b/a/x.enl": "b/a/x.enl"}
