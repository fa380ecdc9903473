"""The `.enl` beside the live database, when it holds references the live one lacks or a later sync.

The reader puts the `.enl`'s contents into the Snapshot (`snapshot.enl_copy`); this probe opens
no file. Both copies that hold references count: a full database and an `enl_refs` copy
(docs/ENDNOTE-RULES.md R6). A reference the live database also holds (same record number, or same
title, year and first author) is not "lacking".
"""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.common.words import plural
from endnoted.judging.findings import Finding, RefItem, Severity, ref_list
from endnoted.judging.matching import library_keys, title_key
from endnoted.probes.base import Context
from endnoted.reading.enl_copy import EnlKind
from endnoted.reading.model import Snapshot


class EnlCopyProbe:
    name = "enl-copy"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        copy = snapshot.enl_copy
        if not snapshot.ok or copy is None or not copy.holds_references:
            return  # stub, empty, X-era or unreadable .enl: EndNote does not read data from it
        # The reader kept only the rows whose id the live database lacks (usually none): title keys,
        # the costly part, are computed only when there are some, and then once per reading.
        live_ids = {row[0] for row in snapshot.rows}
        candidates = [row for row in copy.rows if row[0] not in live_ids]
        keys = library_keys(snapshot) if candidates else None
        live_keys = set(keys.titles) if keys is not None else set()
        # The daemon's keys are one-way hashes (state/refcache.py): compare a candidate's in the same form.
        lacking = [row for row in candidates
                   if keys is None or keys.comparable(title_key(row[1], row[2], row[3])) not in live_keys]
        kind = "a full copy" if copy.kind is EnlKind.FULL else "a copy of the references (enl_refs)"
        if lacking:
            refs, more = ref_list(RefItem(row[0], row[1], row[2], row[3]) for row in lacking)
            yield Finding(self.name, "enl.holds-missing-references", Severity.WARNING,
                          f"{copy.path.name} is {kind} holding {plural(len(lacking), 'reference')} that the live database "
                          "(sdb/sdb.eni) lacks. Before anything else, make a backup (endnoted backup carries the "
                          f".enl too) and compare {'it' if len(lacking) == 1 else 'them'}.", len(lacking), references=refs, more=more,
                          first=_backup_first(snapshot))
        ledger = snapshot.ledger
        if copy.last_sync is not None and ledger is not None and ledger.last_sync is not None \
                and copy.last_sync > ledger.last_sync:
            yield Finding(self.name, "enl.newer-than-database", Severity.WARNING,
                          f"{copy.path.name} records a later sync ({copy.last_sync:%Y-%m-%d}) than the live database "
                          f"({ledger.last_sync:%Y-%m-%d}): the database may have been replaced by an older "
                          "copy. Back up both before syncing.", first=_backup_first(snapshot))


def _backup_first(snapshot: Snapshot) -> str:
    # A sync (or a reset) may settle the live database as the truth: the .enl's references are then
    # lost for good. The backup carries the .enl too (docs/ENDNOTE-RULES.md R6).
    return f'make a backup with endnoted backup "{snapshot.library.path}" (it keeps the .enl too)'
