"""Desktop against a Web export: what each side lacks, what each side holds twice, and what the ledger explains.

Matching (issue #3, #11): by DOI when both sides have one, otherwise by normalised title + year +
first author (an untitled reference by year + first author). A reference with none of these
(an empty record) matches by record number when the export carries this library's database id
(EndNote XML `<foreign-keys>`), otherwise one empty record pairs with one empty record.
Only the Desktop's non-trashed references take part ("All My References" on the Web holds no
trash). A duplicate is listed once per extra copy.

Does the other side belong to this library? Below BELONGS_SHARE of the smaller side matching,
the comparison is untrustworthy (`belongs` is False): `compare` refuses it without --force, and
`check --export` reports `export.not-this-library` without moving the verdict. A Desktop XML export
whose database id (misc code 14) AND database name (`<database name=…>`) both differ from the
library's was written from another library, however many records match. A shared database id
alone never proves it: copies of a library share it (docs/ENDNOTE-RULES.md R3, R4).

A duplicate held on both sides (the same reference twice on Desktop and twice on the Web) is no
difference: extra copies are paired one for one, and only the copies one side holds beyond the
other's are listed. A library that was never synced has no sync ledger: nothing "waits for the
next sync", every difference is just a difference (`synced` is False).

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
from endnoted.common.words import plural
from endnoted.judging.matching import RecordKeys, find_extra_copies, normalise_doi
from endnoted.reading.exports import ExportRecord, read_export
from endnoted.reading.fold import EDIT_SLACK_SECONDS
from endnoted.reading.model import Reference, Snapshot

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
        # One shape on both sides (compare.json schema 2): `record` is an integer, or null when an
        # export gives no record number or a non-numeric one (a RIS `ID` may hold any text).
        return {"side": self.side, "record": record_number(self.record), "title": self.title, "year": self.year,
                "first_author": self.first_author, "doi": self.doi}


def record_number(text: str) -> int | None:
    """Given a record number as a library or an export gives it, return it as an integer, or None if it is none."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


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
    synced: bool = True        # the library has a sync ledger (never synced: nothing waits, no reset applies)
    export_database: str = ""  # the library file name a Desktop XML export names (`<database name=…>`)

    @property
    def anything_missing(self) -> bool:
        return bool(self.missing_on_web or self.missing_on_desktop)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": 2, "library": str(self.library), "export": str(self.export), "format": self.format,
            "desktop": self.desktop, "web": self.web, "matched": self.matched,
            "missing_on_web": [ref.to_json() for ref in self.missing_on_web],
            "missing_on_desktop": [ref.to_json() for ref in self.missing_on_desktop],
            "duplicates_web": [ref.to_json() for ref in self.duplicates_web],
            "duplicates_desktop": [ref.to_json() for ref in self.duplicates_desktop],
            "unexplained_missing_on_web": self.unexplained_missing_on_web,
            "unexplained_missing_on_desktop": self.unexplained_missing_on_desktop,
            "belongs": self.belongs, "trust": self.trust, "synced": self.synced,
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
    """True when the ledger says this Desktop reference has not reached the Web in its current form (synced libraries)."""
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


def _same_library_name(database: str, snapshot: Snapshot) -> bool:
    """True when an export's `<database name=…>` names this library's file (`Name.enl`, or the .enlx's Name)."""
    wanted = database.strip().casefold()
    for suffix in (".enl", ".enlx", ".enlp"):
        wanted = wanted.removesuffix(suffix)
    library = snapshot.library
    names = {library.name.casefold(), library.path.stem.casefold()}
    if library.enl is not None:
        names.add(library.enl.stem.casefold())
    return wanted in names


def _pair_extra_copies(desktop: list[Reference], web: list[int], web_records: list[ExportRecord]
                       ) -> tuple[list[Reference], list[int]]:
    """Given each side's extra copies, pair them one for one (DOI, else title key); return those left unpaired."""
    by_doi: dict[str, list[Reference]] = defaultdict(list)
    for ref in desktop:
        if doi := normalise_doi(ref.doi):
            by_doi[doi].append(ref)
    index = _Index((ref, _keys(ref.doi, ref.title, ref.year, ref.first_author)) for ref in desktop)
    left_web: list[int] = []
    for position in web:
        record = web_records[position]
        keys = _keys(record.doi, record.title, record.year, record.first_author)
        candidates = [ref for ref in by_doi.get(keys.doi, ()) if ref.id not in index.taken] if keys.doi else []
        if candidates:
            index.taken.add(candidates[0].id)
        elif _empty(keys) or index.take(keys) is None:
            left_web.append(position)
    return [ref for ref in desktop if ref.id not in index.taken], left_web


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
    # 4. Extra copies held on both sides are no difference: pair them one for one.
    desktop_extras, web_extras = _pair_extra_copies(desktop_extras, web_extras, web_records)
    matched = len(web_records) - len(web_extras) - len(missing_on_desktop)
    missing_on_web = [ref for ref in desktop if ref.id not in taken]
    smaller = min(len(desktop), len(web))
    belongs = smaller > 0 and matched >= BELONGS_SHARE * smaller
    trust = (f"{matched} of {plural(len(web_records), 'record')} {'matches' if matched == 1 else 'match'} "
             f"the library's {plural(len(live), 'reference')}")
    if smaller == 0:
        trust = "one side holds no references, so nothing shows the two belong together"
    database = next((record.database for record in web_records if record.database), "")
    if kind == "endnote-xml" and db_id and snapshot.db_id and db_id != snapshot.db_id and database \
            and not _same_library_name(database, snapshot):
        # Desktop XML carries the library's file name and database id (ENDNOTE-FORMAT.md §6): both
        # differ, so another library wrote it, whatever share of its records also sits in this one.
        belongs = False
        trust = f"{trust}, but it was exported from another EndNote library ({database}, with another database id)"

    ledger = snapshot.ledger
    synced = ledger is not None and ledger.configured
    last_sync = ledger.last_sync.timestamp() if ledger and ledger.last_sync else None
    # Never synced: no ledger, so nothing waits for a sync and every difference is unexplained.
    waiting = [ref for ref in missing_on_web if synced and _waiting(ref, last_sync)]
    waiting_ids = {ref.id for ref in waiting}
    # A Web record missing on Desktop is explained by a trash move not yet sent, or by a local
    # edit not yet sent (the Web still shows the old title), one Web record per such reference.
    trash_index = _Index((ref, _keys(ref.doi, ref.title, ref.year, ref.first_author))
                         for ref in snapshot.references if ref.trashed and ref.sync_pending)
    trashed_dois = {normalise_doi(ref.doi) for ref in snapshot.references if ref.trashed and ref.sync_pending} - {""}
    unexplained_desktop = 0 if synced else len(missing_on_desktop)
    for position in missing_on_desktop if synced else ():
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
        unexplained_web_ids=frozenset(str(ref.id) for ref in missing_on_web if ref.id not in waiting_ids),
        synced=synced, export_database=database)
