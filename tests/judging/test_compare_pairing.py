"""The comparison gives the findings of the one-record-at-a-time matching it replaced (issue #16).

`compare_records` names records by position and computes title keys in bulk, only for the records
no DOI matched. `oracle` below is the comparison as it was before: every key computed alone
(RecordKeys.of), extra copies found by comparing every record (matching.extra_copies), records
held as objects. Both run on real libraries built from random references drawn from small pools,
so that every path is taken: DOI twins, title twins that differ only once normalised, untitled
and empty references, copies on both sides, trash moves waiting to be sent, edits after the sync.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, RefSpec, build, days_ago
from endnoted.judging.compare import (
    BELONGS_SHARE,
    Comparison,
    _desktop_ref,
    _waiting,
    _web_ref,
    compare_records,
)
from endnoted.judging.matching import RecordKeys, extra_copies
from endnoted.reading.exports import ExportRecord
from endnoted.reading.library import locate
from endnoted.reading.model import Reference, Snapshot
from endnoted.reading.snapshot import take

TITLES = ["", "", "A Study", "a study.", "A  study", "<i>A</i> study", "Étude", "ETUDE", "The Cell", "the cell!",
          "ﬁsh", "fish", "Fish &amp; chips", "fish & chips", "中文", "<file.pdf>", "Lone", "Other", "Third"]
DOIS = ["", "", "", "", "10.1/a", "10.1/A", "doi: 10.1/a", "10.2/b", "https://doi.org/10.2/B", "10.3/c", "10.4/d",
        *(f"10.{n}/only" for n in range(5, 40))]   # DOIs seldom on both sides: the title key must not decide
YEARS = ["2020", "2021", "", "c. 2020"]
AUTHORS = ["Smith, J.", "J. Smith", "Jones, K.", "", "Émile, Z."]


def _keys(ref: Reference | ExportRecord) -> RecordKeys:
    return RecordKeys.of(ref.doi, ref.title, ref.year, ref.first_author, untitled=True)


def _take(index: dict[str, list[tuple[Reference, bool]]], taken: set[int], keys: RecordKeys) -> Reference | None:
    for ref, has_doi in index.get(keys.key, ()) if keys.key else ():
        if ref.id not in taken and not (has_doi and keys.doi):
            taken.add(ref.id)
            return ref
    return None


def _index(refs: list[Reference]) -> dict[str, list[tuple[Reference, bool]]]:
    index: dict[str, list[tuple[Reference, bool]]] = defaultdict(list)
    for ref in refs:
        if (keys := _keys(ref)).key:
            index[keys.key].append((ref, bool(keys.doi)))
    return index


def _extras(items: list[Reference] | list[ExportRecord]) -> list[int]:
    keys = [RecordKeys(key.doi, key.key if not key.key.startswith("|") else "") for key in map(_keys, items)]
    return extra_copies(list(range(len(items))), keys)   # untitled records are no one's copy


def oracle(snapshot: Snapshot, records: list[ExportRecord]) -> tuple[object, ...]:
    """The comparison before issue #16's rewrite, one record at a time (database-name check left out)."""
    live = [ref for ref in snapshot.references if not ref.trashed]
    desktop_extras = [live[n] for n in _extras(live)]
    desktop = [ref for ref in live if ref not in desktop_extras]
    web_extras = _extras(records)
    web = [n for n in range(len(records)) if n not in web_extras]
    by_doi: dict[str, list[Reference]] = defaultdict(list)
    for ref in desktop:
        if doi := _keys(ref).doi:
            by_doi[doi].append(ref)
    taken: set[int] = set()
    left_web = []
    for position in web:
        candidates = by_doi.get(_keys(records[position]).doi, []) if _keys(records[position]).doi else []
        if candidates:
            taken.add(candidates.pop().id)
        else:
            left_web.append(position)
    index = _index([ref for ref in desktop if ref.id not in taken])
    missing_on_desktop, empty_web = [], []
    for position in left_web:
        keys = _keys(records[position])
        if not keys.doi and not keys.key:
            empty_web.append(position)
        elif _take(index, taken, keys) is None:
            missing_on_desktop.append(position)
    empty_desktop = [ref for ref in desktop if ref.id not in taken and not _keys(ref).doi and not _keys(ref).key]
    db_id = next((record.db_id for record in records if record.db_id), "")
    by_number = {str(ref.id): ref for ref in empty_desktop}
    unpaired = []
    for position in empty_web:
        numbered = by_number.pop(records[position].number, None) if db_id == snapshot.db_id else None
        if numbered is not None:
            taken.add(numbered.id)
        else:
            unpaired.append(position)
    spare = [ref for ref in empty_desktop if ref.id not in taken]
    for position in unpaired:
        if spare:
            taken.add(spare.pop(0).id)
        else:
            missing_on_desktop.append(position)
    missing_on_desktop.sort()
    # Extra copies on both sides, paired one for one in Web order: DOI first, else title key.
    extras_by_doi: dict[str, list[Reference]] = defaultdict(list)
    for ref in desktop_extras:
        if doi := _keys(ref).doi:
            extras_by_doi[doi].append(ref)
    extras_index, extras_taken, left_extras = _index(desktop_extras), set[int](), []
    for position in web_extras:
        keys = _keys(records[position])
        candidates = [ref for ref in extras_by_doi.get(keys.doi, ()) if ref.id not in extras_taken] if keys.doi else []
        if candidates:
            extras_taken.add(candidates[0].id)
        elif (not keys.doi and not keys.key) or _take(extras_index, extras_taken, keys) is None:
            left_extras.append(position)
    matched = len(records) - len(left_extras) - len(missing_on_desktop)
    missing_on_web = [ref for ref in desktop if ref.id not in taken]
    ledger = snapshot.ledger
    synced = ledger is not None and ledger.configured
    last_sync = ledger.last_sync.timestamp() if ledger and ledger.last_sync else None
    waiting = [ref for ref in missing_on_web if synced and _waiting(ref, last_sync)]
    moved = [ref for ref in snapshot.references if ref.trashed and ref.sync_pending]
    moved_index, moved_taken = _index(moved), set[int]()
    moved_dois = {_keys(ref).doi for ref in moved} - {""}
    unexplained = 0 if synced else len(missing_on_desktop)
    for position in missing_on_desktop if synced else ():
        keys = _keys(records[position])
        if keys.doi and keys.doi in moved_dois:
            moved_dois.discard(keys.doi)
        elif _take(moved_index, moved_taken, keys) is None:
            unexplained += 1
    unexplained = max(0, unexplained - sum(1 for ref in waiting if ref.synced))
    smaller = min(len(desktop), len(web))
    return (matched, smaller > 0 and matched >= BELONGS_SHARE * smaller,
            tuple(map(_desktop_ref, missing_on_web)), tuple(_web_ref(records[n]) for n in missing_on_desktop),
            tuple(_web_ref(records[n]) for n in left_extras),
            tuple(map(_desktop_ref, (ref for ref in desktop_extras if ref.id not in extras_taken))),
            len(missing_on_web) - len(waiting), unexplained, synced)


def findings(result: Comparison) -> tuple[object, ...]:
    return (result.matched, result.belongs, result.missing_on_web, result.missing_on_desktop, result.duplicates_web,
            result.duplicates_desktop, result.unexplained_missing_on_web, result.unexplained_missing_on_desktop,
            result.synced)


def _ref(rng: random.Random, last_sync: int) -> RefSpec:
    when = last_sync + rng.choice([-86400, -30, 30, 86400])
    if rng.random() < 0.1:   # an empty reference: no title, year, author or DOI
        return RefSpec("", "", ("",), "", trashed=rng.random() < 0.15, added=when, synced=rng.random() < 0.8)
    return RefSpec(rng.choice(TITLES), rng.choice(YEARS), (rng.choice(AUTHORS), "Second, B."), rng.choice(DOIS),
                   trashed=rng.random() < 0.15, added=when, updated=when + rng.choice([0, 0, 3600]),
                   synced=rng.random() < 0.8, action=rng.choice([0, 0, 0, 1]))


@pytest.mark.parametrize("seed", range(8))
def test_the_comparison_gives_the_findings_of_matching_one_record_at_a_time(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    last_sync = days_ago(1) if seed % 4 else None   # never synced: no ledger
    moment = int((last_sync or days_ago(1)).timestamp())
    refs = [_ref(rng, moment) for _ in range(rng.randint(60, 160))]
    snapshot = take(locate(build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=last_sync)))[0], integrity=False)
    db_id = rng.choice([snapshot.db_id or "", "otherdb"])
    ids = [str(row[0]) for row in snapshot.rows]
    records = [ExportRecord(rng.choice([*ids, "999999"]), rng.choice(TITLES), rng.choice(YEARS), rng.choice(AUTHORS),
                            rng.choice(DOIS), db_id) for _ in range(rng.randint(40, 160))]
    records += [ExportRecord(rng.choice([*ids, "999999"]), "", "", "", "", db_id) for _ in range(rng.randint(0, 12))]
    # Some Web records are exact copies of Desktop references, so that most records match.
    records += [ExportRecord(str(ref.id), ref.title, ref.year, ref.first_author, ref.doi, db_id)
                for ref in rng.sample(snapshot.references, len(refs) // 2)]
    # Trash moves not yet sent: the Web still holds those references, some with their DOI dropped.
    records += [ExportRecord(str(ref.id), ref.title, ref.year, ref.first_author, rng.choice([ref.doi, ""]), db_id)
                for ref in snapshot.references if ref.trashed]
    rng.shuffle(records)
    result = compare_records(snapshot, "endnote-xml", records, tmp_path / "web.xml")
    expected = oracle(snapshot, records)
    assert findings(result) == expected
    # The data takes the paths that matter: copies on both sides, missing records on both, empty records.
    assert result.duplicates_web or result.duplicates_desktop
    assert result.missing_on_web and result.missing_on_desktop and result.matched
