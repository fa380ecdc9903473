"""What a drop in references, an emptied Trash or a stuck change is measured against, and libraries gone from
their path that are looked for again.

A drop is measured against the last healthy reading of the *same* library. When another library's
database was written over the watched one (its database id, misc 14, changed: ENDNOTE-FORMAT.md),
or the database is another file (device/inode; the test reading/incremental.py makes for "replaced"),
the new database starts a new baseline: comparing it with the old one would report losses that
never happened.

A library that left its path (moved away and back, a folder restored) is looked for again after
RELOOK_SECONDS and whenever an event arrives at its path, rather than only at the next full pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from endnoted.reading.library import Library
from endnoted.reading.model import Snapshot
from endnoted.state.records import SnapshotRow

FileId = tuple[int, int]   # st_dev, st_ino
RELOOK_SECONDS = (1.0, 5.0, 30.0, 120.0)


def file_id(library: Library) -> FileId | None:
    """Given a library, return its database file's identity now, or None (no SQLite database, or not there)."""
    database = library.database
    if database is None:
        return None
    try:
        stat = os.stat(database)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def replaced(last: SnapshotRow, snap: Snapshot, before: FileId | None, now: FileId | None) -> str | None:
    """Given the last healthy reading stored, this reading and the database file's identity at both, say why
    this is not the same library's database any more, or None."""
    if not snap.ok:
        return None
    if last.db_id != snap.db_id:
        return "its database id (misc 14) changed: another library's database is at this path now"
    if before is not None and now is not None and before != now:
        return "its database is another file now (it was replaced)"
    return None


class Lost:
    """Libraries gone from their path, looked for again a bounded number of times (RELOOK_SECONDS)."""

    def __init__(self, later: Callable[[str, float], None]) -> None:
        self._later = later                       # look again for this key after so many seconds
        self._libraries: dict[str, Library] = {}
        self._looks: dict[str, int] = {}          # looks since the library was last read where it is

    def gone(self, key: str, library: Library) -> None:
        self._libraries[key] = library
        self._next(key)

    def _next(self, key: str) -> None:
        looks = self._looks.get(key, 0)
        if looks < len(RELOOK_SECONDS):
            self._looks[key] = looks + 1
            self._later(key, RELOOK_SECONDS[looks])

    def back(self, key: str) -> Library | None:
        """Given a key, return its library if it is gone and at its path again (no longer lost then), else None."""
        library = self._libraries.get(key)
        if library is None:
            return None
        if not library.path.exists():
            self._next(key)
            return None
        del self._libraries[key]
        return library

    def keys(self) -> set[str]:
        """The libraries gone from their path and still held here (found again where they were, they are read)."""
        return set(self._libraries)

    def read(self, key: str) -> None:
        """The library was read where it is: forget it was ever lost."""
        self._libraries.pop(key, None)
        self._looks.pop(key, None)
