"""Restore a `.enlx` into a new `Name.enl` + `Name.Data`: proven first, written aside, proven again, then moved in.

Never writes over an existing library; refuses members that could escape the target folder,
zip bombs, and targets without room for the expanded archive. The archive is read through the one
bounded reader (`reading/archive.py`). The final names are taken without replacement
(`common/files.rename_noreplace`): if another program creates `NAME.enl` or `NAME.Data` while we
extract, the restore stops and leaves both alone. A name longer than a filesystem allows, or a
`--to` that is a file, is a usage error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from endnoted.common.errors import ArchiveRejected, BackupError, UsageError
from endnoted.common.files import rename_noreplace
from endnoted.reading.archive import extract_member, open_archive
from endnoted.reading.enlx import prove
from endnoted.reading.library import Layout, Library
from endnoted.reading.snapshot import Counts, Status, take

FREE_SPACE_MARGIN = 1.05
NAME_MAX_BYTES = 255 - len(".Data")   # NAME.Data must fit in one path component


@dataclass(frozen=True)
class RestoreResult:
    enl: Path
    counts: Counts
    attachment_files: int

    def to_json(self) -> dict[str, object]:
        return {"library": str(self.enl), "attachment_files": self.attachment_files,
                "counts": {"references": self.counts.references, "trashed": self.counts.trashed,
                           "attachments": self.counts.attachments, "groups": self.counts.groups}}


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or "\x00" in name or name in (".", "..") or name.strip() != name:
        raise UsageError(f"{name!r} is not a usable library name")
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
        raise ArchiveRejected(f"{archive} is an X-era compressed library; open it in EndNote itself")
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
        _extract(archive, staged)
        (scratch / f"{name}.enl").write_bytes(b"Eds1")  # EndNote 20+'s stub: the data lives in Name.Data
        library = Library(scratch / f"{name}.enl", name, scratch / f"{name}.enl", staged, Layout.SQLITE)
        snap = take(library, integrity=True)
        if snap.status is not Status.OK or snap.counts != proof.counts:
            raise BackupError(f"the restored library does not match the backup ({snap.problem or snap.counts}); "
                              "nothing was kept")
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
    return RestoreResult(enl, proof.counts, len(proof.attachments))


def _take_back(placed: list[Path]) -> None:
    """Remove what this restore already put in place (only ours: it was created without replacing anything)."""
    for path in placed:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _extract(archive: Path, target: Path) -> None:
    target.mkdir(parents=True)
    root = target.resolve()
    with open_archive(archive) as (source, infos):
        for info in infos:
            destination = (target / info.filename).resolve()
            if destination != root and root not in destination.parents:
                raise ArchiveRejected(f"{archive}: member {info.filename!r} would land outside the library")
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            extract_member(source, info, destination, archive)
