"""endnoted's own state: one SQLite file (WAL) behind one Store class. Every SQL string lives here.

Migrations are append-only: never edit one that has shipped, add a new one. `status` opens the
file read-only (`Store.open_readonly`) while the daemon writes it.

The state file is ours, so a damaged one (not a database, corrupt pages, another program's
schema) never stops endnoted (issue #12): a writer moves it aside to `state.db.damaged-<time>`,
says so once (a warning in the log and a `state-reset` event in the fresh file) and starts fresh; a
reader (`status`, `history`, `report`) says it in one line. A busy, read-only or full disk is not
damage and never moves anything. The folder is 0700 and the file (hence its `-wal`/`-shm`) 0600.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from endnoted.common.errors import StateStoreError
from endnoted.common.files import create_private, private_dir, private_file
from endnoted.common.timefmt import iso_z, now_z

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


@migrations()
def m002_reset_target(db: Database) -> None:
    # Situation B of a reset makes another library the synced one: remember it, so the daemon
    # stays quiet about both libraries while the wizard runs.
    db.table("reset_runs").add_column("target", str)


@migrations()
def m003_library_export(db: Database) -> None:
    # The Web export last matched to a library: the daemon keeps comparing with it until the next sync.
    db.table("libraries").add_column("export_path", str)


@migrations()
def m004_alerted_problem(db: Database) -> None:
    # The problem the user was last told about (verdict + finding codes): the cooldown holds back
    # only a repeat of that same problem.
    db.table("libraries").add_column("alerted_problem", str)


# SQLite result codes that mean "this file is not a sound state database" (as opposed to busy,
# read-only, full or unopenable, which are never a reason to move the file aside).
_SQLITE_ERROR, _SQLITE_CORRUPT, _SQLITE_NOTADB = 1, 11, 26
_DAMAGE_CODES = {_SQLITE_ERROR, _SQLITE_CORRUPT, _SQLITE_NOTADB}


class DamagedState(Exception):
    """The state file is not one of ours, or is corrupt (internal: becomes a move-aside or a StateStoreError)."""


@functools.cache
def _expected_columns() -> dict[str, set[str]]:
    """Every table and column the migrations create, read off a fresh in-memory database."""
    reference = Database(memory=True)
    migrations.apply(reference)
    expected = {table.name: {column.name for column in table.columns} for table in reference.tables
                if not table.name.startswith("_")}
    reference.close()
    return expected


def _schema_problem(db: Database, expected: dict[str, set[str]], *, partial: bool) -> str | None:
    """Given an open state database, return what is wrong with its tables, or None.

    `partial`: a reader may meet a file from an older version, before the daemon migrated it; only
    the tables it has are checked there.
    """
    present = {table.name: {column.name for column in table.columns} for table in db.tables}
    if present and "_sqlite_migrations" not in present:
        return "it is not endnoted's state file (no migrations table)"
    for name, columns in expected.items():
        if name not in present:
            if partial:
                continue
            return f"it has no {name} table"
        if not partial and not columns <= present[name]:
            return f"its {name} table lacks {', '.join(sorted(columns - present[name]))}"
    return None


def _is_damage(error: Exception) -> bool:
    return getattr(error, "sqlite_errorcode", None) in _DAMAGE_CODES or isinstance(error, DamagedState)


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
                if not path.exists():
                    raise StateStoreError(f"no state file at {path}: the daemon has never run "
                                          "(start it with endnoted run or endnoted service install)")
                self.db = self._open_readonly(path)
            else:
                try:
                    self.db = self._open_writable(path)
                except (sqlite3.Error, DamagedState) as error:
                    if not _is_damage(error) or not path.exists():
                        raise
                    self.moved_aside = move_aside(path, str(error))
                    self.db = self._open_writable(path)
                    self.event("state-reset", f"the state file was damaged ({error}); it was moved aside to "
                                              f"{self.moved_aside.name} and this one started fresh")
        except (sqlite3.Error, DamagedState) as error:
            if readonly and _is_damage(error):
                raise StateStoreError(f"the state file {path} is damaged ({error}); endnoted run (or any "
                                      "backup) moves it aside and starts a fresh one") from error
            raise StateStoreError(f"cannot open state file {path}: {error}") from error
        except OSError as error:
            raise StateStoreError(f"cannot open state file {path}: {error.strerror or error}") from error

    @staticmethod
    def _open_readonly(path: Path) -> Database:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2,
                                     check_same_thread=False)
        db = Database(connection)
        try:
            if problem := _schema_problem(db, _expected_columns(), partial=True):
                raise DamagedState(problem)
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            connection.close()
            raise
        return db

    @staticmethod
    def _open_writable(path: Path) -> Database:
        private_dir(path.parent)
        create_private(path)   # 0600 first: SQLite gives -wal and -shm the database file's mode
        for suffix in ("-wal", "-shm"):
            private_file(path.with_name(path.name + suffix))   # left by an older version under umask 022
        connection = sqlite3.connect(path, timeout=10, check_same_thread=False)
        db = Database(connection)
        try:
            db.enable_wal()
            migrations.apply(db)
            if problem := _schema_problem(db, _expected_columns(), partial=False):
                raise DamagedState(problem)
        except BaseException:
            connection.close()
            raise
        return db

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
        except sqlite3.DatabaseError as error:   # corrupt pages found only now
            raise StateStoreError(f"the state file {self.path} is damaged ({error}); endnoted run (or any "
                                  "backup) moves it aside and starts a fresh one") from error

    # --- events ---------------------------------------------------------------------------

    def event(self, kind: str, detail: str, path: str | None = None) -> None:
        with self._writing():
            self.db.table("events").insert({"at": now_z(), "path": path, "kind": kind, "detail": detail})

    def events(self, path: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return self._rows(f"SELECT * FROM events {where} ORDER BY id DESC LIMIT {int(limit)}", params)

    # --- backups --------------------------------------------------------------------------

    def record_backup(self, row: dict[str, Any]) -> None:
        with self._writing():
            self.db.table("backups").insert({**row, "verified_at": row.get("verified_at") or now_z()})

    def backups(self, library: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE library = ?", (library,)) if library else ("", ())
        return self._rows(f"SELECT * FROM backups {where} ORDER BY made_at DESC", params)

    def mark_backup_verified(self, backup_id: int) -> None:
        with self._writing():
            self.db.table("backups").update(backup_id, {"verified_at": now_z()})

    # --- passes ---------------------------------------------------------------------------

    def library(self, path: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM libraries WHERE path = ?", (path,))
        return rows[0] if rows else None

    def libraries(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM libraries ORDER BY path")

    def last_snapshot(self, path: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM snapshots WHERE path = ? AND status = 'ok' ORDER BY id DESC LIMIT 1", (path,))
        return rows[0] if rows else None

    def record_pass(self, report: dict[str, Any], *, status: str, db_id: str | None) -> int:
        """Given a LibraryReport's JSON, store the snapshot, its findings and the library's state.

        When the last-sync time differs from the previous reading, a sync event is recorded with
        USN, pending and reference counts before and after. Returns the snapshot id.
        """
        path = report["path"]
        counts = report.get("counts") or {}
        sync = report.get("sync") or {}
        previous = self.last_snapshot(path)
        now = report.get("checked_at") or now_z()
        with self._writing():
            snapshot_id = self.db.table("snapshots").insert({
                "path": path, "taken_at": now, "status": status, "verdict": report["verdict"],
                "references": counts.get("references"), "trashed": counts.get("trashed"),
                "attachments": counts.get("attachments"), "groups": counts.get("groups"),
                "last_sync": sync.get("last_sync"), "last_usn": sync.get("last_usn"),
                "pending": sync.get("pending"), "edited_after_sync": sync.get("edited_after_sync"),
                "unsynced": sync.get("unsynced"), "missed": sync.get("missed"), "db_id": db_id}).last_pk
            self.db.table("findings").insert_all(
                [{"snapshot_id": snapshot_id, "path": path, "code": f["code"], "severity": f["severity"],
                  "message": f["message"], "count": f.get("count")} for f in report["findings"]])
            if previous and status == "ok" and previous["last_sync"] != sync.get("last_sync"):
                self.db.table("sync_events").insert({
                    "path": path, "seen_at": now, "last_sync_before": previous["last_sync"],
                    "last_sync_after": sync.get("last_sync"), "usn_before": previous["last_usn"],
                    "usn_after": sync.get("last_usn"), "pending_before": previous["pending"],
                    "pending_after": sync.get("pending"), "references_before": previous["references"],
                    "references_after": counts.get("references")})
            before, after = (previous or {}).get("references"), counts.get("references")
            if before and after is not None and before - after >= max(5, before // 10):
                self.db.table("events").insert({"at": now, "path": path, "kind": "references-dropped",
                                                "detail": f"references fell from {before} to {after}"})
            if previous and status == "ok" and previous["db_id"] and db_id and previous["db_id"] != db_id:
                self.db.table("events").insert({"at": now, "path": path, "kind": "library-replaced",
                                                "detail": "the library's database id changed: it was replaced"})
            existing = self.library(path)
            self.db.table("libraries").upsert({
                "path": path, "name": report.get("name"), "last_checked": now, "verdict": report["verdict"],
                "reason": report["reason"], "next_action": report["next_action"], "report": dumps(report),
                "db_id": db_id, "first_seen": existing["first_seen"] if existing else now}, pk="path")
        return int(snapshot_id or 0)

    def sync_events(self, path: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return self._rows(f"SELECT * FROM sync_events {where} ORDER BY id", params)

    def snapshots(self, path: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return self._rows(f"SELECT * FROM snapshots {where} ORDER BY id DESC LIMIT {int(limit)}", params)

    def recent_findings(self, limit: int = 500) -> list[dict[str, Any]]:
        return self._rows(f"SELECT f.*, s.taken_at FROM findings f JOIN snapshots s ON s.id = f.snapshot_id "
                          f"ORDER BY f.id DESC LIMIT {int(limit)}")

    def set_library_fields(self, path: str, fields: dict[str, Any]) -> None:
        with self._writing():
            self.db.table("libraries").upsert({"path": path, **fields}, pk="path")

    # --- notifications and heartbeat -------------------------------------------------------

    def record_notification(self, path: str, verdict: str, title: str, body: str, delivered: bool,
                            error: str) -> None:
        with self._writing():
            self.db.table("notifications").insert({"at": now_z(), "path": path, "verdict": verdict, "title": title,
                                                   "body": body, "delivered": int(delivered), "error": error})

    def notifications(self, path: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE path = ?", (path,)) if path else ("", ())
        return self._rows(f"SELECT * FROM notifications {where} ORDER BY id", params)

    def beat(self, *, pid: int, started_at: str, version: str, stopped: bool = False) -> None:
        with self._writing():
            self.db.table("heartbeat").upsert({"id": 1, "pid": pid, "started_at": started_at, "beat_at": now_z(),
                                               "version": version, "stopped_at": now_z() if stopped else None},
                                              pk="id")

    def heartbeat(self) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM heartbeat WHERE id = 1")
        return rows[0] if rows else None

    # --- reset runs -------------------------------------------------------------------------

    def active_reset(self, library: str) -> dict[str, Any] | None:
        """The unfinished reset run for a library (as the library reset, or as situation B's target)."""
        rows = self._rows("SELECT * FROM reset_runs WHERE (library = ? OR target = ?) AND ended_at IS NULL "
                          "ORDER BY id DESC LIMIT 1", (library, library))
        return rows[0] if rows else None

    def open_resets(self) -> list[dict[str, Any]]:
        """Every reset run that has not ended, oldest first."""
        return self._rows("SELECT * FROM reset_runs WHERE ended_at IS NULL ORDER BY id")

    def start_reset(self, library: str, situation: str, target: str) -> dict[str, Any]:
        with self._writing():
            self.db.table("reset_runs").insert({"library": library, "situation": situation, "step": 0,
                                                "started_at": now_z(), "updated_at": now_z(), "observed": "[]",
                                                "target": target})
        run = self.active_reset(library)
        assert run is not None
        return run

    def update_reset(self, run_id: int, fields: dict[str, Any]) -> None:
        with self._writing():
            self.db.table("reset_runs").update(run_id, {**fields, "updated_at": now_z()})

    # --- pruning --------------------------------------------------------------------------

    def prune(self, older_than_days: float) -> int:
        """Delete snapshots, findings and events older than the limit; keep sync events and backups."""
        cutoff = iso_z(datetime.now(UTC) - timedelta(days=older_than_days))
        with self._writing():
            gone = self.db.execute("DELETE FROM findings WHERE snapshot_id IN "
                                   "(SELECT id FROM snapshots WHERE taken_at < ?)", [cutoff]).rowcount
            gone += self.db.execute("DELETE FROM snapshots WHERE taken_at < ?", [cutoff]).rowcount
            gone += self.db.execute("DELETE FROM events WHERE at < ?", [cutoff]).rowcount
        return int(gone)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
