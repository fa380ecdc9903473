"""endnoted's own state: one SQLite file (WAL) behind one Store class. Every SQL string lives here.

Migrations are append-only: never edit one that has shipped, add a new one. `status` opens the
file read-only (`Store.open_readonly`) while the daemon writes it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from endnoted.errors import StateStoreError

logger = logging.getLogger(__name__)
migrations = Migrations("endnoted")


@migrations()
def m001_initial(db: Database) -> None:
    db.table("libraries").create({"path": str, "name": str, "first_seen": str, "last_checked": str, "verdict": str,
                            "reason": str, "next_action": str, "report": str, "alert_state": str,
                            "alerted_at": str, "pending_state": str, "db_id": str}, pk="path")
    db.table("snapshots").create({"id": int, "path": str, "taken_at": str, "status": str, "verdict": str,
                            "references": int, "trashed": int, "attachments": int, "groups": int,
                            "last_sync": str, "last_usn": int, "pending": int, "edited_after_sync": int,
                            "unsynced": int, "missed": int, "db_id": str}, pk="id")
    db.table("snapshots").create_index(["path", "taken_at"])
    db.table("findings").create({"id": int, "snapshot_id": int, "path": str, "code": str, "severity": str,
                           "message": str, "count": int}, pk="id")
    db.table("findings").create_index(["snapshot_id"])
    db.table("sync_events").create({"id": int, "path": str, "seen_at": str, "last_sync_before": str,
                              "last_sync_after": str, "usn_before": int, "usn_after": int,
                              "pending_before": int, "pending_after": int, "references_before": int,
                              "references_after": int}, pk="id")
    db.table("events").create({"id": int, "at": str, "path": str, "kind": str, "detail": str}, pk="id")
    db.table("notifications").create({"id": int, "at": str, "path": str, "verdict": str, "title": str, "body": str,
                                "delivered": int, "error": str}, pk="id")
    db.table("heartbeat").create({"id": int, "pid": int, "started_at": str, "beat_at": str, "version": str,
                            "stopped_at": str}, pk="id")
    db.table("backups").create({"id": int, "path": str, "library": str, "made_at": str, "size": int, "sha256": str,
                          "references": int, "trashed": int, "attachments": int, "kind": str,
                          "warnings": str, "verified_at": str}, pk="id")
    db.table("reset_runs").create({"id": int, "library": str, "situation": str, "step": int, "started_at": str,
                             "updated_at": str, "ended_at": str, "outcome": str, "backup": str,
                             "observed": str, "endnote_start": float}, pk="id")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Store:
    """The state database. Give it a path; it creates the folder and applies migrations."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        try:
            if readonly:
                if not path.exists():
                    raise StateStoreError(f"no state file at {path}: the daemon has never run "
                                          "(start it with endnoted run or endnoted service install)")
                connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2,
                                             check_same_thread=False)
                self.db = Database(connection)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.db = Database(sqlite3.connect(path, timeout=10, check_same_thread=False))
                self.db.enable_wal()
                migrations.apply(self.db)
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot open state file {path}: {error}") from error

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            with self.db.conn:
                yield
        except sqlite3.Error as error:
            raise StateStoreError(f"cannot write state file {self.path}: {error}") from error

    def _rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        try:
            return list(self.db.query(sql, params))
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise StateStoreError(f"cannot read state file {self.path}: {error}") from error

    # --- events ---------------------------------------------------------------------------

    def event(self, kind: str, detail: str, path: str | None = None) -> None:
        with self._writing():
            self.db.table("events").insert({"at": _now(), "path": path, "kind": kind, "detail": detail})

    def events(self, path: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return self._rows(f"SELECT * FROM events {where} ORDER BY id DESC LIMIT {int(limit)}", params)

    # --- backups --------------------------------------------------------------------------

    def record_backup(self, row: dict[str, Any]) -> None:
        with self._writing():
            self.db.table("backups").insert({**row, "verified_at": row.get("verified_at") or _now()})

    def backups(self, library: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE library = ?", (library,)) if library else ("", ())
        return self._rows(f"SELECT * FROM backups {where} ORDER BY made_at DESC", params)

    def mark_backup_verified(self, backup_id: int) -> None:
        with self._writing():
            self.db.table("backups").update(backup_id, {"verified_at": _now()})

    # --- pruning --------------------------------------------------------------------------

    def prune(self, older_than_days: float) -> int:
        """Delete snapshots, findings and events older than the limit; keep sync events and backups."""
        cutoff = (datetime.now(UTC) - timedelta(days=older_than_days)).isoformat().replace("+00:00", "Z")
        with self._writing():
            gone = self.db.execute("DELETE FROM findings WHERE snapshot_id IN "
                                   "(SELECT id FROM snapshots WHERE taken_at < ?)", [cutoff]).rowcount
            gone += self.db.execute("DELETE FROM snapshots WHERE taken_at < ?", [cutoff]).rowcount
            gone += self.db.execute("DELETE FROM events WHERE at < ?", [cutoff]).rowcount
        return int(gone)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
