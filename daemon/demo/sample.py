"""`endnoted demo`: a small EndNote-format library with a realistic sync problem, checked on the spot."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from endnoted.common import paths
from endnoted.common.errors import UsageError
from endnoted.demo.builder import LibrarySpec, RefSpec, build, synthetic_refs

DEMO_NAME = "Demo Library"
# A file that says "endnoted made this folder": only a folder holding it is ever replaced or removed.
MARKER = ".endnoted-demo"


def demo_folder() -> Path:
    """Given the environment, return where `endnoted demo` keeps its library (in endnoted's data folder)."""
    return paths.data_dir() / "demo"


def build_demo(folder: Path, *, now: datetime | None = None) -> Path:
    """Given a folder, write the demo library into it and return its `.enl`.

    The story: a library last synced 3 days ago. Five references were imported by a plug-in the
    week before that sync and never got a sync record (EndNote Web lacks them: diverged), two
    were edited since, and one attachment file went missing.
    """
    now = now or datetime.now(UTC)
    last_sync = now - timedelta(days=3)
    refs = synthetic_refs(40, seed=7, attachments=4)
    before = int((last_sync - timedelta(days=7)).timestamp())
    for ref in refs[:5]:
        ref.synced, ref.added, ref.updated = False, before, before
    for ref in refs[5:7]:
        ref.updated = int((now - timedelta(hours=5)).timestamp())
    refs[3].attachment_missing = True
    refs.append(RefSpec("Blue light for acne: a trial that was deleted", trashed=True))
    return build(folder, LibrarySpec(name=DEMO_NAME, refs=refs, last_sync=last_sync, groups=3))


def _ours(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def make_demo(folder: Path | None = None, *, now: datetime | None = None) -> Path:
    """Given a folder (default: the data folder's `demo`), build a fresh demo library there and return its `.enl`.

    The library is kept, so the commands the demo suggests work on it afterwards. A folder made by an
    earlier demo is replaced (the story is told relative to now); any other non-empty folder is refused.
    """
    folder = folder or demo_folder()
    if folder.exists():
        if not folder.is_dir():
            raise UsageError(f"{folder} is a file, not a folder for the demo library")
        if _ours(folder):
            shutil.rmtree(folder)
        elif any(folder.iterdir()):
            raise UsageError(f"{folder} is not empty and was not made by endnoted demo; name an empty folder")
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)   # endnoted's data folder is private
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / MARKER).write_text("made by `endnoted demo`; `endnoted demo --clean` removes this folder\n",
                                 encoding="utf-8")
    return build_demo(folder, now=now)


def clean_demo(folder: Path | None = None) -> Path | None:
    """Remove the demo library's folder; return it, or None when there was nothing to remove.

    Only a folder holding the demo's marker is removed: never anything endnoted did not make.
    """
    folder = folder or demo_folder()
    if not folder.exists():
        return None
    if not _ours(folder):
        raise UsageError(f"{folder} was not made by endnoted demo; not removing it")
    shutil.rmtree(folder)
    return folder
