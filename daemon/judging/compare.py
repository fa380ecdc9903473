"""Desktop against a Web export: what each side lacks, what each side holds twice, and what the ledger explains.

Matching (issue #3, #11): by DOI when both sides have one, otherwise by normalised title + year +
first author (an untitled reference by year + first author). A reference with none of these
(an empty record) matches by record number when the export carries this library's database id
(EndNote XML `<foreign-keys>`), otherwise one empty record pairs with one empty record.
Only the Desktop's non-trashed references take part ("All My References" on the Web holds no
trash). A duplicate is listed once per extra copy.

Does the other side belong to this library? Below BELONGS_SHARE of the smaller side matching,
the comparison is untrustworthy (`belongs` is False): `compare` refuses it without --force, and
`check --export` reports `export.not-this-library` without moving the verdict. A shared database
id alone never proves it: copies of a library share it (docs/ENDNOTE-RULES.md R3, R4).

The other side is a Web export, or a second library (Desktop against a library freshly synced
from EndNote Web, the "Web is right" check of the reset wizard).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from endnoted.common.gcpause import gc_paused
from endnoted.judging.matching import RecordKeys, find_extra_copies, normalise_doi
from endnoted.reading.exports import ExportRecord, read_export
from endnoted.reading.snapshot import EDIT_SLACK_SECONDS, Reference, Snapshot

BELONGS_SHARE = 0.5   # of the smaller side's records must match for the other side to be this library's


@dataclass(frozen=True, slots=True)
class Ref:
    """One reference in a comparison's lists; `record` is the Desktop id or the export's record number."""

    side: str
    record: str
    title: str
    year: str
    first_author: str
    doi: str

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"side": self.side, "title": self.title, "year": self.year,
                                "first_author": self.first_author, "doi": self.doi}
        if self.side == "desktop":
            data["id"] = int(self.record)
        else:
            data["record_number"] = self.record
        return data


@dataclass(frozen=True)
class Comparison:
    library: Path
    export: Path
    format: str
    desktop: int
    web: int
    matched: int
    missing_on_web: tuple[Ref, ...]
    missing_on_desktop: tuple[Ref, ...]
    duplicates_web: tuple[Ref, ...]
    duplicates_desktop: tuple[Ref, ...]
    unexplained_missing_on_web: int
    unexplained_missing_on_desktop: int
    export_db_id: str = ""
    belongs: bool = True       # the other side looks like it came from this library
    trust: str = ""            # why (or why not), e.g. "0 of 102 records match"
    unexplained_web_ids: frozenset[str] = frozenset()   # Desktop records missing on Web that nothing explains

    @property
    def anything_missing(self) -> bool:
        return bool(self.missing_on_web or self.missing_on_desktop)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": 1, "library": str(self.library), "export": str(self.export), "format": self.format,
            "desktop": self.desktop, "web": self.web, "matched": self.matched,
            "missing_on_web": [ref.to_json() for ref in self.missing_on_web],
            "missing_on_desktop": [ref.to_json() for ref in self.missing_on_desktop],
            "duplicates_web": [ref.to_json() for ref in self.duplicates_web],
            "duplicates_desktop": [ref.to_json() for ref in self.duplicates_desktop],
            "unexplained_missing_on_web": self.unexplained_missing_on_web,
            "unexplained_missing_on_desktop": self.unexplained_missing_on_desktop,
            "belongs": self.belongs, "trust": self.trust,
        }


def _desktop_ref(ref: Reference) -> Ref:
    return Ref("desktop", str(ref.id), ref.title, ref.year, ref.first_author, ref.doi)


def _web_ref(record: ExportRecord) -> Ref:
    return Ref("web", record.number, record.title, record.year, record.first_author, record.doi)


class _Index:
    """Unmatched Desktop references by title key, consumed as Web records match them."""

    def __init__(self, refs: Iterable[tuple[Reference, RecordKeys]]) -> None:
        self.by_key: dict[str, list[tuple[Reference, bool]]] = defaultdict(list)
        self.taken: set[int] = set()
        for ref, keys in refs:
            if keys.key:
                self.by_key[keys.key].append((ref, bool(keys.doi)))

    def take(self, keys: RecordKeys) -> Reference | None:
        for ref, has_doi in self.by_key.get(keys.key, ()) if keys.key else ():
            if ref.id not in self.taken and not (has_doi and keys.doi):
                self.taken.add(ref.id)
                return ref
        return None


def _keys(doi: str, title: str, year: str, author: str) -> RecordKeys:
    return RecordKeys.of(doi, title, year, author, untitled=True)


def _waiting(ref: Reference, last_sync: float | None) -> bool:
    """True when the ledger says this Desktop reference has not reached the Web in its current form."""
    if ref.sync_pending:
        return True
    if last_sync is None:
        return True
    if not ref.synced and ref.added >= last_sync - 60:
        return True  # new since the last sync: a normal sync sends it
    return ref.updated > last_sync + EDIT_SLACK_SECONDS


def compare(snapshot: Snapshot, export: Path) -> Comparison:
    """Given a readable snapshot and an export file, return the Comparison; raise ExportError on a bad export."""
    kind, records = read_export(export)
    return compare_records(snapshot, kind, records, export)


def library_records(other: Snapshot) -> list[ExportRecord]:
    """Given a second library's snapshot, return its live references as the records an export of it would hold."""
    db_id = other.db_id or ""
    return [ExportRecord(str(ref.id), ref.title, ref.year, ref.first_author, ref.doi, db_id)
            for ref in other.references if not ref.trashed]


def compare_library(snapshot: Snapshot, other: Snapshot) -> Comparison:
    """Given two readable libraries' snapshots (Desktop, and one synced from EndNote Web), compare them."""
    return compare_records(snapshot, "library", library_records(other), other.library.path)


def _empty(keys: RecordKeys) -> bool:
    return not keys.doi and not keys.key


def compare_records(snapshot: Snapshot, kind: str, records: Iterable[ExportRecord], export: Path) -> Comparison:
    """Given a readable snapshot and the other side's records, return the Comparison.

    The cyclic garbage collector is paused meanwhile (gcpause.py): the export's records are many
    small objects, none in cycles.
    """
    with gc_paused():
        return _compare_records(snapshot, kind, records, export)


def _compare_records(snapshot: Snapshot, kind: str, records: Iterable[ExportRecord], export: Path) -> Comparison:
    """The comparison itself (see compare_records).

    DOIs are matched first; title keys (the costly normalisation) are computed only for what is
    left on either side.
    """
    live = [ref for ref in snapshot.references if not ref.trashed]
    desktop_doi = {ref.id: normalise_doi(ref.doi) for ref in live}   # once per record: it is matched twice
    desktop_extras = find_extra_copies(live, lambda ref: (desktop_doi[ref.id], ref.title, ref.year,
                                                          ref.first_author))
    extra_ids = {ref.id for ref in desktop_extras}
    desktop = [ref for ref in live if ref.id not in extra_ids]
    web_records = list(records)
    db_id = next((record.db_id for record in web_records if record.db_id), "")
    web_doi = [normalise_doi(record.doi) for record in web_records]
    web_extras = find_extra_copies(range(len(web_records)), lambda n: (
        web_doi[n], web_records[n].title, web_records[n].year, web_records[n].first_author))
    web_extra_set = set(web_extras)
    web = [n for n in range(len(web_records)) if n not in web_extra_set]

    # 1. DOI against DOI.
    by_doi: dict[str, list[Reference]] = defaultdict(list)
    for ref in desktop:
        if doi := desktop_doi[ref.id]:
            by_doi[doi].append(ref)
    taken: set[int] = set()
    left_web: list[int] = []
    for position in web:
        candidates = by_doi.get(web_doi[position], []) if web_doi[position] else []
        while candidates and candidates[-1].id in taken:
            candidates.pop()
        if candidates:
            taken.add(candidates.pop().id)
        else:
            left_web.append(position)
    # 2. Title key for the rest ("DOI when both have one, otherwise the key").
    index = _Index((ref, _keys(ref.doi, ref.title, ref.year, ref.first_author)) for ref in desktop
                   if ref.id not in taken)
    index.taken = taken
    missing_on_desktop: list[int] = []
    empty_web: list[int] = []
    for position in left_web:
        record = web_records[position]
        keys = _keys(record.doi, record.title, record.year, record.first_author)
        if _empty(keys):
            empty_web.append(position)
        elif index.take(keys) is None:
            missing_on_desktop.append(position)
    # 3. Empty records (no DOI, title, year or author): by record number when the export carries this
    #    library's database id, otherwise one empty record for one empty record.
    empty_desktop = [ref for ref in desktop if ref.id not in taken
                     and _empty(_keys(ref.doi, ref.title, ref.year, ref.first_author))]
    same_db = bool(db_id) and db_id == (snapshot.db_id or "")
    by_number = {str(ref.id): ref for ref in empty_desktop}
    unpaired: list[int] = []
    for position in empty_web:
        numbered = by_number.pop(web_records[position].number, None) if same_db else None
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
    matched = len(web) - len(missing_on_desktop)
    missing_on_web = [ref for ref in desktop if ref.id not in taken]
    smaller = min(len(desktop), len(web))
    belongs = smaller > 0 and matched >= BELONGS_SHARE * smaller
    trust = f"{matched} of {len(web_records)} records match the library's {len(live)} references"
    if smaller == 0:
        trust = "one side holds no references, so nothing shows the two belong together"

    ledger = snapshot.ledger
    last_sync = ledger.last_sync.timestamp() if ledger and ledger.last_sync else None
    waiting = [ref for ref in missing_on_web if _waiting(ref, last_sync)]
    # A Web record missing on Desktop is explained by a trash move not yet sent, or by a local
    # edit not yet sent (the Web still shows the old title), one Web record per such reference.
    trash_index = _Index((ref, _keys(ref.doi, ref.title, ref.year, ref.first_author))
                         for ref in snapshot.references if ref.trashed and ref.sync_pending)
    trashed_dois = {normalise_doi(ref.doi) for ref in snapshot.references if ref.trashed and ref.sync_pending} - {""}
    unexplained_desktop = 0
    for position in missing_on_desktop:
        record = web_records[position]
        doi = normalise_doi(record.doi)
        if doi and doi in trashed_dois:
            trashed_dois.discard(doi)
        elif trash_index.take(_keys(record.doi, record.title, record.year, record.first_author)) is None:
            unexplained_desktop += 1
    # Only a reference that was synced before and changed since has an older version on the Web.
    edited_since = sum(1 for ref in waiting if ref.synced)
    unexplained_desktop = max(0, unexplained_desktop - edited_since)
    return Comparison(
        library=snapshot.library.path, export=export, format=kind, desktop=len(live), web=len(web_records),
        matched=matched,
        missing_on_web=tuple(_desktop_ref(ref) for ref in missing_on_web),
        missing_on_desktop=tuple(_web_ref(web_records[position]) for position in missing_on_desktop),
        duplicates_web=tuple(_web_ref(web_records[position]) for position in web_extras),
        duplicates_desktop=tuple(_desktop_ref(ref) for ref in desktop_extras),
        unexplained_missing_on_web=len(missing_on_web) - len(waiting),
        unexplained_missing_on_desktop=unexplained_desktop, export_db_id=db_id, belongs=belongs, trust=trust,
        unexplained_web_ids=frozenset(str(ref.id) for ref in missing_on_web if not _waiting(ref, last_sync)))
