"""The `.enlx` compressed library: a ZIP of the *contents* of `Name.Data` (ENDNOTE-FORMAT.md §5), and its proof.

A proof (`prove`) is what makes a backup a backup: every member's CRC read back, no member that
could escape a folder, the database inside opens and passes SQLite's structural check, and its
counts are what they should be.

Archives are opened through the bounded reader in `archive.py`, shared with `check X.enlx` and
`restore`.

When the library's `.enl` holds references its live database lacks (a full copy or an `enl_refs`
copy, docs/ENDNOTE-RULES.md R6), endnoted's backup carries it as the member `ENL_MEMBER_DIR/Name.enl`
(EndNote's own `.enlx` has no `.enl`; on open EndNote extracts the archive into `Name.Data`, where
this extra folder is inert). The proof then also opens that copy and counts its references.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from endnoted.common.errors import ArchiveRejected
from endnoted.reading.archive import (
    CHUNK,
    extract_member,
    open_archive,
)
from endnoted.reading.enl_copy import EnlKind, read_enl
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import Counts, Status
from endnoted.reading.snapshot import take

Progress = Callable[[int], None]
ENL_MEMBER_DIR = "endnoted-enl"   # where a backup keeps the library's .enl when it holds references


@dataclass(frozen=True)
class Proof:
    """What an archive proved about itself."""

    path: Path
    members: int
    expanded_bytes: int
    counts: Counts | None            # None for an X-era archive (CRCs only)
    legacy: bool
    attachments: tuple[str, ...] = field(default=())   # PDF/... member paths, relative to PDF/
    enl_references: int | None = None                  # references in the carried .enl (None: none carried)

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "members": self.members, "expanded_bytes": self.expanded_bytes,
                "legacy": self.legacy, "attachment_files": len(self.attachments),
                "enl_references": self.enl_references,
                "counts": None if self.counts is None else {
                    "references": self.counts.references, "trashed": self.counts.trashed,
                    "attachments": self.counts.attachments, "groups": self.counts.groups}}


def _read_back(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, progress: Progress | None) -> None:
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                if progress:
                    progress(len(chunk))
    except zipfile.BadZipFile as error:
        raise ArchiveRejected(f"{path}: member {info.filename!r} is corrupt ({error})") from error
    except (EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as error:
        raise ArchiveRejected(f"{path}: member {info.filename!r} cannot be read ({error})") from error


def prove(path: Path, *, progress: Progress | None = None) -> Proof:
    """Given a `.enlx`, read every member back and check the database inside; raise ArchiveRejected if unsound."""
    try:
        with open_archive(path) as (archive, infos):
            for info in infos:
                _read_back(archive, info, path, progress)
            names = {info.filename for info in infos}
            attachments = tuple(sorted(name[4:] for name in names if name.startswith("PDF/") and not name.endswith("/")))
            expanded = sum(info.file_size for info in infos)
            if "sdb/sdb.eni" not in names:
                if any(name.startswith("rdb/") for name in names):
                    return Proof(path, len(infos), expanded, None, True, attachments)
                raise ArchiveRejected(f"{path} holds no sdb/sdb.eni: it is not an EndNote compressed library")
            counts = _database_counts(archive, archive.getinfo("sdb/sdb.eni"), path)
            enl = next((name for name in sorted(names) if name.startswith(f"{ENL_MEMBER_DIR}/")
                        and name.lower().endswith(".enl")), None)
            carried = _enl_references(archive, archive.getinfo(enl), path) if enl else None
            return Proof(path, len(infos), expanded, counts, False, attachments, carried)
    except OSError as error:
        raise ArchiveRejected(f"cannot read {path}: {error.strerror or error}") from error


def _enl_references(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> int:
    """Given a carried `.enl` member, open it and return how many references it holds; reject it if unreadable."""
    with tempfile.TemporaryDirectory(prefix="endnoted-prove-") as scratch:
        target = Path(scratch) / "copy.enl"
        extract_member(archive, info, target, path)
        copy = read_enl(target)
    if copy.kind not in (EnlKind.ENL_REFS, EnlKind.FULL):
        raise ArchiveRejected(f"{path}: the carried {info.filename} does not open as a copy of references "
                              f"({copy.kind.value})")
    return len(copy.rows)


def _database_counts(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> Counts:
    with tempfile.TemporaryDirectory(prefix="endnoted-prove-") as scratch:
        data = Path(scratch) / "Proof.Data"
        (data / "sdb").mkdir(parents=True)
        extract_member(archive, info, data / "sdb" / "sdb.eni", path)
        snap = take(Library(data, "Proof", None, data, Layout.SQLITE), integrity=True)
    if snap.status is not Status.OK or snap.counts is None:
        problem = (snap.problem or snap.status.value).replace(str(data / "sdb" / "sdb.eni"), "sdb/sdb.eni")
        raise ArchiveRejected(f"{path}: the database inside does not prove itself: {problem}")
    return snap.counts
