"""Libraries deeper than the OS's path limit (PATH_MAX, 4096 bytes on Linux): a usage error naming the path, exit 2.

A path that long can only be made and reached step by step through relative names (an absolute
path over PATH_MAX fails in every system call), so the tests build the folders one chdir at a time
and run the CLI from inside them, naming the library relatively, as a user who `cd`s there would.
The library itself is sound: calling it damaged, or failing "unexpectedly", would both be lies.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.conftest import tree_hash
from tests.hostile.common import endnoted, one_line_error

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's PATH_MAX (4096)")

STEP = "d" * 200
NAME = "My EndNote Library"


@contextmanager
def inside(base: Path, depth: int) -> Iterator[None]:
    """Make (if need be) and enter a folder below `base` whose absolute path is `depth` characters long; come back after."""
    back = os.open(".", os.O_RDONLY)
    try:
        os.chdir(base)
        length = len(str(base))
        while length + 1 + len(STEP) < depth - 20:
            os.makedirs(STEP, exist_ok=True)
            os.chdir(STEP)
            length += 1 + len(STEP)
        last = "e" * (depth - length - 1)
        os.makedirs(last, exist_ok=True)
        os.chdir(last)
        assert len(os.getcwd()) == depth
        yield
    finally:
        os.fchdir(back)
        os.close(back)


def _deep_library(tmp_path: Path, depth: int, attachment: str | None = None) -> Path:
    """A sound library copied into a folder `depth` characters deep (its first reference with a PDF named
    `attachment`, if given); returns the original."""
    refs = synthetic_refs(20)
    refs[0] = dataclasses.replace(refs[0], attachment=attachment)
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.1)))
    (tmp_path / "deep").mkdir()
    with inside(tmp_path / "deep", depth):
        shutil.copy2(enl, enl.name)
        shutil.copytree(enl.with_suffix(".Data"), enl.with_suffix(".Data").name)
    return enl


def _deep_tree_hash(tmp_path: Path, depth: int) -> dict[str, str]:
    with inside(tmp_path / "deep", depth):
        return tree_hash(Path("."))


# 4065: the .enl (4088) and its .Data folder can be named, its database (4101) cannot.
# 4085: not even the .enl (4108) can be named.
@pytest.mark.parametrize("depth", [4065, 4085])
def test_a_library_deeper_than_path_max_is_a_usage_error_naming_it(tmp_path: Path, depth: int) -> None:
    _deep_library(tmp_path, depth)
    before = _deep_tree_hash(tmp_path, depth)
    (tmp_path / "out").mkdir()
    with inside(tmp_path / "deep", depth):
        for args in (["check", f"{NAME}.enl"], ["check", "."], ["check", "--json", f"{NAME}.enl"],
                     ["compare", f"{NAME}.enl", f"{NAME}.enl"], ["backup", f"{NAME}.enl", "--to", str(tmp_path / "out")]):
            outcome = endnoted(*args, timeout=120)
            line = one_line_error(outcome, 2)
            assert "too long" in line and len(line) < 400, (args, line[:400])
            assert str(tmp_path / "out") not in line, (args, line)   # the library's path is to blame, not --to
    assert _deep_tree_hash(tmp_path, depth) == before
    assert not list((tmp_path / "out").iterdir())


def test_a_backup_blames_the_attachment_too_deep_to_read_not_its_short_destination(tmp_path: Path) -> None:
    """The database can be read, one attachment's path cannot: the backup stops, saying which, and keeps nothing."""
    depth = 4040   # the database's path is 4080 characters long with "-journal"; the PDF's, over 4096
    _deep_library(tmp_path, depth, attachment="p" * 60 + ".pdf")
    (tmp_path / "out").mkdir()
    with inside(tmp_path / "deep", depth):
        outcome = endnoted("backup", f"{NAME}.enl", "--to", str(tmp_path / "out"), timeout=120)
    line = one_line_error(outcome, 2)
    assert "too long" in line and "p" * 30 in line and str(tmp_path / "out") not in line, line
    assert not list((tmp_path / "out").iterdir())


def test_a_compressed_library_deeper_than_path_max_is_read_by_its_relative_name_or_refused_in_one_line(
        tmp_path: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(20), last_sync=days_ago(0.1)))
    assert endnoted("backup", str(enl), "--to", str(tmp_path / "b")).code == 0
    (backup,) = (tmp_path / "b").glob("*.enlx")
    depth = 4085
    (tmp_path / "deep").mkdir()
    with inside(tmp_path / "deep", depth):
        shutil.copy2(backup, "x" * 20 + ".enlx")
        outcomes = {args[0]: endnoted(*args, timeout=120) for args in (
            ["verify", "x" * 20 + ".enlx"], ["check", "x" * 20 + ".enlx"], ["restore", "x" * 20 + ".enlx", "--to", str(tmp_path / "out")])}
    # verify and restore read it by the name given, relative to where the user is; check keys libraries on
    # their full path, which the OS refuses: it says so.
    assert outcomes["verify"].code == 0 and outcomes["restore"].code == 0, outcomes
    line = one_line_error(outcomes["check"], 2)
    assert "too long" in line and "x" * 20 + ".enlx" in line, line


def test_a_check_meeting_an_attachment_too_deep_to_look_at_says_so_in_one_line(tmp_path: Path) -> None:
    """The database is in reach, one PDF is not: wherever the OS refuses a path, the error names it (exit 2)."""
    depth = 4040
    _deep_library(tmp_path, depth, attachment="p" * 60 + ".pdf")
    with inside(tmp_path / "deep", depth):
        plain = endnoted("check", f"{NAME}.enl", timeout=120)
        as_json = endnoted("check", "--json", f"{NAME}.enl", timeout=120)
    line = one_line_error(plain, 2)
    assert "too long" in line and "p" * 60 + ".pdf" in line and len(line) < 400, line
    assert one_line_error(as_json, 2) == line
    assert json.loads(as_json.stdout)["error"] == {"message": line.removeprefix("Error: "), "exit": 2}
