"""Desktop against a Web export: what each side lacks, what each side holds twice, and what the ledger explains.

Matching (issue #3): by DOI when both sides have one, otherwise by normalised title + year + first
author. Only the Desktop's non-trashed references take part ("All My References" on the Web holds
no trash). A duplicate is listed once per extra copy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from endnoted.exports import ExportRecord, read_export
from endnoted.matching import RecordKeys, extra_copies
from endnoted.snapshot import EDIT_SLACK_SECONDS, Reference, Snapshot


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
        }


def _desktop_ref(ref: Reference) -> Ref:
    return Ref("desktop", str(ref.id), ref.title, ref.year, ref.first_author, ref.doi)


def _web_ref(record: ExportRecord) -> Ref:
    return Ref("web", record.number, record.title, record.year, record.first_author, record.doi)


class _Index:
    """Unmatched Desktop references by DOI and by title key, consumed as Web records match them."""

    def __init__(self, refs: Iterable[tuple[Reference, RecordKeys]]) -> None:
        self.by_doi: dict[str, list[Reference]] = defaultdict(list)
        self.by_key: dict[str, list[tuple[Reference, bool]]] = defaultdict(list)
        self.taken: set[int] = set()
        for ref, keys in refs:
            if keys.doi:
                self.by_doi[keys.doi].append(ref)
            if keys.key:
                self.by_key[keys.key].append((ref, bool(keys.doi)))

    def take(self, keys: RecordKeys) -> Reference | None:
        if keys.doi:
            for ref in self.by_doi.get(keys.doi, ()):
                if ref.id not in self.taken:
                    self.taken.add(ref.id)
                    return ref
        for ref, has_doi in self.by_key.get(keys.key, ()) if keys.key else ():
            if ref.id not in self.taken and not (has_doi and keys.doi):
                self.taken.add(ref.id)
                return ref
        return None


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
    live = [ref for ref in snapshot.references if not ref.trashed]
    live_keys = [RecordKeys.of(ref.doi, ref.title, ref.year, ref.first_author, untitled=True) for ref in live]
    desktop_extras = extra_copies(live, live_keys)
    extra_ids = {ref.id for ref in desktop_extras}
    index = _Index((ref, keys) for ref, keys in zip(live, live_keys, strict=True) if ref.id not in extra_ids)

    web_records: list[ExportRecord] = []
    web_keys: list[RecordKeys] = []
    db_id = ""
    for record in records:
        web_records.append(record)
        web_keys.append(RecordKeys.of(record.doi, record.title, record.year, record.first_author, untitled=True))
        db_id = db_id or record.db_id
    web_extras = extra_copies(range(len(web_records)), web_keys)
    web_extra_set = set(web_extras)

    matched = 0
    missing_on_desktop: list[int] = []
    for position, keys in enumerate(web_keys):
        if position in web_extra_set:
            continue
        if index.take(keys) is not None:
            matched += 1
        else:
            missing_on_desktop.append(position)
    missing_on_web = [ref for ref in live if ref.id not in index.taken and ref.id not in extra_ids]

    ledger = snapshot.ledger
    last_sync = ledger.last_sync.timestamp() if ledger and ledger.last_sync else None
    waiting = [ref for ref in missing_on_web if _waiting(ref, last_sync)]
    # A Web record missing on Desktop is explained by a trash move not yet sent, or by a local
    # edit not yet sent (the Web still shows the old title), one Web record per such reference.
    trash_index = _Index((ref, RecordKeys.of(ref.doi, ref.title, ref.year, ref.first_author, untitled=True))
                         for ref in snapshot.references if ref.trashed and ref.sync_pending)
    unexplained_desktop = sum(1 for position in missing_on_desktop if trash_index.take(web_keys[position]) is None)
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
        unexplained_missing_on_desktop=unexplained_desktop, export_db_id=db_id)
