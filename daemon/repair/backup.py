"""Verified backups: a `.enlx` EndNote can open (or, above its limits, a plain folder copy), proven before it exists.

Order of work, and why:
1. The database is copied through SQLite's backup API from a read-only connection: a consistent
   snapshot even while EndNote writes (a raw file copy is not).
2. Everything is written under a hidden temporary name in the destination folder, flushed to disk.
3. The archive proves itself (enlx.prove) and must hold the same counts as the copied database
   and every attachment file the library has.
4. Only then is it linked to its final name, never over an existing file. Any failure deletes
   what was written: a file under a backup's name is always a proven backup.
5. The `.enl` beside the database goes with it when it holds references the live database lacks
   (issue #11: a full or `enl_refs` copy, docs/ENDNOTE-RULES.md R6): in a `.enlx` as the member
   `endnoted-enl/Name.enl`, and in a `--folder` copy as the real `Name.enl` (always). The proof
   opens the carried copy and counts its references.

Bounds and failure paths (issue #12): a library another program keeps locked is given up after
about 8 s (`LOCK_ATTEMPTS`), exit 1 "locked"; an attachment that cannot be read is left out with a
warning; a name too long for the filesystem is shortened; every partial file is deleted on any
failure; the backups folder is 0700 and every backup 0600 (a backup holds the account e-mail);
a destination inside the library's own `.Data` folder is refused.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from endnoted.common.errors import (
    ArchiveRejected,
    BackupError,
    DatabaseBusy,
    DatabaseUnreadable,
    EndnotedError,
    InterruptedWrite,
    LibraryVanished,
    PathTooLong,
    UsageError,
    is_too_long,
)
from endnoted.common.files import private_dir, rename_noreplace
from endnoted.common.words import plural
from endnoted.reading.archive import ENLX_MAX_BYTES, ENLX_MAX_FILES
from endnoted.reading.attachments import missing_attachment_paths
from endnoted.reading.database import gone, read_transaction
from endnoted.reading.enl_copy import EnlKind, read_enl
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import Counts, Snapshot, Status
from endnoted.reading.snapshot import take
from endnoted.repair.backup_files import (
    Progress,
    fsync_path,
    prove_written,
    sha256_of,
    short_name,
    write_enlx,
    write_folder,
)
from endnoted.state.records import BackupRow

logger = logging.getLogger(__name__)
TEMP_PREFIX = ".endnoted-partial-"

SQLITE_FULL = 13            # "database or disk is full": the copy being written, never the read-only source
LOCK_ATTEMPTS = 10          # × (0.5 s pause + 0.25 s busy wait) ≈ 8 s, the bound the README states


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str                 # "enlx" or "folder"
    size: int
    sha256: str
    counts: Counts
    attachment_files: int
    warnings: tuple[str, ...]
    seconds: float
    retries: int = 0
    enl_references: int | None = None   # references in the .enl the backup carries (None: not carried)
    # The moment the file name carries (…-YYYYmmdd-HHMMSS): what the state file records, so a listing
    # shows the time the name says, not the moment the proof ended seconds later.
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "kind": self.kind, "size": self.size, "sha256": self.sha256,
                "counts": {"references": self.counts.references, "trashed": self.counts.trashed,
                           "attachments": self.counts.attachments, "groups": self.counts.groups},
                "attachment_files": self.attachment_files, "warnings": list(self.warnings),
                "seconds": round(self.seconds, 3), "retries": self.retries, "enl_references": self.enl_references}

    def record(self, library: Path) -> BackupRow:
        """What the state file keeps of this backup of `library` (cli, web and the reset wizard record it)."""
        return BackupRow(path=str(self.path), library=str(library), made_at=self.made_at, size=self.size,
                         sha256=self.sha256, references=self.counts.references, trashed=self.counts.trashed,
                         attachments=self.counts.attachments, kind=self.kind, warnings=self.warnings)


@dataclass(frozen=True)
class Plan:
    """What a backup of a library will hold, measured before writing anything."""

    library: Library
    attachments: tuple[tuple[Path, str, int], ...]   # (file, path relative to PDF/, size)
    total_bytes: int
    unreadable_folders: tuple[str, ...] = ()           # folders under PDF/ that could not be listed
    links: tuple[str, ...] = ()                        # symbolic links in PDF/ (or PDF itself): not followed

    @property
    def files(self) -> int:
        return len(self.attachments) + 2

    def fits_enlx(self, max_bytes: int = ENLX_MAX_BYTES, max_files: int = ENLX_MAX_FILES) -> bool:
        return self.total_bytes < max_bytes and self.files <= max_files


def plan(library: Library, *, attachments: bool = True) -> Plan:
    """Given a library, list what a backup would hold; raise BackupError if it cannot be backed up."""
    if library.layout is Layout.LEGACY:
        # Not a failure: a library endnoted does not back up. Name the way on (as restore does for X-era archives).
        raise UsageError(f"cannot back up {library.path}: it is an X-era (MyISAM) library, which endnoted does not "
                         "read; open it in EndNote 20 or later, which converts it, then back up the converted library")
    if library.layout is not Layout.SQLITE or library.data_dir is None or library.database is None:
        kinds = {Layout.ENLX: "it is already a compressed library", Layout.LEGACY: "it is an X-era (MyISAM) library",
                 Layout.MISSING: "its .Data folder holds no database"}
        raise BackupError(f"cannot back up {library.path}: {kinds.get(library.layout, 'unsupported layout')}")
    files: list[tuple[Path, str, int]] = []
    unreadable: list[str] = []
    links: list[str] = []
    pdf = library.data_dir / "PDF"
    if attachments and pdf.is_symlink():
        links.append("PDF")   # a link to / once had the backup walk the whole disk: never leave the library
    elif attachments and pdf.is_dir():
        def note(error: OSError) -> None:
            unreadable.append(str(error.filename))
        for root, dirs, names in os.walk(pdf, onerror=note):   # os.walk does not descend into linked folders
            dirs.sort()
            links.extend((Path(root) / name).relative_to(pdf).as_posix() for name in dirs
                         if (Path(root) / name).is_symlink())
            for name in sorted(names):
                path = Path(root) / name
                try:
                    if path.is_symlink():
                        links.append(path.relative_to(pdf).as_posix())
                        continue
                    if not path.is_file():
                        continue
                    files.append((path, path.relative_to(pdf).as_posix(), path.stat().st_size))
                except OSError:
                    continue  # vanished while we looked
    try:
        database_bytes = library.database.stat().st_size
    except OSError as error:
        raise DatabaseUnreadable(f"{library.database} cannot be read ({error.strerror or error})") from error
    return Plan(library, tuple(files), database_bytes + sum(size for *_, size in files), tuple(unreadable),
                tuple(links))


def _clean_leftovers(folder: Path) -> None:
    """Remove partial backups left by a killed process (their pid is gone), so they never accumulate."""
    for leftover in folder.glob(TEMP_PREFIX + "*"):
        try:
            pid = int(leftover.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid != os.getpid() and not _alive(pid):
            logger.info("removing partial backup %s left by process %d", leftover, pid)
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def copy_database(source: Path, target: Path, *, attempts: int = LOCK_ATTEMPTS) -> int:
    """Given a live database, write a consistent copy through the backup API; return how many retries it took.

    The copy runs inside one read transaction taken with bounded retries, so a library another
    program keeps locked is given up after about 8 s: Python's `Connection.backup` on its own
    retries a busy source for ever.
    """
    tries = [0]

    def counted(seconds: float) -> None:
        tries[0] += 1
        time.sleep(seconds)

    try:
        with read_transaction(source, attempts=attempts, pause=0.5, sleep=counted) as reader:
            writer = sqlite3.connect(target)
            try:
                reader.backup(writer)   # one step, under the read transaction: one consistent view
            except sqlite3.Error as error:
                if getattr(error, "sqlite_errorcode", None) == SQLITE_FULL:   # the copy's disk, never the library's
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target)) from error
                raise
            finally:
                writer.close()
    except InterruptedWrite as error:
        raise BackupError(f"{error}; open the library in EndNote once, then back it up") from error
    except DatabaseBusy as error:
        raise BackupError(f"{source} is locked by another program (EndNote?) and stayed locked through "
                          f"{attempts} tries; try again when EndNote is idle") from error
    return tries[0]


def _final_name(folder: Path, name: str, now: datetime, suffix: str) -> Iterator[Path]:
    stem = f"{short_name(name)}-{now.astimezone():%Y%m%d-%H%M%S}"
    yield folder / f"{stem}{suffix}"
    for n in range(2, 1000):
        yield folder / f"{stem}-{n}{suffix}"


def _publish(temporary: Path, folder: Path, name: str, now: datetime, suffix: str) -> Path:
    """Give a proven file or folder its final name without ever replacing an existing one."""
    for final in _final_name(folder, name, now, suffix):
        try:
            rename_noreplace(temporary, final)
        except FileExistsError:
            continue
        fsync_path(folder)
        return final
    raise BackupError(f"too many backups named {name} in {folder} this second")


def _io_error(error: OSError, folder: Path, library: Library | None = None) -> EndnotedError:
    """The error a failed file operation of a backup becomes, blaming the path it failed on.

    The backup reads `library` and writes in `folder`: an error on one of the library's files (a path
    too deep to open, a file it may not read) is the library's, never the destination's.
    """
    culprit = os.fsdecode(error.filename) if isinstance(error.filename, (str, bytes, os.PathLike)) else None
    theirs = culprit is not None and library is not None and _of_library(culprit, library)
    if is_too_long(error):
        if theirs:
            return PathTooLong(culprit, "a file of the library",
                               "move the library (or a folder above it) to a shorter path; nothing was kept")
        return PathTooLong(culprit or folder, "the backup's path", "give --to a shorter folder; nothing was kept")
    if theirs:
        return BackupError(f"cannot read {culprit}: {error.strerror or error}; nothing was kept")
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return BackupError(f"the disk holding {folder} is full; nothing was kept. Free some space or use --to "
                           "another disk")
    if error.errno == errno.EFBIG:
        return BackupError(f"a file-size limit stopped the backup in {folder}; nothing was kept")
    return BackupError(f"cannot write the backup in {folder}: {error.strerror or error}; nothing was kept")


@contextmanager
def _scratch(folder: Path) -> Iterator[Path]:
    """A private temporary folder in `folder`; it and its sibling `.enlx` are gone afterwards, whatever happened."""
    scratch = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=folder))   # 0700
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.with_name(scratch.name + ".enlx").unlink(missing_ok=True)


def _snapshot_copy(data: Path) -> Snapshot:
    snap = take(Library(data, "copy", None, data, Layout.SQLITE), integrity=True)
    if snap.status is not Status.OK or snap.counts is None:
        raise BackupError(f"the library's database does not read cleanly ({snap.problem}); back it up with "
                          "EndNote's File → Compressed Library after Tools → Recover Library")
    return snap


def make_backup(library: Library, folder: Path, *, attachments: bool = True, as_folder: bool = False,
                now: datetime | None = None, progress: Progress | None = None,
                total: Callable[[int], None] | None = None, max_bytes: int = ENLX_MAX_BYTES,
                max_files: int = ENLX_MAX_FILES) -> BackupResult:
    """Given a library and a destination folder, write a proven backup there and return what it holds.

    Raise BackupError (and leave nothing behind) when it cannot be written or does not prove itself.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    layout = plan(library, attachments=attachments)
    if library.data_dir is not None and _inside(folder, library.data_dir):
        raise UsageError(f"{folder} is inside the library's own {library.data_dir.name} folder: EndNote would "
                         "take the backup for part of the library. Choose a folder outside it")
    if not as_folder and not layout.fits_enlx(max_bytes, max_files):
        raise BackupError(f"{library.name} is too large for a compressed library ({layout.total_bytes >> 20} MB, "
                          f"{layout.files} files; EndNote opens .enlx files under 4 GB and 65,535 files). "
                          "Make a plain folder copy instead: endnoted backup --folder")
    try:
        private_dir(folder, ours=False)   # a new folder is 0700; one the user already has keeps its mode
        _clean_leftovers(folder)
    except OSError as error:
        raise _io_error(error, folder) from error
    if total:
        total(layout.total_bytes * 2)   # written once, read back once
    had_enl = library.enl is not None and library.enl.is_file()
    try:
        with _scratch(folder) as scratch:
            data = scratch / "copy.Data"
            (data / "sdb").mkdir(parents=True)
            assert library.database is not None
            retries = copy_database(library.database, data / "sdb" / "sdb.eni")
            pdb = library.database.with_name("pdb.eni")
            if pdb.exists():
                try:
                    copy_database(pdb, data / "sdb" / "pdb.eni")
                except (DatabaseUnreadable, BackupError) as error:
                    logger.warning("full-text index %s not copied: %s", pdb, error)
            copied = _snapshot_copy(data)
            assert copied.counts is not None
            counts = copied.counts
            enl_copy, enl_rows = _copy_enl(library, copied, scratch, whole=as_folder)
            # Judged on the copy that was backed up, against the library's own PDF folder.
            missing = missing_attachment_paths(copied, library.pdf_dir)
            if progress:
                progress(layout.total_bytes - sum(size for *_, size in layout.attachments))
            if as_folder:
                written, kept, unreadable = write_folder(library.name, layout.attachments, data, scratch, progress, enl_copy)
            else:
                written, kept, unreadable = write_enlx(library.name, layout.attachments, data, scratch, progress, enl_copy)
            prove_written(written, counts, kept, as_folder, progress, enl_rows)
            if _went_away(library, had_enl):
                # Its attachments and .enl were read from a place it had left: the backup would lack them.
                raise LibraryVanished(library.path)
            final = _publish(written, folder, library.name, now, "" if as_folder else ".enlx")
    except LibraryVanished as error:
        raise LibraryVanished(library.path, "backed it up", "; nothing was kept") from error
    except OSError as error:
        raise _io_error(error, folder, library) from error
    except ArchiveRejected as error:
        raise BackupError(f"the backup did not prove itself and was deleted: {error}") from error
    warnings = []
    if unreadable or layout.unreadable_folders:
        unread = len(unreadable) + len(layout.unreadable_folders)
        warnings.append(f"{plural(unread, 'attachment file or folder', 'attachment files or folders')} could "
                        f"not be read (no permission?) and {'is' if unread == 1 else 'are'} not in the backup")
    if layout.links:
        what = "the PDF folder is a symbolic link" if layout.links == ("PDF",) else \
            f"{plural(len(layout.links), 'link', 'links')} in the PDF folder ({', '.join(layout.links[:3])}"\
            f"{', …' if len(layout.links) > 3 else ''})"
        warnings.append(f"{what} to elsewhere: not followed, so what it points to is not in the backup "
                        "(endnoted never reads outside the library)")
    if missing:
        warnings.append(f"{plural(len(missing), 'attachment listed in the library has', 'attachments listed in the library have')} "
                        "no file in its PDF folder (see endnoted check); "
                        f"{'it is' if len(missing) == 1 else 'they are'} not in the backup")
    size = sum(p.stat().st_size for p in final.rglob("*") if p.is_file()) if final.is_dir() else final.stat().st_size
    digest = "" if final.is_dir() else sha256_of(final)
    return BackupResult(final, "folder" if as_folder else "enlx", size, digest, counts, len(kept),
                        tuple(warnings), time.monotonic() - started, retries, enl_rows, now)


def _copy_enl(library: Library, live: Snapshot, scratch: Path, *, whole: bool) -> tuple[Path | None, int | None]:
    """Copy the library's `.enl` into the scratch folder when the backup must carry it.

    A `.enlx` carries it only when it holds references the live database lacks; a folder copy always
    takes the real file. A SQLite `.enl` is copied through SQLite (consistent), anything else byte
    for byte. Returns the copy and, for a copy of references, how many it holds.
    """
    if library.enl is None or not library.enl.is_file():
        return None, None
    enl = read_enl(library.enl)
    live_ids = {row[0] for row in live.rows}
    holds_more = enl.holds_references and any(row[0] not in live_ids for row in enl.rows)
    if not whole and not holds_more:
        return None, None
    target = scratch / "carried.enl"
    if enl.kind in (EnlKind.ENL_REFS, EnlKind.FULL, EnlKind.EMPTY):
        copy_database(library.enl, target)
    else:
        shutil.copyfile(library.enl, target)
    rows = len(enl.rows) if enl.kind in (EnlKind.ENL_REFS, EnlKind.FULL) else None
    return target, rows


def _went_away(library: Library, had_enl: bool) -> bool:
    """True when the library's database, or the .enl it had when the backup began, is no longer at its path."""
    return (library.database is not None and gone(library.database)) or \
        (had_enl and library.enl is not None and gone(library.enl))


def _of_library(path: str, library: Library) -> bool:
    """Whether `path` is one of the library's files (lexically: a path too long cannot be resolved)."""
    path = os.path.abspath(path)
    if path in (str(library.path), str(library.enl)):
        return True
    return library.data_dir is not None and path.startswith(os.path.join(str(library.data_dir), ""))


def _inside(folder: Path, data_dir: Path) -> bool:
    here, data = folder.expanduser().resolve(), data_dir.resolve()
    return here == data or data in here.parents

