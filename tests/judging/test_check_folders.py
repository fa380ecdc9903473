"""`check FOLDER` searches sub-folders; a path without a library is a warning while the others are checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.conftest import run, tree_hash


def test_nested_libraries_are_all_found(tmp_path: Path) -> None:
    documents = tmp_path / "Documents"
    top = build(documents, LibrarySpec(name="Top", refs=synthetic_refs(2)))
    endnote = build(documents / "EndNote", LibrarySpec(name="Main", refs=synthetic_refs(2), last_sync=days_ago(0.1)))
    thesis = build(documents / "Projects" / "Thesis", LibrarySpec(name="Thesis", refs=synthetic_refs(2)))
    hidden = build(documents / ".trash", LibrarySpec(name="Hidden", refs=synthetic_refs(1)))
    too_deep = build(documents / "a" / "b" / "c" / "d" / "e", LibrarySpec(name="Deep", refs=synthetic_refs(1)))
    before = tree_hash(documents)
    result = run("check", "--json", str(documents))
    assert tree_hash(documents) == before
    found = {Path(lib["path"]).name for lib in json.loads(result.stdout)["libraries"]}
    assert found == {top.name, endnote.name, thesis.name}
    assert hidden.name not in found and too_deep.name not in found
    assert result.exit_code == 0


def test_a_path_without_a_library_warns_and_the_others_are_checked(tmp_path: Path, realworld: Path) -> None:
    library = build(tmp_path / "lib", LibrarySpec(name="Thesis", refs=synthetic_refs(3), last_sync=days_ago(3)))
    only_enlx = tmp_path / "backups"
    only_enlx.mkdir()
    shutil.copy(realworld / "IEBH-RefLib" / "blue-light.enlx", only_enlx)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("check", str(only_enlx), str(library), str(empty))
    assert result.exit_code == 0
    assert "in-sync" in result.stdout and "Thesis.enl" in result.stdout
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 2 and all(line.startswith("Warning: no EndNote library in") for line in warnings)
    assert "blue-light.enlx" in warnings[0]          # says how to check the compressed library itself
    nothing = run("check", str(only_enlx), str(empty))
    assert nothing.exit_code == 2
    assert nothing.stderr.strip().splitlines()[-1].startswith("Error: no EndNote library in any of the paths")


def test_a_folder_search_says_which_compressed_libraries_it_skipped(tmp_path: Path, realworld: Path) -> None:
    # A single .enlx is checked when named; in a folder they are mostly backups and are left out,
    # but never silently: one line on stderr says how many and how to check one.
    folder = tmp_path / "Documents"
    library = build(folder, LibrarySpec(name="Thesis", refs=synthetic_refs(3), last_sync=days_ago(3)))
    shutil.copy(realworld / "IEBH-RefLib" / "blue-light.enlx", folder)
    (folder / "old").mkdir()
    shutil.copy(realworld / "IEBH-RefLib" / "blue-light.enlx", folder / "old" / "Thesis-backup.enlx")
    before = tree_hash(folder)
    result = run("check", str(folder))
    assert tree_hash(folder) == before
    assert result.exit_code == 0 and library.name in result.stdout and "blue-light" not in result.stdout
    assert result.stderr.strip() == (f"Note: skipped 2 compressed libraries (.enlx) in {folder}: "
                                     "name one to check it.")
    assert "blue-light.enlx" in run("check", str(folder / "blue-light.enlx")).stdout
    quiet = run("-q", "check", str(folder))   # quiet: the verdict lines only, no notes
    assert quiet.exit_code == 0 and quiet.stderr == "" and library.stem in quiet.stdout
