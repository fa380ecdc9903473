"""The state file's schema: append-only migrations (never edit one that has shipped, add a new one),
and the check that an open file has the tables and columns they make.

Only writers and the schema check load this module: it imports sqlite-utils (about 100 ms with
its dependencies), which `endnoted status` never needs (issue 16: start-up).
"""

from __future__ import annotations

import functools

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

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


@migrations()
def m005_notifier(db: Database) -> None:
    # Whether alerts could reach the user when the daemon last looked, so `status` can say so.
    db.table("heartbeat").add_column("notifier", str)
    db.table("heartbeat").add_column("notifier_ready", int)
    db.table("heartbeat").add_column("notifier_why", str)


@migrations()
def m006_endnote_seen(db: Database) -> None:
    # The EndNote processes the daemon saw at its last heartbeat (EndNoteProcess.to_json each, as JSON)
    # and when it looked: `status` uses them while the daemon is alive instead of importing psutil and
    # scanning every process itself (start-up time, issue 16).
    db.table("heartbeat").add_column("endnote", str)
    db.table("heartbeat").add_column("endnote_at", str)


@migrations()
def m007_reference_keys(db: Database) -> None:
    # Each reference's fingerprint and one-way hashed match keys, per library (state/refcache.py), so a
    # reading after a save reads only the references that changed, even after a restart (issue 16).
    # No titles, no author names: the keys are stored as hashes (personal data stays in the library).
    db.execute("CREATE TABLE ref_libraries (num INTEGER PRIMARY KEY, library TEXT NOT NULL UNIQUE, meta TEXT)")
    db.execute("CREATE TABLE ref_keys (lib INTEGER NOT NULL, id INTEGER NOT NULL, trash INTEGER, updated INTEGER, "
               "doi TEXT NOT NULL, title TEXT NOT NULL, PRIMARY KEY (lib, id)) WITHOUT ROWID")


@migrations()
def m008_no_author_names(db: Database) -> None:
    # Author names are personal data the state file does not keep (README, "The daemon": reads only what changed):
    # blank the first authors an older version stored with the references a finding names. The
    # writer's connection has secure_delete on, so the old page contents are overwritten, not freed.
    import json
    libraries = db.table("libraries")
    for row in list(libraries.rows_where("report LIKE '%first_author%'", select="path, report")):
        data = json.loads(row["report"])
        for finding in data.get("findings") or ():
            for ref in finding.get("references") or ():
                ref["first_author"] = ""
        libraries.update(row["path"], {"report": json.dumps(data, ensure_ascii=False, sort_keys=True)})


@migrations()
def m009_reference_columns(db: Database) -> None:
    # The reference keys of m007 as a few packed parts per library (state/refcache.py): a reading after a
    # save loaded 100k rows of them (65 ms); it now loads one row per part. Still one-way hashes, no
    # titles or names. The old rows are a cache: each library is read in full once.
    db.execute("DROP TABLE IF EXISTS ref_keys")
    db.execute("DROP TABLE IF EXISTS ref_libraries")
    db.execute("CREATE TABLE ref_keys (library TEXT NOT NULL, part TEXT NOT NULL, data BLOB NOT NULL, "
               "PRIMARY KEY (library, part))")


@migrations()
def m010_watching(db: Database) -> None:
    # The libraries the running daemon watches now (its watch set, a JSON list of their paths), written at
    # start and whenever it changes: `status` shows a library it no longer watches apart, not counted in its
    # exit code, and `libraries`/`doctor` can say what the daemon watches. NULL: not known (a daemon older
    # than this column, or one that has not finished looking yet).
    db.table("heartbeat").add_column("watching", str)


@migrations()
def m011_exports_seen(db: Database) -> None:
    # Each Web export the daemon has looked at (its path, modification time and size): at start and on every
    # full pass the newest export of each watched folder is compared once if it never was (running/export_catchup.py).
    db.table("exports_seen").create({"path": str, "mtime": float, "size": int, "seen_at": str}, pk="path")


@functools.cache
def expected_columns() -> dict[str, set[str]]:
    """Every table and column the migrations create, read off a fresh in-memory database."""
    reference = Database(memory=True)
    migrations.apply(reference)
    expected = {table.name: {column.name for column in table.columns} for table in reference.tables
                if not table.name.startswith("_")}
    reference.close()
    return expected


@functools.cache
def create_sql(tables: tuple[str, ...]) -> tuple[str, ...]:
    """Given table names, return the statements that make them (and their indexes) as every migration leaves
    them, read off a fresh in-memory database: a cache's tables can be made again (state/refcache.rebuild)."""
    reference = Database(memory=True)
    migrations.apply(reference)
    marks = ", ".join("?" * len(tables))
    rows = reference.execute(f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL "
                             "ORDER BY type = 'index', name", tables).fetchall()
    reference.close()
    return tuple(str(row[0]) for row in rows)


def schema_problem(db: Database, expected: dict[str, set[str]], *, partial: bool) -> str | None:
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
