"""What a Web export says EndNote Web holds, against the Desktop library, beyond what the ledger explains.

An export that does not look like it came from this library (too few records match, or its
`db-id` names another database while little matches) is reported as `export.not-this-library`
and never moves the verdict: a comparison with the wrong file proves nothing (issue #11).
"""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.common.words import plural
from endnoted.judging.compare import Comparison, Ref, record_number
from endnoted.judging.findings import Finding, RefItem, Severity, State, ref_list
from endnoted.probes.base import Context
from endnoted.reading.model import Snapshot


def _items(refs: tuple[Ref, ...]) -> tuple[tuple[RefItem, ...], int]:
    return ref_list(RefItem(record_number(ref.record), ref.title, ref.year, ref.first_author) for ref in refs)


class WebExportProbe:
    name = "web-export"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        comparison = context.comparison
        if comparison is None or not snapshot.ok:
            return
        source = comparison.export.name
        path = snapshot.library.path
        if not comparison.belongs:
            yield Finding(self.name, "export.not-this-library", Severity.WARNING,
                          f"The export {source} does not look like it came from this library: {comparison.trust}. "
                          "It was not used to judge the library. Export All My References from the EndNote Web "
                          "account this library syncs with, and check again.")
            return
        # A library that never synced has no Web copy to diverge from and no ledger to explain anything:
        # the differences are reported only, and no reset is proposed (there is no sync to reset).
        synced = comparison.synced
        if not synced:
            yield from self._never_synced(comparison, source, path)
            return
        reason = (f"Compared with the Web export {source}: "
                  f"{plural(comparison.unexplained_missing_on_web, 'reference is', 'references are')} "
                  f"missing on Web and {comparison.unexplained_missing_on_desktop} missing on Desktop, beyond what "
                  "the sync ledger explains")
        unexplained_web = [ref for ref in comparison.missing_on_web if ref.record in comparison.unexplained_web_ids]
        # Each side lacking references of the other: a reset would delete the Web's own, and a library
        # synced anew from the Web would lack the Desktop's. Neither is proposed; one action for both.
        both = bool(comparison.unexplained_missing_on_web and comparison.unexplained_missing_on_desktop)
        both_action = (f"Each copy holds references the other lacks, so neither a reset (it would delete the "
                       f"{plural(comparison.unexplained_missing_on_desktop, 'reference')} only on EndNote Web) nor a "
                       "new library synced from EndNote Web (it would lack the "
                       f"{plural(comparison.unexplained_missing_on_web, 'reference')} only on Desktop) keeps "
                       f'everything. See both lists with endnoted compare "{path}" "{comparison.export}"; bring the '
                       "references only on EndNote Web into this library first (in EndNote Web, put them in a group "
                       "and export it; in EndNote, File → Import), then export from EndNote Web and check again.")
        if comparison.unexplained_missing_on_web:
            refs, more = _items(tuple(unexplained_web) or comparison.missing_on_web)
            action = both_action if both else (
                f'See the list with endnoted compare "{path}" "{comparison.export}". If the Desktop is right '
                f'and EndNote Web should hold them, run endnoted reset "{path}" (it backs up first).')
            then = ("EndNote Web also holds references this library lacks, so do not reset yet" if both
                    else f'see endnoted compare, then endnoted reset "{path}"')
            yield Finding(self.name, "compare.missing-on-web", Severity.ERROR,
                          f"{plural(comparison.unexplained_missing_on_web, 'reference on Desktop is', 'references on Desktop are')} not in the Web export "
                          f"{source} and no pending sync explains it; {then}.", comparison.unexplained_missing_on_web,
                          verdict=State.DIVERGED if synced else None,
                          reason=reason,
                          action=action, references=refs, more=more)
        if comparison.unexplained_missing_on_desktop:
            refs, more = _items(comparison.missing_on_desktop)
            action = both_action if both else (
                "Do not reset: a reset would delete these references from EndNote Web. If EndNote Web is "
                "right, make a new empty library, sync it from EndNote Web, and compare the two "
                f'(endnoted compare "{path}" NEW.enl).')
            yield Finding(self.name, "compare.missing-on-desktop", Severity.ERROR,
                          f"{plural(comparison.unexplained_missing_on_desktop, 'reference')} in the Web export {source} "
                          f"{'is' if comparison.unexplained_missing_on_desktop == 1 else 'are'} not "
                          "on Desktop and no pending sync explains it; see endnoted compare before any reset: "
                          "a reset would delete them from EndNote Web.", comparison.unexplained_missing_on_desktop,
                          verdict=State.DIVERGED if synced else None,
                          reason=reason,
                          action=action, references=refs, more=more)
        explained = (len(comparison.missing_on_web) - comparison.unexplained_missing_on_web
                     + len(comparison.missing_on_desktop) - comparison.unexplained_missing_on_desktop)
        if explained:
            yield Finding(self.name, "compare.explained-by-pending-sync", Severity.INFO,
                          f"{plural(explained, 'reference differs', 'references differ')} from the Web export {source} only because they wait for "
                          "the next sync: press Sync in EndNote.", explained)
        yield from self._duplicates(comparison, source)

    def _duplicates(self, comparison: Comparison, source: str) -> Iterator[Finding]:
        if comparison.duplicates_web:
            refs, more = _items(comparison.duplicates_web)
            yield Finding(self.name, "compare.duplicates-web", Severity.WARNING,
                          f"EndNote Web holds {plural(len(comparison.duplicates_web), 'extra copy', 'extra copies')} of references "
                          f"(export {source}); remove them on EndNote Web or with Find Duplicates after a sync.",
                          len(comparison.duplicates_web), references=refs, more=more)

    def _never_synced(self, comparison: Comparison, source: str, path: object) -> Iterator[Finding]:
        """A library that never synced: what differs, without a ledger's explanation or a reset."""
        see = f'See the lists with endnoted compare "{path}" "{comparison.export}".'
        setup = ("If this library should sync with that EndNote Web account, set up sync in EndNote "
                 "(Preferences → Sync); until then nothing is sent either way.")
        if comparison.missing_on_web:
            refs, more = _items(comparison.missing_on_web)
            count = len(comparison.missing_on_web)
            yield Finding(self.name, "compare.missing-on-web", Severity.WARNING,
                          f"{plural(count, 'reference on Desktop is', 'references on Desktop are')} not in the "
                          f"Web export {source}; this library has never been synced, so nothing sends "
                          f"{'it' if count == 1 else 'them'} there. {see}", count,
                          action=f"{see} {setup}", references=refs, more=more)
        if comparison.missing_on_desktop:
            refs, more = _items(comparison.missing_on_desktop)
            count = len(comparison.missing_on_desktop)
            yield Finding(self.name, "compare.missing-on-desktop", Severity.WARNING,
                          f"{plural(count, 'reference')} in the Web export {source} "
                          f"{'is' if count == 1 else 'are'} not in this library, which has never been synced "
                          f"with EndNote Web. {see}", count,
                          action=f"{see} {setup}", references=refs, more=more)
        yield from self._duplicates(comparison, source)
