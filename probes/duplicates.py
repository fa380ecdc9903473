"""Duplicates inside the Desktop library (same DOI, or same title + year + first author)."""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.findings import Finding, Severity
from endnoted.matching import find_extra_copies
from endnoted.probes.base import Context
from endnoted.snapshot import Snapshot


class DuplicatesProbe:
    name = "duplicates"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        if not snapshot.ok:
            return
        live = [ref for ref in snapshot.references if not ref.trashed]
        extras = find_extra_copies(live, lambda ref: (ref.doi, ref.title, ref.year, ref.first_author))
        if extras:
            ids = ", ".join(f"#{ref.id}" for ref in extras[:5]) + (" …" if len(extras) > 5 else "")
            yield Finding(self.name, "duplicates.desktop", Severity.INFO,
                          f"{len(extras)} references are extra copies of others in this library ({ids}); "
                          "use EndNote's Library → Find Duplicates before they spread to EndNote Web.",
                          len(extras))
