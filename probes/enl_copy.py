"""The `.enl` beside the live database, when it is a full copy that disagrees with it in a way that matters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from endnoted.common.errors import DatabaseBusy, DatabaseUnreadable
from endnoted.judging.findings import Finding, Severity
from endnoted.judging.matching import title_key
from endnoted.probes.base import Context
from endnoted.reading.database import header_problem, read_transaction, table_names
from endnoted.reading.snapshot import Snapshot


class EnlCopyProbe:
    name = "enl-copy"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        enl = snapshot.library.enl
        if not snapshot.ok or enl is None or header_problem(enl):
            return  # stub, empty or non-SQLite .enl: EndNote does not read data from it
        try:
            with read_transaction(enl, attempts=2) as connection:
                tables = table_names(connection)
                if "refs" not in tables or "misc" not in tables:
                    return  # an enl_refs snapshot: known to be stale by design
                rows = connection.execute(
                    "SELECT id, title, year, author FROM refs WHERE trash_state = 0").fetchall()
                last = connection.execute("SELECT value FROM misc WHERE code = 6 AND subcode = 41").fetchone()
        except (DatabaseBusy, DatabaseUnreadable):
            return
        live_ids = {ref.id for ref in snapshot.references}
        live_keys = {title_key(ref.title, ref.year, ref.first_author) for ref in snapshot.references}
        lacking = [row for row in rows if row[0] not in live_ids and
                   title_key(row[1] or "", row[2] or "", (row[3] or "").split("\r")[0]) not in live_keys]
        if lacking:
            yield Finding(self.name, "enl.holds-missing-references", Severity.WARNING,
                          f"{enl.name} is a full copy holding {len(lacking)} references that the live database "
                          "(sdb/sdb.eni) lacks. Before anything else, make a backup of both "
                          "(endnoted backup) and compare them.", len(lacking))
        ledger = snapshot.ledger
        if last and ledger and ledger.last_sync is not None:
            try:
                enl_sync = datetime.fromtimestamp(int(bytes(last[0]).decode() if isinstance(last[0], bytes)
                                                      else last[0]) / 1000.0, UTC)
            except (ValueError, TypeError, OverflowError):
                return
            if enl_sync > ledger.last_sync:
                yield Finding(self.name, "enl.newer-than-database", Severity.WARNING,
                              f"{enl.name} records a later sync ({enl_sync:%Y-%m-%d}) than the live database "
                              f"({ledger.last_sync:%Y-%m-%d}): the database may have been replaced by an older "
                              "copy. Back up both before syncing.")
