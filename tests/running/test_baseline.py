"""running/baseline.py: a replaced library starts a new baseline; a lost library is looked for a bounded number of times."""

from __future__ import annotations

from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.reading.library import locate
from endnoted.running.baseline import RELOOK_SECONDS, Lost


def test_a_lost_library_is_looked_for_a_bounded_number_of_times_and_found_back(tmp_path: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(0.1))).resolve()
    library = locate(enl)[0]
    asked: list[tuple[str, float]] = []
    lost = Lost(lambda key, delay: asked.append((key, delay)))
    (tmp_path / "lib").rename(tmp_path / "away")
    lost.gone("k", library)
    for _ in range(len(RELOOK_SECONDS) + 2):   # each look finds it still away
        assert lost.back("k") is None
    assert [delay for _, delay in asked] == list(RELOOK_SECONDS)   # then no more looks: the full pass covers it
    (tmp_path / "away").rename(tmp_path / "lib")
    assert lost.back("k") == library              # back where it was
    assert lost.back("k") is None                 # and no longer lost
    lost.read("k")
    (tmp_path / "lib").rename(tmp_path / "away")
    lost.gone("k", library)
    assert asked[-1] == ("k", RELOOK_SECONDS[0])  # read since: the looks start again
