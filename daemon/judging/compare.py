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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from endnoted.common.gcpause import gc_paused
from endnoted.common.words import plural
from endnoted.judging.matching import extra_copies_of, normalise_dois, title_key, title_keys
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


class _Keys:
    """The title keys (`untitled` ones too) of one side's records, computed in bulk for the positions a step needs.

    Most records match by DOI and never need their key (the costly normalisation): each step asks
    for the keys of the records still left (`need`, one title_keys pass); a key asked for without
    that is computed alone. Either way a record's key is title_key(…, untitled=True).
    """

    __slots__ = ("_authors", "_keys", "_titles", "_years")

    def __init__(self, titles: Sequence[str], years: Sequence[str], authors: Sequence[str]) -> None:
        self._titles, self._years, self._authors = titles, years, authors
        self._keys: list[str | None] = [None] * len(titles)

    def need(self, positions: Iterable[int]) -> None:
        todo = [n for n in positions if self._keys[n] is None]
        if todo:
            keys = title_keys([self._titles[n] for n in todo], [self._years[n] for n in todo],
                              [self._authors[n] for n in todo], untitled=True)
            for n, key in zip(todo, keys, strict=True):
                self._keys[n] = key

    def __getitem__(self, n: int) -> str:
        key = self._keys[n]
        if key is None:
            key = self._keys[n] = title_key(self._titles[n], self._years[n], self._authors[n], untitled=True)
        return key


@dataclass(frozen=True, slots=True)
class _Side:
    """One side's records as the matching reads them: aligned DOIs (normalised), titles, years, first authors."""

    dois: list[str]
    titles: list[str]
    years: list[str]
    authors: list[str]
    keys: _Keys

    @classmethod
    def of(cls, records: Sequence[Reference] | Sequence[ExportRecord]) -> _Side:
        titles = [record.title for record in records]
        years = [record.year for record in records]
        authors = [record.first_author for record in records]
        return cls(normalise_dois([record.doi for record in records]), titles, years, authors,
                   _Keys(titles, years, authors))


def _extra_copies(side: _Side) -> list[int]:
    """Given one side, return the positions of its extra copies (matching.extra_copies_of: keys only where needed)."""
    return extra_copies_of(range(len(side.dois)), side.dois, side.titles, side.years, side.authors)


class _Index:
    """Positions of one side's unmatched records by title key, consumed as the other side's records match them."""

    def __init__(self, positions: Sequence[int], keys: _Keys, dois: Sequence[str],
                 taken: set[int] | None = None) -> None:
        self.by_key: dict[str, list[tuple[int, bool]]] = defaultdict(list)
        self.taken = set() if taken is None else taken
        keys.need(positions)
        for n in positions:
            if key := keys[n]:
                self.by_key[key].append((n, bool(dois[n])))

    def take(self, key: str, doi: str) -> int | None:
        """Given a record's key and DOI, take the first unmatched record of that key (by DOI if both have one)."""
        for n, has_doi in self.by_key.get(key, ()) if key else ():
            if n not in self.taken and not (has_doi and doi):
                self.taken.add(n)
                return n
        return None


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


def _pair_extra_copies(desktop: list[int], web: list[int], desktop_side: _Side, web_side: _Side
                       ) -> tuple[list[int], list[int]]:
    """Given each side's extra copies (positions), pair them one for one (DOI, else title key); return the unpaired.

    One pass in Web order, as a DOI pairing and a key pairing may want the same Desktop copy.
    """
    by_doi: dict[str, list[int]] = defaultdict(list)
    for n in desktop:
        if doi := desktop_side.dois[n]:
            by_doi[doi].append(n)
    # A Web copy whose DOI has Desktop copies needs its key only once they are all paired (then alone).
    web_side.keys.need(n for n in web if web_side.dois[n] not in by_doi)
    index = _Index(desktop, desktop_side.keys, desktop_side.dois)
    taken = index.taken
    left_web: list[int] = []
    for position in web:
        doi = web_side.dois[position]
        candidate = next((n for n in by_doi.get(doi, ()) if n not in taken), None) if doi else None
        if candidate is not None:
            taken.add(candidate)
            continue
        key = web_side.keys[position]
        if (not doi and not key) or index.take(key, doi) is None:
            left_web.append(position)
    return [n for n in desktop if n not in taken], left_web


def compare_records(snapshot: Snapshot, kind: str, records: Iterable[ExportRecord], export: Path) -> Comparison:
    """Given a readable snapshot and the other side's records, return the Comparison.

    The cyclic garbage collector is paused meanwhile (gcpause.py): the export's records are many
    small objects, none in cycles.
    """
    with gc_paused():
        return _compare_records(snapshot, kind, records, export)


def _compare_records(snapshot: Snapshot, kind: str, records: Iterable[ExportRecord], export: Path) -> Comparison:
    """The comparison itself (see compare_records).

    Records are named by their position on their side. DOIs are matched first; title keys (the
    costly normalisation) are computed, in bulk, only for what is left on either side.
    """
    live = [ref for ref in snapshot.references if not ref.trashed]
    desktop_side = _Side.of(live)
    desktop_extras = _extra_copies(desktop_side)
    extra_set = set(desktop_extras)
    desktop = [n for n in range(len(live)) if n not in extra_set]
    web_records = list(records)
    web_side = _Side.of(web_records)
    db_id = next((record.db_id for record in web_records if record.db_id), "")
    web_extras = _extra_copies(web_side)
    web_extra_set = set(web_extras)
    web = [n for n in range(len(web_records)) if n not in web_extra_set]
    desktop_doi, web_doi = desktop_side.dois, web_side.dois

    # 1. DOI against DOI.
    by_doi: dict[str, list[int]] = defaultdict(list)
    for n in desktop:
        if doi := desktop_doi[n]:
            by_doi[doi].append(n)
    taken: set[int] = set()
    left_web: list[int] = []
    for position in web:
        candidates = by_doi.get(web_doi[position]) if web_doi[position] else None
        if candidates:
            taken.add(candidates.pop())   # each Desktop position is in one list, so popped ones are the taken
        else:
            left_web.append(position)
    # 2. Title key for the rest ("DOI when both have one, otherwise the key").
    rest = [n for n in desktop if n not in taken]
    index = _Index(rest, desktop_side.keys, desktop_doi, taken)
    web_side.keys.need(left_web)
    missing_on_desktop: list[int] = []
    empty_web: list[int] = []
    for position in left_web:
        doi, key = web_doi[position], web_side.keys[position]
        if not doi and not key:
            empty_web.append(position)
        elif index.take(key, doi) is None:
            missing_on_desktop.append(position)
    # 3. Empty records (no DOI, title, year or author): by record number when the export carries this
    #    library's database id, otherwise one empty record for one empty record.
    empty_desktop = [n for n in rest if n not in taken and not desktop_doi[n] and not desktop_side.keys[n]]
    same_db = bool(db_id) and db_id == (snapshot.db_id or "")
    by_number = {str(live[n].id): n for n in empty_desktop}
    unpaired: list[int] = []
    for position in empty_web:
        numbered = by_number.pop(web_records[position].number, None) if same_db else None
        if numbered is not None:
            taken.add(numbered)
        else:
            unpaired.append(position)
    spare = [n for n in empty_desktop if n not in taken]
    for position in unpaired:
        if spare:
            taken.add(spare.pop(0))
        else:
            missing_on_desktop.append(position)
    missing_on_desktop.sort()
    # 4. Extra copies held on both sides are no difference: pair them one for one.
    desktop_extras, web_extras = _pair_extra_copies(desktop_extras, web_extras, desktop_side, web_side)
    matched = len(web_records) - len(web_extras) - len(missing_on_desktop)
    missing_on_web = [live[n] for n in desktop if n not in taken]
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
    unexplained_desktop = _unexplained_on_desktop(snapshot, missing_on_desktop, web_side) if synced \
        else len(missing_on_desktop)
    # Only a reference that was synced before and changed since has an older version on the Web.
    edited_since = sum(1 for ref in waiting if ref.synced)
    unexplained_desktop = max(0, unexplained_desktop - edited_since)
    return Comparison(
        library=snapshot.library.path, export=export, format=kind, desktop=len(live), web=len(web_records),
        matched=matched,
        missing_on_web=tuple(_desktop_ref(ref) for ref in missing_on_web),
        missing_on_desktop=tuple(_web_ref(web_records[position]) for position in missing_on_desktop),
        duplicates_web=tuple(_web_ref(web_records[position]) for position in web_extras),
        duplicates_desktop=tuple(_desktop_ref(live[n]) for n in desktop_extras),
        unexplained_missing_on_web=len(missing_on_web) - len(waiting),
        unexplained_missing_on_desktop=unexplained_desktop, export_db_id=db_id, belongs=belongs, trust=trust,
        unexplained_web_ids=frozenset(str(ref.id) for ref in missing_on_web if ref.id not in waiting_ids),
        synced=synced, export_database=database)


def _unexplained_on_desktop(snapshot: Snapshot, missing_on_desktop: list[int], web_side: _Side) -> int:
    """Given the Web records missing on Desktop (positions), return how many no trash move waiting to be sent explains.

    A trash move not yet sent leaves the reference on the Web: it explains one Web record each.
    """
    moved = [ref for ref in snapshot.references if ref.trashed and ref.sync_pending]
    side = _Side.of(moved)
    index = _Index(range(len(moved)), side.keys, side.dois)
    trashed_dois = set(side.dois) - {""}
    unexplained = 0
    for position in missing_on_desktop:
        doi = web_side.dois[position]
        if doi and doi in trashed_dois:
            trashed_dois.discard(doi)
        elif index.take(web_side.keys[position], doi) is None:
            unexplained += 1
    return unexplained
