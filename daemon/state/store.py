"""endnoted's own state: one SQLite file (WAL) behind one Store class. Every SQL string lives here.

The schema's migrations are in `migrations.py`. `status`, `history` and `report` open the file
read-only while the daemon writes it, through plain `sqlite3`: sqlite-utils (about 100 ms to import)
loads only when a writer opens the file. Reads give typed records back (`records.py`).

The state file is ours, so a damaged one (not a database, corrupt pages, another program's
schema) never stops endnoted (issue #12): a writer moves it aside to `state.db.damaged-<time>`,
says so once (a warning in the log and a `state-reset` event in the fresh file) and starts fresh; a
reader (`status`, `history`, `report`) says it in one line. A busy, read-only or full disk is not
damage and never moves anything. The folder is 0700 and the file (hence its `-wal`/`-shm`) 0600.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from endnoted.common.errors import StateDiskFull, StateStoreError
from endnoted.common.files import create_private, private_dir, private_file
from endnoted.common.timefmt import iso_z, now_z
from endnoted.state import reader
from endnoted.state.reader import DamagedState
from endnoted.state.reader import disk_full as _disk_full
from endnoted.state.reader import existing as existing
from endnoted.state.reader import is_damage as _is_damage
from endnoted.state.records import (
    BackupRow,
    Event,
    FindingRow,
    Heartbeat,
    LibraryRow,
    Notification,
    ResetRun,
    SnapshotRow,
    StoredReport,
    SyncEvent,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

logger = logging.getLogger(__name__)

def move_aside(path: Path, why: str) -> Path:
    """Given a damaged state file, rename it (with its -wal) to state.db.damaged-<UTC time>; return the new name."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.replace(path, aside)   # only ever our own file, and the fresh name was just checked
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            if suffix == "-wal":
                os.replace(companion, aside.with_name(aside.name + suffix))
            else:
                companion.unlink()
    logger.warning("the state file %s was damaged (%s); it was moved aside to %s and a fresh one started "
                   "(history before now is in the old file)", path, why, aside.name)
    return aside


class Store:
    """The state database. Give it a path; it creates the folder and applies migrations."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self.moved_aside: Path | None = None
        try:
            if readonly:
                if existing(path) is None:
                    raise StateStoreError(f"no state file at {path}: the daemon has never run "
                                          "(start it with endnoted run or endnoted service install)")
                self.conn = self._open_readonly(path)
            else:
                existing(path)   # a state folder that cannot be one: say so, not "File exists"
                try:
                    self.db = self._open_writable(path)
                except (sqlite3.Error, DamagedState) as error:
                    if not _is_damage(error) or not path.exists():
                        raise
                    self.moved_aside = move_aside(path, str(error))
                    self.db = self._open_writable(path)
                    self.conn = self.db.conn
                    self.event("state-reset", f"the state file was damaged ({error}); it was moved aside to "
                                              f"{self.moved_aside.name} and this one started fresh")
                self.conn = self.db.conn
        except (sqlite3.Error, DamagedState, OSError) as error:
            if _disk_full(error):
                raise StateDiskFull(path.parent) from error
            if isinstance(error, OSError):
                raise StateStoreError(f"cannot open state file {path}: {error.strerror or error}") from error
            if readonly and _is_damage(error):
                raise StateStoreError(reader.damaged_message(path, error)) from error
            raise StateStoreError(f"cannot open state file {path}: {error}") from error

    @staticmethod
    def _open_readonly(path: Path) -> sqlite3.Connection:
        """Plain sqlite3, no sqlite-utils: the path `status` takes (start-up time, issue 16)."""
        return reader.open_readonly(path)

    @staticmethod
    def _open_writable(path: Path) -> Database:
        # Imported here, not at the top: readers never need sqlite-utils (start-up time, issue 16).
        from sqlite_utils import Database

        from endnoted.state.migrations import expected_columns, migrations, schema_problem
        private_dir(path.parent)
        create_private(path)   # 0600 first: SQLite gives -wal and -shm the database file's mode
        for suffix in ("-wal", "-shm"):
            private_file(path.with_name(path.name + suffix))   # left by an older version under umask 022
        connection = sqlite3.connect(path, timeout=10, check_same_thread=False)
        db = Database(connection)
        try:
            # Overwrite what a row update or delete frees, so a value dropped (an older version's author
            # names, migration m008) is gone from the file's bytes, not left in a free page.
            connection.execute("PRAGMA secure_delete = ON")
            db.enable_wal()
            migrations.apply(db)
            if problem := schema_problem(db, expected_columns(), partial=False):
                raise DamagedState(problem)
        except BaseException:
            connection.close()
            raise
        return db

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            with self.conn:
                yield
        except sqlite3.Error as error:
            if _disk_full(error):
                raise StateDiskFull(self.path.parent) from error
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def read(self, query: str) -> list[dict[str, Any]]:
        """The rows of one of reader's queries (reader.HEARTBEAT, ...), as dicts: what glance.view reads."""
        return self._rows(query)

    def _rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return reader.rows(self.conn, self.path, sql, params)

    # --- writing: plain SQL on the one connection, so a pass is stored in one transaction --------
    # (sqlite-utils' table methods commit each call on their own: a reader could see a snapshot
    # whose library row was not written yet, and a crash could leave half a pass.)

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        columns = ", ".join(f'"{name}"' for name in row)
        cursor = self.conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(row))})',
                                   tuple(row.values()))
        return int(cursor.lastrowid or 0)

    def _insert_all(self, table: str, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._insert(table, row)

    def _upsert(self, table: str, row: dict[str, Any], pk: str) -> None:
        """Insert the row, or update only the given columns of the row with the same key."""
        columns = ", ".join(f'"{name}"' for name in row)
        updates = ", ".join(f'"{name}" = excluded."{name}"' for name in row if name != pk)
        self.conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(row))}) '
                          f'ON CONFLICT("{pk}") DO ' + (f"UPDATE SET {updates}" if updates else "NOTHING"),
                          tuple(row.values()))

    def _update(self, table: str, row_id: int, fields: dict[str, Any]) -> None:
        assignments = ", ".join(f'"{name}" = ?' for name in fields)
        self.conn.execute(f'UPDATE "{table}" SET {assignments} WHERE id = ?', (*fields.values(), row_id))

    # --- events ---------------------------------------------------------------------------

    def event(self, kind: str, detail: str, path: str | None = None) -> None:
        with self._writing():
            self._insert("events", {"at": now_z(), "path": path, "kind": kind, "detail": detail})

    def events(self, path: str | None = None, limit: int = 200) -> list[Event]:
        """The latest events, newest first."""
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return [Event.from_row(row) for row in
                self._rows(f"SELECT * FROM events {where} ORDER BY id DESC LIMIT {int(limit)}", params)]

    # --- backups --------------------------------------------------------------------------

    def record_backup(self, backup: BackupRow) -> None:
        """Keep a backup just made and proven (proven now, unless the record says when)."""
        with self._writing():
            self._insert("backups", {**backup.columns(), "verified_at": iso_z(backup.verified_at) or now_z()})

    def backups(self, library: str | None = None) -> list[BackupRow]:
        """The recorded backups (all, or one library's), newest first."""
        where, params = ("WHERE library = ?", (library,)) if library else ("", ())
        return [BackupRow.from_row(row) for row in
                self._rows(f"SELECT * FROM backups {where} ORDER BY made_at DESC", params)]

    def mark_backup_verified(self, backup: BackupRow) -> None:
        with self._writing():
            self._update("backups", backup.id, {"verified_at": now_z()})

    # --- passes ---------------------------------------------------------------------------

    def library(self, path: str) -> LibraryRow | None:
        rows = self._rows("SELECT * FROM libraries WHERE path = ?", (path,))
        return LibraryRow.from_row(reader.sound_library(rows[0], now_z())) if rows else None

    def libraries(self) -> list[LibraryRow]:
        # A row another program spoiled reads as unknown, saying so (reader.sound_library): it hides no
        # other library, and the daemon's next pass over it writes it whole again.
        now = now_z()
        return [LibraryRow.from_row(reader.sound_library(row, now)) for row in self._rows(reader.LIBRARIES)]

    def last_snapshot(self, path: str) -> SnapshotRow | None:
        rows = self._rows("SELECT * FROM snapshots WHERE path = ? AND status = 'ok' ORDER BY id DESC LIMIT 1", (path,))
        return SnapshotRow.from_row(rows[0]) if rows else None

    def record_pass(self, report: StoredReport) -> int:
        """Given one pass's report, store the snapshot, its findings and the library's state.

        When the last-sync time differs from the previous reading, a sync event is recorded with
        USN, pending and reference counts before and after. Returns the snapshot id.
        """
        path, status, db_id = report.path, report.status, report.db_id
        counts = report.counts.to_json() if report.counts is not None else {}
        sync = report.sync or {}
        previous = self.last_snapshot(path)
        now = iso_z(report.checked_at)
        with self._writing():
            snapshot_id = self._insert("snapshots", {
                "path": path, "taken_at": now, "status": status, "verdict": report.verdict.value,
                "references": counts.get("references"), "trashed": counts.get("trashed"),
                "attachments": counts.get("attachments"), "groups": counts.get("groups"),
                "last_sync": sync.get("last_sync"), "last_usn": sync.get("last_usn"),
                "pending": sync.get("pending"), "edited_after_sync": sync.get("edited_after_sync"),
                "unsynced": sync.get("unsynced"), "missed": sync.get("missed"), "db_id": db_id})
            self._insert_all("findings", 
                [{"snapshot_id": snapshot_id, "path": path, "code": f["code"], "severity": f["severity"],
                  "message": f["message"], "count": f.get("count")} for f in report.findings])
            if previous and status == "ok" and previous.last_sync != report.last_sync:
                self._insert("sync_events", {
                    "path": path, "seen_at": now, "last_sync_before": iso_z(previous.last_sync),
                    "last_sync_after": sync.get("last_sync"), "usn_before": previous.last_usn,
                    "usn_after": sync.get("last_usn"), "pending_before": previous.pending,
                    "pending_after": sync.get("pending"), "references_before": previous.references,
                    "references_after": counts.get("references")})
            before, after = previous.references if previous else None, counts.get("references")
            if before and after is not None and before - after >= max(5, before // 10):
                self._insert("events", {"at": now, "path": path, "kind": "references-dropped",
                                                "detail": f"references fell from {before} to {after}"})
            if previous and status == "ok" and previous.db_id and db_id and previous.db_id != db_id:
                self._insert("events", {"at": now, "path": path, "kind": "library-replaced",
                                                "detail": "the library's database id changed: it was replaced"})
            existing = self.library(path)
            first_seen = iso_z(existing.first_seen) if existing and existing.first_seen else now
            self._upsert("libraries", {
                "path": path, "name": report.name, "last_checked": now, "verdict": report.verdict.value,
                "reason": report.reason, "next_action": report.next_action, "report": report.dumps(),
                "db_id": db_id, "first_seen": first_seen}, pk="path")
        return int(snapshot_id or 0)

    def sync_events(self, path: str | None = None) -> list[SyncEvent]:
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return [SyncEvent.from_row(row) for row in self._rows(f"SELECT * FROM sync_events {where} ORDER BY id", params)]

    def snapshots(self, path: str | None = None, limit: int = 500) -> list[SnapshotRow]:
        """The latest readings, newest first."""
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return [SnapshotRow.from_row(row) for row in
                self._rows(f"SELECT * FROM snapshots {where} ORDER BY id DESC LIMIT {int(limit)}", params)]

    def recent_findings(self, limit: int = 500) -> list[FindingRow]:
        """The latest findings as stored (the support bundle's raw material), newest first."""
        return [FindingRow.from_row(row) for row in
                self._rows(f"SELECT f.*, s.taken_at FROM findings f JOIN snapshots s ON s.id = f.snapshot_id "
                           f"ORDER BY f.id DESC LIMIT {int(limit)}")]

    def set_library_fields(self, path: str, fields: dict[str, Any]) -> None:
        with self._writing():
            self._upsert("libraries", {"path": path, **fields}, pk="path")

    def export_seen(self, path: str, mtime: float, size: int) -> bool:
        """Whether the daemon has looked at this Web export, as it is now (same modification time and size)."""
        return bool(self._rows("SELECT 1 FROM exports_seen WHERE path = ? AND mtime = ? AND size = ?",
                               (path, mtime, size)))

    def record_export_seen(self, path: str, mtime: float, size: int) -> None:
        with self._writing():
            self._upsert("exports_seen", {"path": path, "mtime": mtime, "size": size, "seen_at": now_z()}, pk="path")

    # --- notifications and heartbeat -------------------------------------------------------

    def record_notification(self, path: str, verdict: str, title: str, body: str, delivered: bool,
                            error: str) -> None:
        with self._writing():
            self._insert("notifications", {"at": now_z(), "path": path, "verdict": verdict, "title": title,
                                                   "body": body, "delivered": int(delivered), "error": error})

    def notifications(self, path: str | None = None) -> list[Notification]:
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return [Notification.from_row(row) for row in
                self._rows(f"SELECT * FROM notifications {where} ORDER BY id", params)]

    def beat(self, *, pid: int, started_at: str, version: str, stopped: bool = False,
             endnote: Sequence[Mapping[str, Any]] | None = None, watching: Sequence[str] | None = None) -> None:
        """Record a sign of life; `endnote`: the EndNote processes seen just now (to_json each), for `status`;
        `watching`: the libraries the daemon watches now (its watch set; None: not known yet, as at start, when
        the last daemon's set is no longer true and this one has not looked yet)."""
        row: dict[str, Any] = {"id": 1, "pid": pid, "started_at": started_at, "beat_at": now_z(),
                               "version": version, "stopped_at": now_z() if stopped else None,
                               "watching": _watch_set(watching)}
        if endnote is not None:
            row.update(endnote=json.dumps(list(endnote)), endnote_at=now_z())
        with self._writing():
            self._upsert("heartbeat", row, pk="id")

    def record_notifier(self, name: str, ready: bool, why: str) -> None:
        """Remember whether alerts can reach the user (the daemon looks at start), for `status`."""
        with self._writing():
            self._upsert("heartbeat", {"id": 1, "notifier": name, "notifier_ready": int(ready),
                                               "notifier_why": why}, pk="id")

    def heartbeat(self) -> Heartbeat | None:
        rows = self._rows(reader.HEARTBEAT)
        return Heartbeat.from_row(rows[0]) if rows else None

    # --- reset runs -------------------------------------------------------------------------

    def active_reset(self, library: str) -> ResetRun | None:
        """The unfinished reset run for a library (as the library reset, or as situation B's target)."""
        rows = self._rows("SELECT * FROM reset_runs WHERE (library = ? OR target = ?) AND ended_at IS NULL "
                          "ORDER BY id DESC LIMIT 1", (library, library))
        return ResetRun.from_row(rows[0]) if rows else None

    def open_resets(self) -> list[ResetRun]:
        """Every reset run that has not ended, oldest first."""
        return [ResetRun.from_row(row) for row in self._rows(reader.OPEN_RESETS)]

    def start_reset(self, library: str, situation: str, target: str) -> ResetRun:
        with self._writing():
            self._insert("reset_runs", {"library": library, "situation": situation, "step": 0,
                                                "started_at": now_z(), "updated_at": now_z(), "observed": "[]",
                                                "target": target})
        run = self.active_reset(library)
        assert run is not None
        return run

    def update_reset(self, run: ResetRun, changed: Iterable[str]) -> None:
        """Write the named columns of a run (the ones its front end changed), and when that happened."""
        columns = run.columns()
        with self._writing():
            self._update("reset_runs", run.id, {**{name: columns[name] for name in changed}, "updated_at": now_z()})

    # --- pruning --------------------------------------------------------------------------

    def prune(self, older_than_days: float) -> int:
        """Delete snapshots, findings and events older than the limit; keep sync events and backups."""
        cutoff = iso_z(datetime.now(UTC) - timedelta(days=older_than_days))
        with self._writing():
            gone = self.conn.execute("DELETE FROM findings WHERE snapshot_id IN "
                                   "(SELECT id FROM snapshots WHERE taken_at < ?)", [cutoff]).rowcount
            gone += self.conn.execute("DELETE FROM snapshots WHERE taken_at < ?", [cutoff]).rowcount
            gone += self.conn.execute("DELETE FROM events WHERE at < ?", [cutoff]).rowcount
        return int(gone)


def _watch_set(paths: Sequence[str] | None) -> str | None:
    return None if paths is None else json.dumps(sorted(set(paths)))
