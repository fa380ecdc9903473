"""Writing a backup's files (a `.enlx` archive or a plain folder copy) and proving what was written.

repair/backup.py decides what a backup holds and when it may take its final name; this module writes
the bytes under the temporary name and reads them back (reading/enlx.prove for an archive, a fresh
reading for a folder copy). Nothing here names a backup: a failure leaves only the scratch files,
which backup.py deletes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from endnoted.common.errors import ArchiveRejected
from endnoted.common.files import create_private, private_tree
from endnoted.common.words import plural
from endnoted.reading.archive import CHUNK
from endnoted.reading.enl_copy import read_enl
from endnoted.reading.enlx import ENL_MEMBER_DIR, prove
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import Counts
from endnoted.reading.snapshot import take

logger = logging.getLogger(__name__)
Progress = Callable[[int], None]
Attachments = tuple[tuple[Path, str, int], ...]   # (file, path relative to PDF/, size)
NAME_MAX_BYTES = 255        # one path component on every filesystem we meet
_FINAL_SUFFIX_BYTES = len("-20250101-120000-999.enlx")
# Formats that are already compressed: deflating them costs time and gains nothing.
_STORED_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".zip", ".gz", ".docx", ".xlsx", ".pptx", ".mp4",
                    ".mp3", ".epub", ".enlx", ".7z", ".heic", ".webp"}


def _compress_type(path: Path) -> int:
    if path.suffix.lower() in _STORED_SUFFIXES:
        return zipfile.ZIP_STORED
    try:
        with path.open("rb") as handle:
            sample = handle.read(64 * 1024)
    except OSError:
        return zipfile.ZIP_DEFLATED
    return zipfile.ZIP_DEFLATED if len(zlib.compress(sample, 1)) < 0.9 * max(len(sample), 1) else zipfile.ZIP_STORED


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def short_name(name: str) -> str:
    """Given a library name, return it cut (on a character boundary) so a backup's file name fits in 255 bytes."""
    limit = NAME_MAX_BYTES - _FINAL_SUFFIX_BYTES
    encoded = name.encode("utf-8")
    return name if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore").rstrip() or "library"


def _readable(path: Path) -> bool | None:
    """True if the file opens for reading, False if it cannot be (permission, I/O), None if it is gone."""
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("attachment %s cannot be read (%s); it is left out", path, error.strerror or error)
        return False
    return True


def _copy_attachments(attachments: Attachments, copy: Callable[[Path, str], None], kept: list[str],
                      unreadable: list[str], progress: Progress | None) -> None:
    """Copy each attachment with `copy(path, relative)`: one that cannot be read is listed in `unreadable`,
    one gone meanwhile (before or during its copy) is logged and left out, the others are listed in `kept`.
    If the PDF folder itself is gone (the library moved), it stops without a word per file."""
    for path, relative, size in attachments:
        readable = _readable(path)
        if readable is False:
            unreadable.append(relative)
            continue
        try:
            if readable is None:
                raise FileNotFoundError(path)
            copy(path, relative)
        except FileNotFoundError:
            if not path.parents[len(Path(relative).parts) - 1].is_dir():
                return   # the whole library moved away: the caller says so in one line, not a line per file
            logger.warning("attachment %s vanished during the backup", path)
            continue
        kept.append(relative)
        if progress:
            progress(size)


def write_enlx(name: str, attachments: Attachments, data: Path, scratch: Path, progress: Progress | None,
                enl: Path | None = None) -> tuple[Path, list[str], list[str]]:
    target = scratch.parent / f"{scratch.name}.enlx"
    kept: list[str] = []
    unreadable: list[str] = []
    try:
        create_private(target)   # 0600 before a byte is written: a backup holds the account e-mail
        with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
            for database in ("sdb.eni", "pdb.eni"):
                if (data / "sdb" / database).exists():
                    archive.write(data / "sdb" / database, f"sdb/{database}", compress_type=zipfile.ZIP_DEFLATED,
                                  compresslevel=6)
            if enl is not None:
                archive.write(enl, f"{ENL_MEMBER_DIR}/{short_name(name)}.enl",
                              compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
            def into_archive(path: Path, relative: str) -> None:
                archive.write(path, f"PDF/{relative}", compress_type=_compress_type(path), compresslevel=6)

            _copy_attachments(attachments, into_archive, kept, unreadable, progress)
        fsync_path(target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, kept, unreadable


def write_folder(name: str, attachments: Attachments, data: Path, scratch: Path, progress: Progress | None,
                  enl: Path | None = None) -> tuple[Path, list[str], list[str]]:
    target = scratch / "folder"
    name = short_name(name)
    (target / f"{name}.Data").mkdir(parents=True)
    shutil.move(str(data / "sdb"), target / f"{name}.Data" / "sdb")
    if enl is not None:
        shutil.move(str(enl), target / f"{name}.enl")   # the library's real .enl, whatever it holds
    else:
        (target / f"{name}.enl").write_bytes(b"Eds1")  # none: the stub a new EndNote 20+ library has
    kept: list[str] = []
    unreadable: list[str] = []
    pdf = target / f"{name}.Data" / "PDF"

    def into_folder(path: Path, relative: str) -> None:
        destination = pdf / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)

    _copy_attachments(attachments, into_folder, kept, unreadable, progress)
    for file in private_tree(target):
        fsync_path(file)
    return target, kept, unreadable


def prove_written(written: Path, counts: Counts, kept: list[str], as_folder: bool, progress: Progress | None,
           enl_rows: int | None = None) -> None:
    if as_folder:
        name = next(written.glob("*.enl")).stem
        copy = Library(written / f"{name}.enl", name, written / f"{name}.enl", written / f"{name}.Data",
                       Layout.SQLITE)
        snap = take(copy, integrity=True)
        present = {p.relative_to(written / f"{name}.Data" / "PDF").as_posix()
                   for p in (written / f"{name}.Data" / "PDF").rglob("*") if p.is_file()}
        if snap.counts != counts:
            raise ArchiveRejected(f"the copied database holds {snap.counts}, expected {counts}")
        carried = read_enl(written / f"{name}.enl")
        if enl_rows is not None and len(carried.rows) != enl_rows:
            raise ArchiveRejected(f"the copied {name}.enl holds {len(carried.rows)} references, expected {enl_rows}")
    else:
        proof = prove(written, progress=progress)
        if proof.counts != counts:
            raise ArchiveRejected(f"the database inside holds {proof.counts}, the library's copy {counts}")
        if proof.enl_references != enl_rows:
            raise ArchiveRejected(f"the carried .enl holds {proof.enl_references} references, expected {enl_rows}")
        present = set(proof.attachments)
    if missing := set(kept) - present:
        raise ArchiveRejected(f"{plural(len(missing), 'attachment file is', 'attachment files are')} not in the backup")
