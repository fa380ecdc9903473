"""The duplicates probe: the same reference twice inside the Desktop library."""

from __future__ import annotations

from pathlib import Path

from endnoted.demo.builder import RefSpec, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from tests.probes.common import NOW, codes, library


def test_duplicates_inside_the_desktop_library(tmp_path: Path) -> None:
    refs = synthetic_refs(6)
    assert "duplicates.desktop" not in codes(library(tmp_path, refs), mounts=())
    copy = RefSpec(refs[2].title.upper() + " ", year=refs[2].year, authors=refs[2].authors, doi="")
    twice = RefSpec("Different title entirely", doi="https://doi.org/" + (refs[0].doi or "10.1/x").upper())
    refs[0].doi = refs[0].doi or "10.1/x"
    report = check_library(locate(library(tmp_path, [*refs, copy, twice, copy], name="b"))[0], now=NOW, mounts=())
    [finding] = [f for f in report.findings if f.code == "duplicates.desktop"]
    assert finding.count == 3

