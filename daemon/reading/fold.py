"""Folding the rows one reading read into counts and the sync ledger (no I/O: reading/snapshot.py reads).

Definitions (issue #2, "Snapshot contents"):
- references: refs with trash_state = 0; trashed: refs with trash_state != 0;
  attachments: rows of file_res; groups: rows of groups.
- configured: a `sync` table and a last-sync time (misc 6/41) exist.
- pending: sync rows with action != 0 or status != 0.
- edited_after_sync: non-trashed refs that have a sync row with nothing pending on it, and whose
  record_last_updated is > 5 s after the last sync. Each waiting reference is counted once (issue
  #11): a ref without a sync row is `unsynced`, one whose row is pending is counted in `pending`.
- unsynced: refs (any trash state) with no sync row of type 1.
- missed: unsynced refs added > 60 s before the last sync (the Web copy lacks them).
- stuck: pending sync rows whose action_timestamp is > 60 s before the last sync: a sync ran after
  the change and did not clear it (docs/ENDNOTE-RULES.md R9).
- unnumbered: sync rows with nothing pending but USN 0: EndNote made the row, the server never
  numbered it, so it was never sent (R7; no real sample has one).
- refs_sequence: sqlite_sequence's counter for refs (AUTOINCREMENT): minus the row count it
  bounds the references deleted for good (R8).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from operator import countOf
from typing import cast

from endnoted.reading.library import Library
from endnoted.reading.model import Attachment, Counts, Ledger, Snapshot, Status

EDIT_SLACK_SECONDS = 5      # a sync bumps timestamps by a second or so (Wanganlin00 sample)
MISSED_SLACK_SECONDS = 60   # added this long before a sync and still without a sync row
SYNC_TYPE_REFERENCE = 1
SYNC_TYPE_ATTACHMENT = 4
SYNC_TYPE_GROUP = 8
SYNC_TYPE_GROUP_SET = 16
SYNC_TYPE_TAG = 32
# A last-sync time (ms) outside 2000-01-01 .. 2100-01-01 is not one EndNote wrote.
LAST_SYNC_MIN_MS = 946_684_800_000
LAST_SYNC_MAX_MS = 4_102_444_800_000
USN_MAX = 2**63 - 1


def as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return "" if value is None else str(value).strip()


def as_int(value: object) -> int | None:
    try:
        return int(as_text(value))
    except ValueError:
        return None


def _misc_int(misc: dict[tuple[int, int], object], key: tuple[int, int], low: int, high: int,
              what: str, bad: list[str]) -> int | None:
    """Given misc, return the integer at `key` if it is one within [low, high]; otherwise note it as bad."""
    if key not in misc:
        return None
    value = as_int(misc[key])
    if value is None or not low <= value <= high:
        bad.append(f"misc {key[0]}/{key[1]} ({what}) holds no valid value")
        return None
    return value


def fold(library: Library, taken_at: datetime, tables: set[str], misc: dict[tuple[int, int], object],
          ref_rows: list[tuple[int, int, str, str, str, str, int, int]], idle_refs: list[tuple[int, int | None]],
          sync_rows: list[tuple[int, int, str, int | None, int, int, int]], file_rows: list[tuple[int, str]],
          group_kinds: dict[int, int], tag_ids: set[int], set_ids: set[int], integrity: str,
          bad: list[str]) -> Snapshot:
    last_sync_ms = _misc_int(misc, (6, 41), LAST_SYNC_MIN_MS, LAST_SYNC_MAX_MS, "last sync time", bad)
    last_usn = _misc_int(misc, (6, 42), 0, USN_MAX, "last sync number", bad)
    has_sync = "sync" in tables
    # A last-sync entry that holds nonsense still says the library was set up to sync.
    configured = has_sync and (6, 41) in misc
    last_sync_s = last_sync_ms / 1000.0 if last_sync_ms is not None else None

    stuck_limit = None if last_sync_s is None else last_sync_s - MISSED_SLACK_SECONDS
    # A library holds about one sync row per reference, almost all of them idle ones of references:
    # the reader gives those as (item_id, usn) in `idle_refs`, every other row in `sync_rows`. They
    # are counted by C-level passes (countOf, set algebra), and only the busy rows and the rows of
    # other kinds (a few hundred) one by one.
    usns = [row[1] for row in idle_refs] + [row[3] for row in sync_rows]
    busy_rows = [row for row in sync_rows if row[4] or row[5]]   # action or status set: pending
    pending_refs: set[int] = set()
    stuck_refs: set[int] = set()
    stuck_rows = 0
    pending_since: int | None = None
    stuck_since: int | None = None
    for kind, item_id, _item_id2, _usn, _action, _status, stamp in busy_rows:
        stuck = bool(stamp) and stuck_limit is not None and stamp < stuck_limit
        stuck_rows += stuck
        if stuck:
            stuck_since = stamp if stuck_since is None else min(stuck_since, stamp)
        elif stamp:
            pending_since = stamp if pending_since is None else min(pending_since, stamp)
        if kind == SYNC_TYPE_REFERENCE:
            pending_refs.add(item_id)
            if stuck:
                stuck_refs.add(item_id)
    unnumbered = countOf(usns, 0) - sum(1 for row in busy_rows if row[3] == 0)
    max_usn = max(cast(list[int], usns), default=None) if None not in usns \
        else max((usn for usn in usns if usn is not None), default=None)
    ref_items = [row[0] for row in idle_refs] + [row[1] for row in sync_rows if row[0] == SYNC_TYPE_REFERENCE]
    synced_refs = set(ref_items)
    others = [row for row in sync_rows if row[0] != SYNC_TYPE_REFERENCE]
    synced_files = {(row[1], row[2]) for row in others if row[0] == SYNC_TYPE_ATTACHMENT}
    synced_groups = {row[1] for row in others if row[0] == SYNC_TYPE_GROUP}

    ids = [row[0] for row in ref_rows]
    trashed = len(ids) - countOf([row[1] for row in ref_rows], 0)
    live = len(ids) - trashed
    unsynced = [ref_id for ref_id in ids if ref_id not in synced_refs]
    edit_limit = None if last_sync_s is None else last_sync_s + EDIT_SLACK_SECONDS
    missed_limit = None if last_sync_s is None else last_sync_s - MISSED_SLACK_SECONDS
    missed = [] if missed_limit is None or not unsynced else \
        [row[0] for row in ref_rows if row[0] not in synced_refs and (row[6] or 0) < missed_limit]
    edited = [] if edit_limit is None else \
        [row[0] for row in ref_rows if (row[7] or 0) > edit_limit and not row[1] and row[0] in synced_refs
         and row[0] not in pending_refs]

    ref_ids = set(ids)
    orphans = 0 if synced_refs <= ref_ids else sum(1 for item_id in ref_items if item_id not in ref_ids)
    file_keys = set(file_rows)
    for kind, item_id, item_id2, *_rest in others:
        if kind == SYNC_TYPE_ATTACHMENT:
            orphans += (item_id, item_id2) not in file_keys
        elif kind == SYNC_TYPE_GROUP:
            orphans += item_id not in group_kinds
        elif kind == SYNC_TYPE_TAG:
            orphans += item_id not in tag_ids
        elif kind == SYNC_TYPE_GROUP_SET:
            orphans += item_id not in set_ids
    # Online-search groups (TYPE;6) never get a sync row (ENDNOTE-FORMAT.md §2.1).
    unsynced_groups = sum(1 for gid, kind in group_kinds.items() if kind in (3, 4) and gid not in synced_groups) \
        if configured else 0
    attachments = tuple(Attachment(refs_id, path, (refs_id, path) in synced_files) for refs_id, path in file_rows)
    ledger = Ledger(
        has_sync_table=has_sync, configured=configured,
        last_sync=None if last_sync_ms is None else datetime.fromtimestamp(last_sync_ms / 1000.0, UTC),
        last_usn=last_usn, max_usn=max_usn,
        pending=len(busy_rows), edited_after_sync=len(edited), unsynced=len(unsynced), missed=len(missed),
        orphan_rows=orphans, sync_rows=len(usns),
        misc_marks=frozenset(sub for code, sub in misc if code == 6 and sub in (39, 41, 42)),
        numbered_rows=len(usns) - countOf(usns, 0) - countOf(usns, None))
    return Snapshot(
        library=library, taken_at=taken_at, status=Status.OK,
        counts=Counts(live, trashed, len(file_rows), len(group_kinds)), ledger=ledger,
        db_id=as_text(misc.get((14, 0))) or None,
        rows=tuple(ref_rows), synced_ids=frozenset(synced_refs), pending_ids=frozenset(pending_refs),
        attachments=attachments, unsynced_groups=unsynced_groups,
        integrity=integrity, tables=frozenset(tables), bad_values=tuple(bad), edited_ids=frozenset(edited),
        unsynced_ids=frozenset(unsynced), missed_ids=frozenset(missed), stuck_ids=frozenset(stuck_refs),
        stuck_rows=stuck_rows, unnumbered_rows=unnumbered, pending_since=pending_since, stuck_since=stuck_since, account=account(misc.get((6, 39))))


def account(value: object) -> str | None:
    """A one-way hash of the sync user id: enough to tell two libraries share an account, never the id."""
    text = as_text(value)
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else None
