"""Copies sharing one identity (database id) and two libraries on one sync account (issue #11 item 3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, synthetic_refs
from tests.conftest import run, tree_hash
from tests.probes.common import LAST


def _findings(data: dict[str, object], code: str) -> list[dict[str, object]]:
    return [f for f in data["findings"] if f["code"] == code]  # type: ignore[union-attr,index]


def test_real_copies_of_one_library_are_told_apart(real_copy: Callable[[str], Path]) -> None:
    """Two snapshots of the tongtongtot library share its database id while their contents differ."""
    history = "tongtongtot-scperb-tutorial/en20-macos-history"
    first = real_copy(f"{history}/2023-08-10_c88494e")
    last = real_copy(f"{history}/2023-11-29_6ebfff8")
    before = tree_hash(first, last)
    result = run("check", "--json", str(first.parent))   # one check over the folder holding both
    assert tree_hash(first, last) == before
    libraries = json.loads(result.stdout)["libraries"]
    assert len(libraries) == 2
    for data in libraries:
        found = _findings(data, "library.copy-of-another")
        assert len(found) == 1 and found[0]["count"] == 1
        other = next(lib["path"] for lib in libraries if lib["path"] != data["path"])
        assert other in str(found[0]["message"])
        assert data["verdict"] == "not-synced"   # it says which is which; it never moves the verdict


def test_one_library_alone_is_no_copy(real_copy: Callable[[str], Path]) -> None:
    folder = real_copy("tongtongtot-scperb-tutorial/en20-macos-history/2023-11-29_6ebfff8")
    data = json.loads(run("check", "--json", str(folder)).stdout)["libraries"][0]
    assert not _findings(data, "library.copy-of-another")


def test_two_synced_libraries_on_one_account_are_warned(tmp_path: Path) -> None:
    one = build(tmp_path / "a", LibrarySpec(name="Thesis", refs=synthetic_refs(4), last_sync=LAST,
                                            db_id="db-one", account="SAMEUSER"))
    two = build(tmp_path / "b", LibrarySpec(name="Grant", refs=synthetic_refs(4, seed=2), last_sync=LAST,
                                            db_id="db-two", account="SAMEUSER"))
    third = build(tmp_path / "c", LibrarySpec(name="Other", refs=synthetic_refs(4, seed=3), last_sync=LAST,
                                              db_id="db-three", account="ANOTHERUSER"))
    result = run("check", "--json", str(one), str(two), str(third))
    by_name = {Path(lib["path"]).stem: lib for lib in json.loads(result.stdout)["libraries"]}
    assert [f["severity"] for f in _findings(by_name["Thesis"], "library.same-account")] == ["warning"]
    assert str(two) in str(_findings(by_name["Thesis"], "library.same-account")[0]["message"])
    assert _findings(by_name["Grant"], "library.same-account")
    assert not _findings(by_name["Other"], "library.same-account")
    assert "SAMEUSER" not in result.stdout   # the account id itself is never shown
    # A synced copy (same database id) is a warning, and names which one EndNote syncs when it knows.
    copy = build(tmp_path / "d", LibrarySpec(name="Thesis_Copy", refs=synthetic_refs(3), last_sync=LAST,
                                             db_id="db-one", account="SAMEUSER"))
    libraries = json.loads(run("check", "--json", str(one), str(copy)).stdout)["libraries"]
    for data in libraries:
        assert [f["severity"] for f in _findings(data, "library.copy-of-another")] == ["warning"]
        assert not _findings(data, "library.same-account")   # a copy is one finding, not two
