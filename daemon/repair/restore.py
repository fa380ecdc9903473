"""Restore a `.enlx` into a new `Name.enl` + `Name.Data`: proven first, written aside, proven again, then moved in.

Never writes over an existing library; refuses members that could escape the target folder,
zip bombs, and targets without room for the expanded archive. The archive is read through the one
bounded reader (`reading/archive.py`). The final names are taken without replacement
(`common/files.rename_noreplace`): if another program creates `NAME.enl` or `NAME.Data` while we
extract, the restore stops and leaves both alone. A name longer than a filesystem allows, or a
`--to` that is a file, is a usage error.

A backup that carries the library's `.enl` (`endnoted-enl/Name.enl`: the `.enl` held references the
live database lacked, docs/ENDNOTE-RULES.md R6) is put back as it was: that `.enl` becomes the
restored library's `NAME.enl` (an `enl_refs` or full SQLite `.enl`, variants EndNote itself writes,
ENDNOTE-FORMAT.md §1.3), proven to open and hold as many references as the backup's proof counted;
otherwise `NAME.enl` is EndNote 20+'s 4-byte stub. An X-era (MyISAM) archive is intact for `verify`
but not restored: its `.enl` is a copy of tables endnoted cannot prove, so restore refuses it with a
usage error (exit 2) and sends the user to EndNote's File → Open → Compressed Library.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from endnoted.common.errors import ArchiveRejected, BackupError, UsageError
from endnoted.common.files import create_private, private_tree, rename_noreplace
from endnoted.reading.archive import extract_member, open_archive, windows_problem
from endnoted.reading.enl_copy import read_enl
from endnoted.reading.enlx import ENL_MEMBER_DIR, prove
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import Counts, Status
from endnoted.reading.snapshot import take

FREE_SPACE_MARGIN = 1.05
NAME_MAX_BYTES = 255 - len(".Data")   # NAME.Data must fit in one path component


@dataclass(frozen=True)
class RestoreResult:
    enl: Path
    counts: Counts
    attachment_files: int
    enl_references: int | None = None   # the backup carried the library's .enl, restored as NAME.enl

    def to_json(self) -> dict[str, object]:
        return {"library": str(self.enl), "attachment_files": self.attachment_files,
                "enl_references": self.enl_references,
                "counts": {"references": self.counts.references, "trashed": self.counts.trashed,
                           "attachments": self.counts.attachments, "groups": self.counts.groups}}


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or "\x00" in name or name in (".", "..") or name.strip() != name:
        raise UsageError(f"{name!r} is not a usable library name")
    if any(unicodedata.category(character) == "Cc" for character in name):
        # A line break or tab in a file name breaks every listing, script and log line that shows it.
        raise UsageError(f"{name!r} is not a usable library name: it holds a control character "
                         "(a line break, a tab); choose a --name of printable characters")
    if len(os.fsencode(name)) > NAME_MAX_BYTES:
        raise UsageError(f"the library name is {len(os.fsencode(name))} bytes long; file systems allow "
                         f"{NAME_MAX_BYTES} (choose a shorter --name)")


def _target_folder(to: Path) -> None:
    if to.exists() and not to.is_dir():
        raise UsageError(f"{to} is a file, not a folder to restore into")
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot use {to} as the folder to restore into: {error.strerror or error}") from error


def restore(archive: Path, to: Path, name: str | None = None) -> RestoreResult:
    """Given a `.enlx`, a folder and a library name, create NAME.enl + NAME.Data there and prove them."""
    name = name or archive.stem
    _check_name(name)
    proof = prove(archive)
    if proof.legacy or proof.counts is None:
        # Intact (verify says so), but not restorable here: refuse as a request endnoted does not do.
        raise UsageError(f"{archive} is an X-era (EndNote X1–X9.2) compressed library: it is intact, but endnoted "
                         "restores only SQLite-era libraries (X9.3 and later); open it in EndNote with "
                         "File → Open → Compressed Library")
    _target_folder(to)
    enl, data = to / f"{name}.enl", to / f"{name}.Data"
    if os.path.lexists(enl) or os.path.lexists(data):
        raise UsageError(f"a library named {name} already exists in {to}; endnoted never writes over a library "
                         "(choose another --name or folder)")
    free = shutil.disk_usage(to).free
    if proof.expanded_bytes * FREE_SPACE_MARGIN > free:
        raise BackupError(f"not enough free space in {to}: the library needs {proof.expanded_bytes >> 20} MB, "
                          f"{free >> 20} MB are free")
    try:
        scratch = Path(tempfile.mkdtemp(prefix=f".endnoted-restoring-{os.getpid()}-", dir=to))
    except OSError as error:
        raise BackupError(f"cannot restore into {to}: {error.strerror or error}; nothing was written") from error
    placed: list[Path] = []
    try:
        staged = scratch / f"{name}.Data"
        carried = _extract(archive, staged, scratch / f"{name}.enl")
        if not carried:
            create_private(scratch / f"{name}.enl")
            (scratch / f"{name}.enl").write_bytes(b"Eds1")  # EndNote 20+'s stub: the data lives in Name.Data
        # 0700/0600 whatever the umask, as everything endnoted writes: a library holds the account e-mail
        # and the user's references (README, privacy); its owner, and so EndNote, reads it all.
        private_tree(staged)
        library = Library(scratch / f"{name}.enl", name, scratch / f"{name}.enl", staged, Layout.SQLITE)
        snap = take(library, integrity=True)
        if snap.status is not Status.OK or snap.counts != proof.counts:
            raise BackupError(f"the restored library does not match the backup ({snap.problem or snap.counts}); "
                              "nothing was kept")
        if carried and len(read_enl(scratch / f"{name}.enl").rows) != proof.enl_references:
            raise BackupError("the restored library's .enl does not match the one the backup carries; nothing was kept")
        rename_noreplace(staged, data)
        placed.append(data)
        rename_noreplace(scratch / f"{name}.enl", enl)
        placed.append(enl)
    except FileExistsError as error:
        _take_back(placed)
        raise UsageError(f"another program created {error.filename2 or error.filename} while endnoted restored; "
                         "it was left alone and nothing was kept (choose another --name)") from error
    except OSError as error:
        _take_back(placed)
        raise BackupError(f"cannot restore into {to}: {error.strerror or error}; nothing was kept") from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return RestoreResult(enl, proof.counts, len(proof.attachments), proof.enl_references if carried else None)


def _take_back(placed: list[Path]) -> None:
    """Remove what this restore already put in place (only ours: it was created without replacing anything)."""
    for path in placed:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _extract(archive: Path, target: Path, enl: Path) -> bool:
    """Extract the archive into `target` (NAME.Data); a carried `endnoted-enl/*.enl` becomes `enl`. True if one did."""
    target.mkdir(parents=True)
    root = target.resolve()
    carried = False
    with open_archive(archive) as (source, infos):
        for info in infos:   # before a byte is written: all or nothing
            if problem := windows_problem(info.filename):
                raise ArchiveRejected(f"{archive} was refused: {problem}; EndNote on Windows could not open the "
                                      "restored library")
        for info in infos:
            if info.filename.startswith(f"{ENL_MEMBER_DIR}/"):
                if not carried and not info.is_dir() and info.filename.lower().endswith(".enl") \
                        and "/" not in info.filename[len(ENL_MEMBER_DIR) + 1:]:
                    extract_member(source, info, enl, archive)   # the library's own .enl, put back beside it
                    carried = True
                continue   # endnoted's own folder: never part of NAME.Data
            destination = (target / info.filename).resolve()
            if destination != root and root not in destination.parents:
                raise ArchiveRejected(f"{archive}: member {info.filename!r} would land outside the library")
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            extract_member(source, info, destination, archive)
    return carried
