"""What a Web export says EndNote Web holds, against the Desktop library, beyond what the ledger explains."""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.reading.snapshot import Snapshot


class WebExportProbe:
    name = "web-export"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        comparison = context.comparison
        if comparison is None or not snapshot.ok:
            return
        source = comparison.export.name
        if comparison.unexplained_missing_on_web:
            yield Finding(self.name, "compare.missing-on-web", Severity.ERROR,
                          f"{comparison.unexplained_missing_on_web} references on Desktop are not in the Web export "
                          f"{source} and no pending sync explains it; see endnoted compare, then "
                          f'endnoted reset "{snapshot.library.path}".', comparison.unexplained_missing_on_web)
        if comparison.unexplained_missing_on_desktop:
            yield Finding(self.name, "compare.missing-on-desktop", Severity.ERROR,
                          f"{comparison.unexplained_missing_on_desktop} references in the Web export {source} are not "
                          "on Desktop and no pending sync explains it; see endnoted compare before any reset: "
                          "a reset would delete them from EndNote Web.", comparison.unexplained_missing_on_desktop)
        explained = (len(comparison.missing_on_web) - comparison.unexplained_missing_on_web
                     + len(comparison.missing_on_desktop) - comparison.unexplained_missing_on_desktop)
        if explained:
            yield Finding(self.name, "compare.explained-by-pending-sync", Severity.INFO,
                          f"{explained} references differ from the Web export {source} only because they wait for "
                          "the next sync: press Sync in EndNote.", explained)
        if comparison.duplicates_web:
            yield Finding(self.name, "compare.duplicates-web", Severity.WARNING,
                          f"EndNote Web holds {len(comparison.duplicates_web)} extra copies of references "
                          f"(export {source}); remove them on EndNote Web or with Find Duplicates after a sync.",
                          len(comparison.duplicates_web))
