"""Builds EndNote-format libraries of our own for tests, `endnoted demo` and benchmarks.

The schema is EndNote 21's, verbatim where it matters (ENDNOTE-FORMAT.md §1.4), including the
triggers that call EN_MAKE_SORT_KEY and the custom collations, so our reader meets what it meets
in real files. This module writes only to folders it is given for that purpose; nothing in
endnoted calls it on a user's library.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from endnoted.reading.database import register_stand_ins

__all__ = ["LibrarySpec", "RefSpec", "build", "edit", "register_stand_ins", "synthetic_refs"]

_TEXT_COLUMNS = (
    "text_styles author year title pages secondary_title volume number number_of_volumes secondary_author "
    "place_published publisher subsidiary_author edition keywords type_of_work date abstract label url "
    "tertiary_title tertiary_author notes isbn custom_1 custom_2 custom_3 custom_4 alternate_title "
    "accession_number call_number short_title custom_5 custom_6 section original_publication reprint_edition "
    "reviewed_item author_address caption custom_7 electronic_resource_number translated_author "
    "translated_title name_of_database database_provider research_notes language access_date "
    "last_modified_date record_properties").split()
_TAIL = ("fulltext_downloads read_status rating reserved7 reserved8 reserved9 reserved10").split()

SCHEMA = [
    "CREATE TABLE refs(id INTEGER PRIMARY KEY AUTOINCREMENT,trash_state INTEGER NOT NULL DEFAULT 0,"
    + "reference_type INTEGER NOT NULL DEFAULT 0,"
    + ",".join(f'{c} TEXT NOT NULL DEFAULT ""' for c in _TEXT_COLUMNS)
    + ",added_to_library INTEGER NOT NULL DEFAULT 0,record_last_updated INTEGER NOT NULL DEFAULT 0,"
    + "reserved3 INTEGER NOT NULL DEFAULT 0,"
    + ",".join(f'{c} TEXT NOT NULL DEFAULT ""' for c in _TAIL) + ")",
    "CREATE INDEX refs_year_index ON refs (year)",
    "CREATE TABLE misc( code INTEGER UNSIGNED NOT NULL,  subcode INTEGER UNSIGNED NOT NULL,  value BLOB NOT NULL, "
    "PRIMARY KEY (code, subcode))",
    'CREATE TABLE groups( group_id INTEGER PRIMARY KEY,  recs_stamp INTEGER UNSIGNED NOT NULL DEFAULT 0,  '
    'spec BLOB NOT NULL DEFAULT "",  members BLOB NOT NULL DEFAULT "")',
    'CREATE TABLE tag_groups( group_id INTEGER PRIMARY KEY,  spec BLOB NOT NULL DEFAULT "")',
    'CREATE TABLE file_res (  refs_id INTEGER NOT NULL,    file_path TEXT NOT NULL DEFAULT "",    '
    'file_type INTEGER NOT NULL,    file_pos INTEGER NOT NULL  )',
    "CREATE UNIQUE INDEX fileres_refsidpathtype_index ON file_res ( refs_id, file_path, file_type)",
    "CREATE UNIQUE INDEX fileres_refsidpos_index ON file_res (refs_id, file_pos)",
    "CREATE TABLE terms( list_id INTEGER UNSIGNED NOT NULL,  term TEXT NOT NULL COLLATE ENCI_Base)",
    "CREATE UNIQUE INDEX terms_term_index on terms (list_id, term)",
    "CREATE TABLE sync (  id INTEGER PRIMARY KEY AUTOINCREMENT,    type INTEGER UNSIGNED NOT NULL,    "
    "item_id INTEGER UNSIGNED NOT NULL,    item_id2 TEXT NOT NULL COLLATE ENCI_Base,    "
    "guid TEXT NOT NULL COLLATE NOCASE UNIQUE,    usn INTEGER UNSIGNED NOT NULL,    action INTEGER UNSIGNED NOT NULL,"
    "    status INTEGER UNSIGNED NOT NULL,    file_timestamp INTEGER UNSIGNED NOT NULL,    "
    "file_checksum INTEGER UNSIGNED NOT NULL,    action_timestamp INTEGER UNSIGNED NOT NULL,    "
    "changed_membership_timestamp INTEGER UNSIGNED NOT NULL,    changed_readstatus_timestamp INTEGER UNSIGNED NOT NULL,"
    "    changed_rating_timestamp INTEGER UNSIGNED NOT NULL,    changed_trash_timestamp INTEGER UNSIGNED NOT NULL,    "
    "reserved1 INTEGER UNSIGNED NOT NULL DEFAULT 0,    reserved2 INTEGER UNSIGNED NOT NULL DEFAULT 0,    "
    'reserved3 INTEGER UNSIGNED NOT NULL DEFAULT 0,    reserved4 TEXT NOT NULL DEFAULT "")',
    "CREATE INDEX sync_typeitemid_index on sync(`type`, `item_id`)",
    "CREATE INDEX sync_action_index on sync(`action`)",
    "CREATE INDEX sync_status_index on sync(`status`)",
    "CREATE TABLE sact (  usn INT UNSIGNED NOT NULL,    timestamp INT UNSIGNED NOT NULL,    count INT UNSIGNED NOT NULL,"
    "    type INT UNSIGNED NOT NULL,    action INT UNSIGNED NOT NULL,    guid BLOB NOT NULL,    "
    "uid TEXT NOT NULL COLLATE ENCI_Base,    username TEXT NOT NULL COLLATE ENCI_Base,    name BLOB NOT NULL)",
    "CREATE TABLE refs_ord(ro_trash_state INTEGER, ro_key_2 TEXT COLLATE ENCIN_Base, ro_key_3 TEXT COLLATE ENCIN_Base, "
    "ro_id INTEGER PRIMARY KEY)",
    "CREATE INDEX refs_ord_keys_index ON refs_ord(ro_trash_state, ro_key_2, ro_key_3, ro_id)",
    "CREATE TRIGGER refs__refs_ord_AI  AFTER INSERT ON refs BEGIN INSERT INTO refs_ord (ro_trash_state, ro_key_2, "
    "ro_key_3, ro_id) VALUES (new.trash_state, EN_MAKE_SORT_KEY(new.author,2,12), EN_MAKE_SORT_KEY(new.year,3,12), "
    "new.id); END",
    "CREATE TRIGGER refs__refs_ord_AD  AFTER DELETE ON refs BEGIN DELETE FROM refs_ord WHERE ro_id = old. id; END",
    "CREATE TRIGGER refs__refs_ord_AU  AFTER UPDATE ON refs BEGIN DELETE FROM refs_ord WHERE ro_id = old. id;"
    "INSERT INTO refs_ord (ro_trash_state, ro_key_2, ro_key_3, ro_id) VALUES (new.trash_state, "
    "EN_MAKE_SORT_KEY(new.author,2,12), EN_MAKE_SORT_KEY(new.year,3,12), new.id); END",
]
_SYNC_TABLES = ("sync", "sact")


@dataclass
class RefSpec:
    """One reference to put in a synthetic library; times are Unix seconds (None: derived from last sync)."""

    title: str
    year: str = "2021"
    authors: tuple[str, ...] = ("Smith, J.",)
    doi: str = ""
    trashed: bool = False
    added: int | None = None
    updated: int | None = None
    synced: bool = True
    action: int = 0
    status: int = 0
    attachment: str | None = None       # file name under PDF/<10 digits>/
    attachment_bytes: int = 2048
    attachment_missing: bool = False    # listed in file_res, but no file on disk
    abstract: str = ""


@dataclass
class LibrarySpec:
    name: str = "My EndNote Library"
    refs: Sequence[RefSpec] = field(default_factory=list)
    last_sync: datetime | None = None   # None: never synced (no sync table)
    groups: int = 2
    enl: str = "stub"                   # "stub" (Eds1), "enl_refs", "empty"
    db_id: str = "synthdb0000000000000000000000000000"
    account: str = "SYNTHETICUSER000001"




def _ref_row(spec: RefSpec, default_time: int) -> dict[str, object]:
    added = spec.added if spec.added is not None else default_time
    row: dict[str, object] = {
        "trash_state": 1 if spec.trashed else 0, "title": spec.title, "year": spec.year,
        "author": "\r".join(spec.authors), "electronic_resource_number": spec.doi, "abstract": spec.abstract,
        "secondary_title": "Journal of Synthetic Studies", "added_to_library": added,
        "record_last_updated": spec.updated if spec.updated is not None else added,
    }
    return row


def _group_spec(index: int) -> bytes:
    guid = uuid.UUID(int=index + 1).hex
    return (f'<group version="1"><ids><id>{guid}</id><name>Group {index + 1}</name></ids>'
            '<rules><rule>TYPE;3</rule></rules></group>').encode()


def _write_enl(enl: Path, kind: str) -> None:
    if kind == "stub":
        enl.write_bytes(b"Eds1")
    else:
        with sqlite3.connect(enl) as connection:
            if kind == "enl_refs":
                connection.execute("CREATE TABLE enl_refs(id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT)")
            else:
                connection.execute("CREATE TABLE refs(id INTEGER PRIMARY KEY AUTOINCREMENT, trash_state INTEGER)")
                connection.execute("CREATE TABLE misc(code INTEGER, subcode INTEGER, value BLOB)")
        connection.close()


def build(folder: Path, spec: LibrarySpec, *, seed: int = 0) -> Path:
    """Given a folder and a LibrarySpec, write `Name.enl` + `Name.Data/` there and return the `.enl` path."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    enl = folder / f"{spec.name}.enl"
    data = folder / f"{spec.name}.Data"
    (data / "sdb").mkdir(parents=True, exist_ok=True)
    database = data / "sdb" / "sdb.eni"
    sync_time = int(spec.last_sync.timestamp()) if spec.last_sync else None
    default_time = (sync_time or int(datetime.now(UTC).timestamp())) - 30 * 86400
    connection = sqlite3.connect(database)
    register_stand_ins(connection)
    try:
        with connection:
            for statement in SCHEMA:
                if spec.last_sync is None and any(f"TABLE {name} " in statement for name in _SYNC_TABLES):
                    continue
                if spec.last_sync is None and "ON sync" in statement.replace("on sync", "ON sync"):
                    continue
                connection.execute(statement)
            _fill(connection, data, spec, sync_time, default_time, rng)
    finally:
        connection.close()
    (data / "sdb" / "pdb.eni").write_bytes(_empty_pdb())
    _write_enl(enl, spec.enl)
    return enl


def _empty_pdb() -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "pdb.eni"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE pdf_index(pdfi_id INTEGER PRIMARY KEY, version INTEGER, refs_id INTEGER, "
                               "file_timestamp INTEGER, subkey BLOB, contents TEXT, tag TEXT)")
        connection.close()
        return path.read_bytes()


def _fill(connection: sqlite3.Connection, data: Path, spec: LibrarySpec, sync_time: int | None,
          default_time: int, rng: random.Random) -> None:
    columns = list(_ref_row(RefSpec("x"), 0))
    connection.executemany(
        f"INSERT INTO refs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        ([_ref_row(ref, default_time)[c] for c in columns] for ref in spec.refs))
    usn = 0
    sync_rows: list[tuple[object, ...]] = []
    files: list[tuple[int, str, int, int]] = []
    for ref_id, ref in enumerate(spec.refs, start=1):
        if ref.attachment:
            relative = f"{rng.randrange(10**9, 10**10)}/{ref.attachment}"
            files.append((ref_id, relative, 1, 0))
            if not ref.attachment_missing:
                target = data / "PDF" / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"%PDF-1.4\n" + os.urandom(max(ref.attachment_bytes - 9, 0)))
            if sync_time is not None and ref.synced:
                usn += 1
                sync_rows.append((4, ref_id, relative, str(uuid.UUID(int=rng.getrandbits(128))), usn, 0, 0,
                                  sync_time - 100, 12345, sync_time - 100))
        if sync_time is not None and ref.synced:
            usn += 1
            sync_rows.append((1, ref_id, "", str(uuid.UUID(int=rng.getrandbits(128))), usn, ref.action, ref.status,
                              0, 0, sync_time - 50))
    connection.executemany("INSERT INTO file_res (refs_id, file_path, file_type, file_pos) VALUES (?, ?, ?, ?)", files)
    for index in range(spec.groups):
        connection.execute("INSERT INTO groups (group_id, spec, members) VALUES (?, ?, ?)",
                           (index + 1, _group_spec(index), b"\x00\x00\x00\x02\x00\x00\x00\x00"))
        if sync_time is not None:
            usn += 1
            sync_rows.append((8, index + 1, uuid.UUID(int=index + 1).hex, str(uuid.UUID(int=rng.getrandbits(128))),
                              usn, 0, 0, 0, 0, sync_time - 50))
    if sync_time is not None:
        connection.executemany(
            "INSERT INTO sync (type, item_id, item_id2, guid, usn, action, status, file_timestamp, file_checksum, "
            "action_timestamp, changed_membership_timestamp, changed_readstatus_timestamp, changed_rating_timestamp, "
            "changed_trash_timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0)", sync_rows)
    misc = [(1, 0, b"17"), (9, 0, b"1"), (14, 0, spec.db_id.encode())]
    if sync_time is not None:
        assert spec.last_sync is not None
        misc += [(6, 39, spec.account.encode()), (6, 40, b"0"),
                 (6, 41, str(int(spec.last_sync.timestamp() * 1000)).encode()),
                 (6, 42, str(usn).encode()), (6, 47, str(usn).encode()), (6, 48, str(usn).encode())]
    connection.executemany("INSERT INTO misc (code, subcode, value) VALUES (?, ?, ?)", misc)


_WORDS = ("light blue therapy acne skin trial randomised systematic review effect study cohort gene protein cell "
          "analysis model network learning clinical outcome risk factor survey health data").split()


def synthetic_refs(count: int, *, seed: int = 0, doi_share: float = 0.7, attachments: int = 0,
                   attachment_bytes: int = 2048) -> list[RefSpec]:
    """Given a count, return that many distinct, plausible references (the first `attachments` with a PDF)."""
    rng = random.Random(seed)
    refs = []
    for index in range(count):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(5, 12)))
        refs.append(RefSpec(
            title=f"{words.capitalize()} {index}", year=str(1990 + index % 35),
            authors=(f"Author{index % 997}, A.", f"Second{index % 13}, B."),
            doi=f"10.{1000 + index % 9000}/synthetic.{index}" if rng.random() < doi_share else "",
            attachment=f"paper-{index}.pdf" if index < attachments else None, attachment_bytes=attachment_bytes))
    return refs


@contextmanager
def edit(database: Path) -> Iterator[sqlite3.Connection]:
    """Open a *copy* of a library database for writing the way EndNote would (tests play EndNote's part).

    Rebuilds the indexes under the stand-in collations first: editing without REINDEX leaves a real
    EndNote file "malformed" (ENDNOTE-FORMAT.md §1.5).
    """
    connection = sqlite3.connect(database)
    register_stand_ins(connection)
    try:
        connection.execute("REINDEX")
        with connection:
            yield connection
    finally:
        connection.close()


def days_ago(days: float, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=days)
