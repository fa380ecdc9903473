"""The `.enlx` compressed library: a ZIP of the *contents* of `Name.Data` (ENDNOTE-FORMAT.md §5), and its proof.

A proof (`prove`) is what makes a backup a backup: every member's CRC read back, no member that
could escape a folder, the database inside opens and passes SQLite's structural check, and its
counts are what they should be.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from endnoted.common.errors import ArchiveRejected
from endnoted.reading.library import Layout, Library
from endnoted.reading.snapshot import Counts, Status, take

# EndNote cannot open a compressed library over 4 GB or 65,535 files (ENDNOTE-FORMAT.md §4).
ENLX_MAX_BYTES = 4 * 1024**3
ENLX_MAX_FILES = 65535
# Zip-bomb limits for restore: more than this expanded, or a member expanding more than this ratio.
MAX_EXPANDED_BYTES = 64 * 1024**3
MAX_RATIO = 200
CHUNK = 1 << 20

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Proof:
    """What an archive proved about itself."""

    path: Path
    members: int
    expanded_bytes: int
    counts: Counts | None            # None for an X-era archive (CRCs only)
    legacy: bool
    attachments: tuple[str, ...] = field(default=())   # PDF/... member paths, relative to PDF/

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "members": self.members, "expanded_bytes": self.expanded_bytes,
                "legacy": self.legacy, "attachment_files": len(self.attachments),
                "counts": None if self.counts is None else {
                    "references": self.counts.references, "trashed": self.counts.trashed,
                    "attachments": self.counts.attachments, "groups": self.counts.groups}}


def unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Given a member, return why it could escape the folder it is restored into, or None."""
    name = info.filename
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"member {name!r} has an absolute path"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return f"member {name!r} climbs out of the folder (..)"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"member {name!r} is a symbolic link"
    return None


def _check_members(archive: zipfile.ZipFile, path: Path) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if not infos:
        raise ArchiveRejected(f"{path} is an empty archive, not a compressed library")
    expanded = 0
    for info in infos:
        if problem := unsafe_member(info):
            raise ArchiveRejected(f"{path} was refused: {problem}")
        expanded += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 10 * CHUNK:
            raise ArchiveRejected(f"{path} was refused: member {info.filename!r} expands {info.file_size >> 20} MB "
                                  f"from {info.compress_size >> 10} KB (a zip bomb?)")
    if expanded > MAX_EXPANDED_BYTES:
        raise ArchiveRejected(f"{path} was refused: it expands to {expanded >> 30} GB")
    return infos


def _read_back(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, progress: Progress | None) -> None:
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                if progress:
                    progress(len(chunk))
    except zipfile.BadZipFile as error:
        raise ArchiveRejected(f"{path}: member {info.filename!r} is corrupt ({error})") from error
    except (EOFError, OSError, ValueError) as error:
        raise ArchiveRejected(f"{path}: member {info.filename!r} cannot be read ({error})") from error


def prove(path: Path, *, progress: Progress | None = None) -> Proof:
    """Given a `.enlx`, read every member back and check the database inside; raise ArchiveRejected if unsound."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _check_members(archive, path)
            for info in infos:
                _read_back(archive, info, path, progress)
            names = {info.filename for info in infos}
            attachments = tuple(sorted(name[4:] for name in names if name.startswith("PDF/") and not name.endswith("/")))
            expanded = sum(info.file_size for info in infos)
            if "sdb/sdb.eni" not in names:
                if any(name.startswith("rdb/") for name in names):
                    return Proof(path, len(infos), expanded, None, True, attachments)
                raise ArchiveRejected(f"{path} holds no sdb/sdb.eni: it is not an EndNote compressed library")
            counts = _database_counts(archive, path)
            return Proof(path, len(infos), expanded, counts, False, attachments)
    except zipfile.BadZipFile as error:
        raise ArchiveRejected(f"{path} is not a readable zip archive ({error}); it may be truncated") from error
    except zipfile.LargeZipFile as error:
        raise ArchiveRejected(f"{path} is too large to read ({error})") from error
    except FileNotFoundError as error:
        raise ArchiveRejected(f"no file at {path}") from error
    except OSError as error:
        raise ArchiveRejected(f"cannot read {path}: {error.strerror or error}") from error


def _database_counts(archive: zipfile.ZipFile, path: Path) -> Counts:
    with tempfile.TemporaryDirectory(prefix="endnoted-prove-") as scratch:
        data = Path(scratch) / "Proof.Data"
        (data / "sdb").mkdir(parents=True)
        with archive.open("sdb/sdb.eni") as source, (data / "sdb" / "sdb.eni").open("wb") as sink:
            shutil.copyfileobj(source, sink, CHUNK)
        snap = take(Library(data, "Proof", None, data, Layout.SQLITE), integrity=True)
    if snap.status is not Status.OK or snap.counts is None:
        problem = (snap.problem or snap.status.value).replace(str(data / "sdb" / "sdb.eni"), "sdb/sdb.eni")
        raise ArchiveRejected(f"{path}: the database inside does not prove itself: {problem}")
    return snap.counts
