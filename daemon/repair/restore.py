"""Restore a `.enlx` into a new `Name.enl` + `Name.Data`: proven first, written aside, proven again, then moved in.

Never writes over an existing library; refuses members that could escape the target folder,
zip bombs, and targets without room for the expanded archive.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from endnoted.common.errors import ArchiveRejected, BackupError, UsageError
from endnoted.reading.enlx import CHUNK, prove
from endnoted.reading.library import Layout, Library
from endnoted.reading.snapshot import Counts, Status, take

FREE_SPACE_MARGIN = 1.05


@dataclass(frozen=True)
class RestoreResult:
    enl: Path
    counts: Counts
    attachment_files: int

    def to_json(self) -> dict[str, object]:
        return {"library": str(self.enl), "attachment_files": self.attachment_files,
                "counts": {"references": self.counts.references, "trashed": self.counts.trashed,
                           "attachments": self.counts.attachments, "groups": self.counts.groups}}


def restore(archive: Path, to: Path, name: str | None = None) -> RestoreResult:
    """Given a `.enlx`, a folder and a library name, create NAME.enl + NAME.Data there and prove them."""
    proof = prove(archive)
    if proof.legacy or proof.counts is None:
        raise ArchiveRejected(f"{archive} is an X-era compressed library; open it in EndNote itself")
    name = name or archive.stem
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise UsageError(f"{name!r} is not a usable library name")
    to.mkdir(parents=True, exist_ok=True)
    enl, data = to / f"{name}.enl", to / f"{name}.Data"
    if enl.exists() or data.exists():
        raise UsageError(f"a library named {name} already exists in {to}; endnoted never writes over a library "
                         "(choose another --name or folder)")
    free = shutil.disk_usage(to).free
    if proof.expanded_bytes * FREE_SPACE_MARGIN > free:
        raise BackupError(f"not enough free space in {to}: the library needs {proof.expanded_bytes >> 20} MB, "
                          f"{free >> 20} MB are free")
    scratch = Path(tempfile.mkdtemp(prefix=f".endnoted-restoring-{os.getpid()}-", dir=to))
    try:
        staged = scratch / f"{name}.Data"
        _extract(archive, staged)
        (scratch / f"{name}.enl").write_bytes(b"Eds1")  # EndNote 20+'s stub: the data lives in Name.Data
        library = Library(scratch / f"{name}.enl", name, scratch / f"{name}.enl", staged, Layout.SQLITE)
        snap = take(library, integrity=True)
        if snap.status is not Status.OK or snap.counts != proof.counts:
            raise BackupError(f"the restored library does not match the backup ({snap.problem or snap.counts}); "
                              "nothing was kept")
        os.rename(staged, data)
        os.rename(scratch / f"{name}.enl", enl)
    except OSError as error:
        raise BackupError(f"cannot restore into {to}: {error.strerror or error}; nothing was kept") from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return RestoreResult(enl, proof.counts, len(proof.attachments))


def _extract(archive: Path, target: Path) -> None:
    target.mkdir(parents=True)
    root = target.resolve()
    with zipfile.ZipFile(archive) as source:
        for info in source.infolist():
            destination = (target / info.filename).resolve()
            if destination != root and root not in destination.parents:
                raise ArchiveRejected(f"{archive}: member {info.filename!r} would land outside the library")
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with source.open(info) as member, destination.open("xb") as sink:
                shutil.copyfileobj(member, sink, CHUNK)
