"""Finding libraries under a folder: one walk gives the libraries and the `.enlx` files it passes over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, synthetic_refs
from endnoted.reading.library import find, locate, search
from tests.hostile.common import NO_DAC


def _library(folder: Path, name: str) -> Path:
    return build(folder, LibrarySpec(name=name, refs=synthetic_refs(1)))


def test_one_walk_finds_libraries_and_compressed_ones_in_the_same_folders_to_the_same_depth(tmp_path: Path) -> None:
    top = _library(tmp_path, "Top")
    deep = _library(tmp_path / "a" / "b", "Deep")
    _library(tmp_path / "1" / "2" / "3" / "4" / "5", "TooDeep")           # 5 levels below: past LOCATE_DEPTH
    (tmp_path / "1" / "2" / "3" / "4" / "5" / "far.enlx").write_bytes(b"PK")
    (tmp_path / "a" / "backup.enlx").write_bytes(b"PK")
    (tmp_path / "top.ENLX").write_bytes(b"PK")
    (tmp_path / ".hidden").mkdir()
    _library(tmp_path / ".hidden", "Hidden")
    (tmp_path / ".hidden" / "h.enlx").write_bytes(b"PK")
    (tmp_path / ".dot.enlx").write_bytes(b"PK")
    (tmp_path / "Top.Data" / "inside.enlx").write_bytes(b"PK")              # a library's insides are not searched
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)   # nor folders reached by a link
    (tmp_path / "link.enlx").symlink_to(tmp_path / "a" / "backup.enlx")
    found = search(tmp_path)
    assert sorted(library.name for library in found.libraries) == ["Deep", "Top"]
    assert {library.path for library in found.libraries} == {top.resolve(), deep.resolve()}
    assert sorted(path.relative_to(tmp_path).as_posix() for path in found.compressed) == ["a/backup.enlx", "top.ENLX"]
    assert sorted(library.name for library in search(tmp_path, depth=5).libraries) == ["Deep", "TooDeep", "Top"]
    assert len(search(tmp_path, depth=5).compressed) == 3


def test_find_names_skipped_compressed_libraries_only_for_a_folder_search(tmp_path: Path) -> None:
    enl = _library(tmp_path, "Thesis")
    (tmp_path / "Thesis-backup.enlx").write_bytes(b"PK")
    package = tmp_path / "Grant.enlp"
    _library(package, "Grant")
    (package / "inner.enlx").write_bytes(b"PK")
    assert [p.name for p in find(tmp_path).compressed] == ["Thesis-backup.enlx"]
    assert find(enl).compressed == () and find(enl.with_suffix(".Data")).compressed == ()
    assert find(package).compressed == () and [lib.name for lib in find(package).libraries] == ["Grant"]
    assert sorted(lib.name for lib in locate(tmp_path)) == ["Grant", "Thesis"]   # a package is read as a library
    assert find(tmp_path / "Thesis-backup.enlx").libraries[0].name == "Thesis-backup"


def test_a_named_folder_that_cannot_be_listed_is_an_error_a_sub_folder_is_passed_over(tmp_path: Path) -> None:
    # Root reads a folder whatever its mode: as root (CI), the search runs in a process without the
    # capabilities that let it (tests/hostile/common.py NO_DAC), so the kernel checks modes as for a user.
    _library(tmp_path, "Thesis")
    closed = tmp_path / "closed"
    _library(closed, "Inside")
    closed.chmod(0)
    probe = ("import sys\nfrom pathlib import Path\nfrom endnoted.common.errors import LibraryNotFound\n"
             "from endnoted.reading.library import search\n"
             "print([lib.name for lib in search(Path(sys.argv[1])).libraries])\n"
             "try:\n    search(Path(sys.argv[2]))\nexcept LibraryNotFound as error:\n    print(error)\n")
    command = [sys.executable, "-c", probe, str(tmp_path), str(closed)]
    try:
        done = subprocess.run([*NO_DAC, *command] if os.geteuid() == 0 else command,
                              capture_output=True, text=True, check=True, timeout=60)
    finally:
        closed.chmod(0o700)
    listed, refused = done.stdout.splitlines()
    assert listed == "['Thesis']"
    assert "cannot look into" in refused
