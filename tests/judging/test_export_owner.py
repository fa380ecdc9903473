"""Which watched library a Web export belongs to (judging/export_owner.py), on real built libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from endnoted.common.errors import ExportError
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.judging.export_owner import export_owner
from endnoted.reading.library import Library, locate


def _libraries(tmp_path: Path) -> tuple[dict[str, Library], list]:  # type: ignore[type-arg]
    refs = synthetic_refs(12, seed=5)
    mine = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.5)))
    other = build(tmp_path / "other", LibrarySpec(name="Other", refs=synthetic_refs(9, seed=99),
                                                  last_sync=days_ago(0.5)))
    return {"other": locate(other)[0], "mine": locate(mine)[0]}, refs


def _export(path: Path, refs: list) -> Path:  # type: ignore[type-arg]
    lines = ["Title\tAuthor\tYear\tDOI"] + [f"{r.title}\t{r.authors[0]}\t{r.year}\t{r.doi}" for r in refs]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_an_export_goes_to_the_library_whose_references_it_matches(tmp_path: Path) -> None:
    libraries, refs = _libraries(tmp_path)
    assert export_owner(_export(tmp_path / "web.txt", refs[3:]), libraries) == "mine"


def test_a_file_that_is_no_export_and_an_export_of_nothing_watched_belong_to_none(tmp_path: Path) -> None:
    libraries, _refs = _libraries(tmp_path)
    (tmp_path / "notes.txt").write_text("a shopping list\n", encoding="utf-8")
    assert export_owner(tmp_path / "notes.txt", libraries) is None
    stranger = tmp_path / "stranger.txt"   # synthetic DOIs repeat across seeds: these share nothing
    stranger.write_text("Title\tAuthor\tYear\tDOI\n" + "\n".join(
        f"Glacier hydrology note {n}\tNobody{n}, Q.\t{1950 + n}\t10.9999/none.{n}" for n in range(10)),
        encoding="utf-8")
    assert export_owner(stranger, libraries) is None


def test_matching_stops_when_the_daemon_stops(tmp_path: Path) -> None:
    libraries, refs = _libraries(tmp_path)
    assert export_owner(_export(tmp_path / "web.txt", refs), libraries, stopping=lambda: True) is None


def test_an_export_that_cannot_be_read_is_an_error_not_a_match(tmp_path: Path) -> None:
    libraries, _refs = _libraries(tmp_path)
    broken = tmp_path / "web.xml"
    broken.write_bytes(b"<?xml version='1.0'?><xml><records><record><titles>")
    with pytest.raises(ExportError):
        export_owner(broken, libraries)
