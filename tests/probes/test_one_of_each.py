"""Counts of one read as one: libraries with exactly one of each thing a probe counts, through the real
CLI, and no message says "1 <plural>" ("1 attached files are missing", "1 members intact") or calls
one thing "them"."""

from __future__ import annotations

import json
import re
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, RefSpec, build, days_ago, edit, synthetic_refs
from tests.conftest import run, tree_hash

# Words after "1 " that end in s and are not plurals; modifiers after which the noun comes next.
NOT_PLURAL = {"was", "is", "has", "does", "this", "its", "us", "minutes"}
MODIFIERS = {"new", "edited", "attached", "sync", "unsent", "extra"}


def one_wrong(text: str) -> list[str]:
    """Given any output, every place where a count of 1 meets a plural noun or a plural pronoun."""
    wrong = []
    for match in re.finditer(r"(?<![\d.,:#-])\b1 ([a-z]+)(?: ([a-z]+))?", text):
        first, second = match[1], match[2] or ""
        if first.endswith("s") and first not in NOT_PLURAL or first in MODIFIERS and second.endswith("s") \
                and second not in NOT_PLURAL:
            wrong.append(match[0])
    for sentence in re.split(r"(?<=[.!?])\s|\n", text):
        counts = re.findall(r"(?<![\d.,:#-])\b(\d+) [a-z]", sentence)
        if counts and set(counts) == {"1"} and re.search(r"\b(they|them|are|were)\b", sentence.split("1 ", 1)[1]):
            wrong.append(sentence)
    return wrong


def test_the_helper_finds_what_the_tester_found() -> None:
    assert one_wrong("1 attached files are missing") and one_wrong("1 members intact")
    assert one_wrong("1 change was already waiting before the last sync and that sync did not send them: x")
    assert not one_wrong("1 attached file is missing; it cannot sync. 2 files are fine; they sync.")


def _one_of_each(folder: Path) -> Path:
    refs = synthetic_refs(6, attachments=2)
    refs[0].attachment_missing = True                                  # one attached file missing
    refs[1].updated = int(days_ago(0.01).timestamp())                   # one edited after the last sync
    refs[2].action = 1                                                  # one change waiting
    refs[3].action = 1                                                  # ... and one that a sync left (below)
    refs[4].trashed = True                                              # one in the trash
    refs.append(RefSpec("A new paper", added=int(days_ago(0.01).timestamp()), synced=False))   # one new
    enl = build(folder, LibrarySpec(refs=refs, last_sync=days_ago(0.1), groups=3))
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("UPDATE sync SET action_timestamp = ? WHERE type = 1 AND item_id = 4",
                   (int(days_ago(1).timestamp()),))                     # stuck: older than the last sync
        db.execute("UPDATE sync SET usn = 0 WHERE type = 1 AND item_id = 6")   # one record never sent
        db.execute("DELETE FROM groups WHERE group_id = 1")             # one orphan sync record
    return enl


def test_probes_on_one_of_each_thing_never_say_one_with_a_plural(tmp_path: Path) -> None:
    enl = _one_of_each(tmp_path / "one")
    idle_refs = synthetic_refs(3)
    idle_refs[0].updated = int(days_ago(800).timestamp())
    idle = build(tmp_path / "idle", LibrarySpec(refs=idle_refs, last_sync=days_ago(890)))   # stale, overdue
    before = tree_hash(enl.parent, idle.parent)
    data = json.loads(run("check", "--json", "-a", str(enl), str(idle)).stdout)
    codes = {finding["code"]: finding.get("count") for lib in data["libraries"] for finding in lib["findings"]}
    for code in ("attachments.missing-files", "sync.unsynced-references", "sync.edited-after-sync",
                 "sync.stuck", "sync.orphan-rows", "sync.unsent-records"):
        assert codes.get(code) == 1, (code, codes)        # the library holds exactly one of each
    assert "sync.overdue" in codes
    said = [text for lib in data["libraries"] for text in (lib["reason"], lib["next_action"])]
    said += [finding[key] or "" for lib in data["libraries"] for finding in lib["findings"]
             for key in ("message", "reason", "action") if key in finding]
    said.append(run("-v", "check", "-a", str(enl), str(idle)).stdout)
    out = tmp_path / "out"
    said.append(run("backup", "--to", str(out), str(enl)).stdout)
    archive = next(out.glob("*.enlx"))
    said.append(run("verify", str(archive)).stdout)
    said.append(run("backups").stdout)
    assert tree_hash(enl.parent, idle.parent) == before
    wrong = [bad for text in said for bad in one_wrong(text)]
    assert not wrong, wrong

