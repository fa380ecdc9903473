"""Libraries of real content at any size: a real EndNote 21 library's rows cloned to N references.

The source is `utsmok-endnote-exporter/en21-synced` from ../shared/realworld (264 references with
abstracts, real authors, 410 sync rows, EndNote's full schema with its triggers and FTS tables).
Each clone round k adds the original rows again with new ids; titles get a ` [copy k]` suffix and DOIs a `/kk` one
so that clones are distinct references (the real duplicates of the sample stay duplicates within
their round). Every clone keeps its original's sync row (type 1), with a fresh guid, so the
sync ledger has the real mix of synced, pending and trashed references.

The `.enl` beside it becomes a full SQLite copy of the cloned database, as EndNote 21 leaves it
(the `enl_copy` probe then reads a library-sized second database).
Used by bench_real.py; the source library is only ever read through the copy.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from endnoted.demo.builder import register_stand_ins

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
SOURCE = REALWORLD / "utsmok-endnote-exporter" / "en21-synced"
NAME = "MyLibrary"


def clone(folder: Path, size: int) -> Path:
    """Given a folder and a size, build (once) a real-content library of `size` references; return its .enl."""
    enl = folder / f"real{size}" / f"{NAME}.enl"
    if enl.exists():
        return enl
    target = enl.parent
    shutil.copytree(SOURCE, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o600 | (0o100 if path.is_dir() else 0))
    database = target / f"{NAME}.Data" / "sdb" / "sdb.eni"
    connection = sqlite3.connect(database)
    register_stand_ins(connection)
    columns = [row[1] for row in connection.execute("PRAGMA table_info(refs)") if row[1] != "id"]
    sync_columns = [row[1] for row in connection.execute("PRAGMA table_info(sync)")
                    if row[1] not in ("id", "item_id", "guid")]
    originals = int(connection.execute("SELECT count(*) FROM refs").fetchone()[0])
    top = int(connection.execute("SELECT max(id) FROM refs").fetchone()[0])
    # Suffixes that keep clones apart even once punctuation and spaces are folded away.
    suffix = {"title": "' [copy ' || :k || ']'", "electronic_resource_number": "'/k' || :k"}
    select = ", ".join(f"CASE WHEN {c} != '' THEN {c} || {suffix[c]} ELSE {c} END" if c in suffix else c
                       for c in columns)
    with connection:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        for k in range(1, -(-size // originals)):
            count = min(originals, size - k * originals)
            offset = k * (top + 1)
            connection.execute(f"INSERT INTO refs (id, {', '.join(columns)}) SELECT id + :offset, {select} "
                               f"FROM refs WHERE id <= :top ORDER BY id LIMIT :count",
                               {"offset": offset, "k": k, "top": top, "count": count})
            connection.execute(f"INSERT INTO sync (item_id, guid, {', '.join(sync_columns)}) "
                               f"SELECT item_id + :offset, guid || '-' || :k, {', '.join(sync_columns)} FROM sync "
                               "WHERE type = 1 AND item_id IN (SELECT id FROM refs WHERE id <= :top "
                               "ORDER BY id LIMIT :count)", {"offset": offset, "k": k, "top": top, "count": count})
    connection.execute("VACUUM")
    connection.close()
    shutil.copyfile(database, enl)   # a full copy beside it, as EndNote 21 leaves one
    return enl
