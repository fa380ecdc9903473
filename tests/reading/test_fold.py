"""The fold counts what fold.py's definitions say, row by row, on random rows of every odd kind.

fold() counts with C-level passes (issue #16); the oracle here is the definitions written as one
plain loop per row, as fold did before. Rows mix every sync kind, busy and idle, stuck and fresh,
NULL and zero USNs, orphans of each kind, trashed and live references, bad last-sync values.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from endnoted.reading.fold import EDIT_SLACK_SECONDS, MISSED_SLACK_SECONDS, fold
from endnoted.reading.library import Layout, Library

LAST_SYNC_S = 1_700_000_000
Sync = tuple[int, int, str, int | None, int, int, int]
Ref = tuple[int, int, str, str, str, str, int, int]


def _by_definition(refs: list[Ref], sync: list[Sync], files: list[tuple[int, str]], groups: dict[int, int],
                   tags: set[int], sets: set[int], last_sync_s: float | None) -> dict[str, object]:
    stuck_limit = None if last_sync_s is None else last_sync_s - MISSED_SLACK_SECONDS
    synced: set[int] = set()
    pending_ids: set[int] = set()
    stuck_ids: set[int] = set()
    pending = stuck_rows = unnumbered = numbered = 0
    pending_since: int | None = None
    stuck_since: int | None = None
    max_usn: int | None = None
    for kind, item, _item2, usn, action, status, stamp in sync:
        busy = bool(action) or bool(status)
        stuck = busy and bool(stamp) and stuck_limit is not None and stamp < stuck_limit
        pending += busy
        stuck_rows += stuck
        unnumbered += not busy and usn == 0
        numbered += bool(usn)
        if busy and stamp and not stuck:
            pending_since = stamp if pending_since is None else min(pending_since, stamp)
        if stuck:
            stuck_since = stamp if stuck_since is None else min(stuck_since, stamp)
        if usn is not None and (max_usn is None or usn > max_usn):
            max_usn = usn
        if kind == 1:
            synced.add(item)
            if busy:
                pending_ids.add(item)
            if stuck:
                stuck_ids.add(item)
    ids = {row[0] for row in refs}
    targets = {1: ids, 4: set(files), 8: set(groups), 32: tags, 16: sets}
    orphans = sum(1 for kind, item, item2, *_ in sync
                  if kind in targets and ((item, item2) if kind == 4 else item) not in targets[kind])
    unsynced = [row[0] for row in refs if row[0] not in synced]
    missed = [] if stuck_limit is None else [row[0] for row in refs if row[0] not in synced and row[6] < stuck_limit]
    edited = [] if last_sync_s is None else [
        row[0] for row in refs if not row[1] and row[7] > last_sync_s + EDIT_SLACK_SECONDS
        and row[0] in synced and row[0] not in pending_ids]
    return {"rows": len(sync), "pending": pending, "stuck_rows": stuck_rows, "unnumbered": unnumbered, "numbered": numbered,
            "pending_since": pending_since, "stuck_since": stuck_since, "max_usn": max_usn, "orphans": orphans,
            "synced": synced, "pending_ids": pending_ids, "stuck_ids": stuck_ids, "unsynced": set(unsynced),
            "missed": set(missed), "edited": set(edited), "trashed": sum(1 for row in refs if row[1]),
            "live": sum(1 for row in refs if not row[1]), "unsynced_n": len(unsynced), "missed_n": len(missed),
            "edited_n": len(edited)}


@pytest.mark.parametrize("seed", range(40))
def test_the_fold_counts_what_the_definitions_say(seed: int) -> None:
    rng = random.Random(seed)
    last_ms = rng.choice([LAST_SYNC_S * 1000, LAST_SYNC_S * 1000, "not a time", None])
    misc: dict[tuple[int, int], object] = {(14, 0): "db"} if last_ms is None else {(14, 0): "db", (6, 41): last_ms}
    times = [0, LAST_SYNC_S - 1000, LAST_SYNC_S - 30, LAST_SYNC_S + 2, LAST_SYNC_S + 100]
    count = rng.randint(0, 80)
    refs: list[Ref] = [(n, rng.choice([0, 0, 1, 2]), "t", "2020", "a", "", rng.choice(times), rng.choice(times))
                       for n in range(1, count + 1)]
    sync: list[Sync] = [(rng.choice([1, 1, 1, 4, 8, 16, 32, 64]), rng.randint(0, count + 4), rng.choice(["", "a.pdf"]),
                         rng.choice([None, 0, 1, 7, -3]), rng.choice([0, 0, 0, 1, 2, -4]), rng.choice([0, 0, 0, 1]),
                         rng.choice(times)) for _ in range(rng.randint(0, 120))]
    files = [(rng.randint(0, count + 2), rng.choice(["", "a.pdf"])) for _ in range(rng.randint(0, 6))]
    groups = {rng.randint(0, 9): rng.choice([3, 4, 6]) for _ in range(rng.randint(0, 5))}
    tags, sets = {rng.randint(0, 9) for _ in range(3)}, {rng.randint(0, 9) for _ in range(3)}
    library = Library(Path("/nowhere/lib.enl"), "lib", Path("/nowhere/lib.enl"), Path("/nowhere/lib.Data"), Layout.SQLITE)
    # As the reader gives them: idle rows of references as (item_id, usn), every other row in full.
    idle = [(row[1], row[3]) for row in sync if row[0] == 1 and row[4] == 0 and row[5] == 0]
    others = [row for row in sync if not (row[0] == 1 and row[4] == 0 and row[5] == 0)]
    snap = fold(library, datetime.now(UTC), {"refs", "misc", "sync"}, misc, refs, idle, others, files, groups,
                tags, sets, "ok", [])
    want = _by_definition(refs, sync, files, groups, tags, sets,
                          LAST_SYNC_S if last_ms == LAST_SYNC_S * 1000 else None)
    ledger, counts = snap.ledger, snap.counts
    assert ledger is not None and counts is not None
    got = {"rows": ledger.sync_rows, "pending": ledger.pending, "stuck_rows": snap.stuck_rows, "unnumbered": snap.unnumbered_rows,
           "numbered": ledger.numbered_rows, "pending_since": snap.pending_since, "stuck_since": snap.stuck_since,
           "max_usn": ledger.max_usn, "orphans": ledger.orphan_rows, "synced": snap.synced_ids,
           "pending_ids": snap.pending_ids, "stuck_ids": snap.stuck_ids, "unsynced": snap.unsynced_ids,
           "missed": snap.missed_ids, "edited": snap.edited_ids, "trashed": counts.trashed, "live": counts.references,
           "unsynced_n": ledger.unsynced, "missed_n": ledger.missed, "edited_n": ledger.edited_after_sync}
    assert got == want
