"""The text conventions: libraries named by their shortest unambiguous path, plurals that agree, hints that
name real flags, `-q` only verdict lines and `-v` more detail."""

from __future__ import annotations

import re
from pathlib import Path

from endnoted.cli.render import plural, short_names
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.conftest import run


def test_short_names_are_the_shortest_unambiguous_end_of_the_path() -> None:
    names = short_names(["/home/a/Thesis/My EndNote Library.enl", "/home/a/Grant/My EndNote Library.enl",
                         "/home/a/Other.enl", "/x/Same/Deep.enl", "/y/Same/Deep.enl"])
    assert names == {"/home/a/Thesis/My EndNote Library.enl": "Thesis/My EndNote Library.enl",
                     "/home/a/Grant/My EndNote Library.enl": "Grant/My EndNote Library.enl",
                     "/home/a/Other.enl": "Other.enl",
                     "/x/Same/Deep.enl": "x/Same/Deep.enl", "/y/Same/Deep.enl": "y/Same/Deep.enl"}


def test_plurals_agree_with_their_count() -> None:
    assert plural(1, "edit") == "1 edit" and plural(2, "edit") == "2 edits" and plural(0, "edit") == "0 edits"
    assert plural(1, "library", "libraries") == "1 library" and plural(3, "library", "libraries") == "3 libraries"


def test_check_text_names_the_real_flag_and_obeys_q_and_v(tmp_path: Path) -> None:
    one = build(tmp_path / "Thesis", LibrarySpec(refs=synthetic_refs(4), last_sync=days_ago(0.1)))
    two = build(tmp_path / "Grant", LibrarySpec(refs=synthetic_refs(4, attachments=1), last_sync=days_ago(0.1)))
    normal = run("check", str(one), str(two)).stdout
    assert "Thesis/My EndNote Library.enl" in normal and "Grant/My EndNote Library.enl" in normal
    assert "add -v" not in normal
    # sync.all-sent is informational, but the verdict is folded from it: shown, once each.
    assert normal.count("· sync.all-sent:") == 2 and "add -a" not in normal
    quiet = run("-q", "check", str(one), str(two)).stdout.splitlines()
    assert len(quiet) == 2 and all(line.split()[0] == "in-sync" for line in quiet)
    verbose = run("-v", "check", str(one), str(two)).stdout
    assert "informational finding" not in verbose     # -v shows them all, so nothing is hidden
    assert len(verbose) >= len(normal)


def test_ages_over_two_months_read_in_months_or_years_everywhere(tmp_path: Path) -> None:
    """A library last synced 890 days ago, one with a change waiting for 100 days: every age in check's
    text and --json messages is whole months or years ("890.0 days" and "1133 days" were printed)."""
    idle = build(tmp_path / "Idle", LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(890)))
    refs = synthetic_refs(3)
    refs[0].updated = int(days_ago(99).timestamp())
    waiting = build(tmp_path / "Waiting", LibrarySpec(refs=refs, last_sync=days_ago(100)))
    text = run("check", "-a", str(idle), str(waiting)).stdout
    data = run("check", "--json", str(idle), str(waiting)).stdout
    assert "The last sync was 2 years ago" in text
    assert "the last sync was 3 months ago" in text
    for shown in (text, data):
        assert not re.search(r"\d+\.\d+ days|\b\d{3,} days", shown), shown

