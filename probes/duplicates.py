"""Duplicates inside the Desktop library (same DOI, or same title + year + first author)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import compress

from endnoted.common.words import plural
from endnoted.judging.findings import LIST_CAP, Finding, RefItem, Severity, ref_list
from endnoted.judging.matching import extra_copies_keyed, extra_copies_of, known_keys
from endnoted.probes.base import Context
from endnoted.reading.model import Snapshot, named_rows


class DuplicatesProbe:
    name = "duplicates"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        if not snapshot.ok:
            return
        # Raw rows, not Reference records: this probe runs on every pass over every library.
        keys = known_keys(snapshot)
        if keys is None:
            live = [row for row in snapshot.rows if not row[1]]
            # Columns by one C transposition; surname() takes the first of the authors.
            columns = list(zip(*live, strict=True)) if live else [()] * 8
            extras = extra_copies_of(live, columns[5], columns[2], columns[3], columns[4])
        else:
            # The daemon keeps every reference's keys between readings (issue #16): no folding here.
            # Same answer as find_extra_copies (tests/reading/test_incremental.py compares them).
            # The live ones by one mask and C-level compress (5 ms at 100k; positions and indexing took 12).
            if not len(snapshot.rows) == len(keys.dois) == len(keys.titles):
                raise ValueError(f"{len(snapshot.rows)} references, {len(keys.dois)} and {len(keys.titles)} keys")
            alive = [not row[1] for row in snapshot.rows]
            extras = extra_copies_keyed(list(compress(snapshot.rows, alive)), list(compress(keys.dois, alive)),
                                        list(compress(keys.titles, alive)))
        if extras:
            ids = ", ".join(f"#{row[0]}" for row in extras[:5]) + (" …" if len(extras) > 5 else "")
            # Records for the few that are named only: a library may hold tens of thousands of copies.
            refs, more = ref_list((RefItem(row[0], row[2], row[3], row[4].split("\r", 1)[0])
                                   for row in named_rows(snapshot, extras[:LIST_CAP])), len(extras))
            yield Finding(self.name, "duplicates.desktop", Severity.INFO,
                          f"{plural(len(extras), 'reference is an extra copy', 'references are extra copies')} of others in this library ({ids}); "
                          "use EndNote's Library → Find Duplicates before they spread to EndNote Web.",
                          len(extras), references=refs, more=more)
