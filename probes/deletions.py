"""Deletions you can see: references deleted for good over the library's life, and drops since the last reading.

`refs.id` is AUTOINCREMENT, so sqlite_sequence's counter minus the rows left bounds the references
deleted for good, and the gaps in record numbers are the numbers Word citations may still use
(docs/ENDNOTE-RULES.md R8). A drop since the daemon's last healthy reading is a warning the daemon
turns into an alert; emptying the Trash of a synced library deletes those references from
EndNote Web at the next sync (EndNote's help on syncing; R8).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from itertools import compress, repeat
from operator import add, lt

from endnoted.common.words import plural
from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.reading.model import Snapshot

DROP_MIN = 5          # references; fewer is everyday tidying
DROP_SHARE = 0.1      # or this share of the library, whichever is larger
GAPS_SHOWN = 8


def _gaps(ids: list[int], top: int) -> list[tuple[int, int]]:
    """Given the record numbers in use (sorted) and the highest ever given, return the missing ranges.

    Record numbers start at 1. By C-level passes over the numbers (no Python work per reference: the
    daemon runs this on every reading, issue #16): a gap follows each number whose successor is
    more than one above it.
    """
    bounds = [0, *ids[bisect_right(ids, 0):], top + 1]   # numbers below 1 leave no gap
    lows = list(map(add, bounds, repeat(1)))
    at = list(compress(range(len(bounds) - 1), map(lt, lows, bounds[1:])))
    return [(lows[n], bounds[n + 1] - 1) for n in at]


def _span(low: int, high: int) -> str:
    return f"#{low}" if low == high else f"#{low}–#{high}"


class DeletionsProbe:
    name = "deletions"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        counts = snapshot.counts
        if not snapshot.ok or counts is None:
            return
        ids = sorted(row[0] for row in snapshot.rows)
        top = max([snapshot.refs_sequence or 0, *ids[-1:]])
        gone = top - len(ids)
        if gone > 0:
            gaps = _gaps(ids, top)
            shown = ", ".join(_span(low, high) for low, high in gaps[:GAPS_SHOWN])
            more = f" and {len(gaps) - GAPS_SHOWN} more ranges" if len(gaps) > GAPS_SHOWN else ""
            yield Finding(self.name, "library.deletions", Severity.INFO,
                          f"{plural(gone, 'reference was', 'references were')} deleted for good over the library's life (record numbers up to "
                          f"{top} were given out, {len(ids)} remain). Missing record numbers: {shown}{more}; a Word "
                          "document citing one of them finds no reference. Nothing to do unless one was deleted by "
                          "mistake: then restore a backup.", gone)
        previous = context.previous
        if previous is None:
            return
        since = previous.taken_at.astimezone().strftime("%Y-%m-%d %H:%M")
        synced = snapshot.ledger is not None and snapshot.ledger.configured
        dropped = previous.references - counts.references
        if dropped >= max(DROP_MIN, previous.references * DROP_SHARE):
            spread = " If that was not meant, do not sync: restore a backup first." if synced else ""
            yield Finding(self.name, "library.references-dropped", Severity.WARNING,
                          f"The library holds {dropped} fewer references than at the last reading ({since}): "
                          f"{previous.references} then, {counts.references} now.{spread}", dropped)
        emptied = previous.trashed - counts.trashed
        rows_gone = previous.references + previous.trashed - counts.references - counts.trashed
        if synced and emptied >= DROP_MIN and rows_gone >= DROP_MIN:
            yield Finding(self.name, "library.trash-emptied", Severity.WARNING,
                          f"The Trash was emptied since the last reading ({since}): {min(emptied, rows_gone)} "
                          "references are deleted for good. This library syncs, so the next sync deletes them from "
                          "EndNote Web too. If that was not meant, turn off Sync Automatically now and restore a "
                          "backup.", min(emptied, rows_gone))
