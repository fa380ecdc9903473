"""One error tree and the exit statuses every command shares.

Exit statuses are an API (README, "Exit codes"): scripts and help desks depend on them.
"""

from __future__ import annotations

import errno
import os
from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0        # every library in-sync, pending or not-synced
    ERROR = 1          # endnoted itself failed
    USAGE = 2          # bad command line, or nothing usable at the path given
    ATTENTION = 3      # a library is stale or unknown; compare: only duplicates differ
    DIVERGED = 4       # a library is diverged or damaged; compare: references missing
    NOT_RUNNING = 5    # status: the daemon is not running, the state shown is not current
    INTERRUPTED = 130  # 128 + SIGINT


class EndnotedError(Exception):
    """Base class: an expected failure with a message fit for the user."""

    exit_status = ExitStatus.ERROR


class UsageError(EndnotedError):
    """The command line names something that is not there or not usable."""

    exit_status = ExitStatus.USAGE


class LibraryNotFound(UsageError):
    """No EndNote library (.enl + .Data folder, or .enlx) where we were told to look."""


class LibraryVanished(LibraryNotFound):
    """The library was moved, renamed or deleted while endnoted read it (exit as for a missing library).

    Not damage: the file was sound a moment ago and is simply no longer at its path. The daemon
    takes it as "gone" (it finds the library again under its new name on its next pass).
    """

    def __init__(self, path: object, doing: str = "read it", after: str = "") -> None:
        super().__init__(f"{path} went away while endnoted {doing} (moved, renamed or deleted){after}; "
                         "check where the library is now and name it again")
        self.path = path


class PathTooLong(LibraryNotFound):
    """A path longer than the filesystem takes (ENAMETOOLONG: a name over 255 bytes, a path over PATH_MAX).

    A usage error, never damage: the file may be sound, it is only out of reach by that path. The
    daemon takes it as any library it cannot find (discovery logs it and goes on).
    """

    def __init__(self, path: object, what: str = "a path", fix: str = "use a shorter one") -> None:
        text = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else str(path)
        # Shortened, keeping its last name whole (up to 100 characters): a 5000-character path does not
        # fit in one clear line, and the name says which file it is.
        tail = min(max(30, len(os.path.basename(text)) + 1), 100)
        shown = text if len(text) <= 40 + tail else f"{text[:40]}…{text[-tail:]}"
        super().__init__(f"{what} is a path too long for the filesystem ({len(text)} characters: {shown}); {fix}")
        self.path = path


def too_long(path: str | os.PathLike[str]) -> bool:
    """Whether the OS refuses `path` as too long (ENAMETOOLONG), asked of the OS itself so each platform's limits hold."""
    try:
        os.lstat(path)
    except OSError as error:
        return error.errno == errno.ENAMETOOLONG
    except ValueError:   # a NUL byte: not a question of length
        return False
    return False


def is_too_long(error: BaseException) -> bool:
    """Whether an error is the OS refusing a path as too long (it may surface from any file operation)."""
    return isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG


def expected(error: BaseException) -> EndnotedError | None:
    """Given an error no code below the CLI turned into ours, return the EndnotedError it is, or None (a bug).

    The safety net of the one place errors become output (cli/app.py `_Group.invoke`, and cli/quick.py
    for the lean `status`): the OS refusing a path as too long may surface from any file operation,
    and is always the path's fault, never endnoted's.
    """
    if is_too_long(error):
        filename = getattr(error, "filename", None)
        if filename is None:
            return UsageError("a path endnoted was given or found is too long for the filesystem; use a shorter one")
        return PathTooLong(filename)
    return None


class NotWatched(UsageError):
    """`status PATH` or `history PATH` named a library the daemon has no record of (it does not watch it)."""

    def __init__(self, path: object) -> None:
        super().__init__(f'{path} is not watched by endnoted: endnoted check "{path}", '
                         "or add it to `libraries` in the config")


class ConfigError(EndnotedError):
    """The configuration file is unreadable or holds bad values (all of them are listed)."""


class StateStoreError(EndnotedError):
    """Our own SQLite state file cannot be opened, migrated or written."""


class StateDiskFull(StateStoreError):
    """The disk holding endnoted's state folder is full: nothing can be recorded until there is room."""

    def __init__(self, folder: object) -> None:
        super().__init__(f"the disk holding endnoted's state folder {folder} is full; free some space there "
                         "(or set ENDNOTED_STATE_DIR to a folder on another disk)")


class DatabaseUnreadable(EndnotedError):
    """A library database is present but cannot be opened or read (damaged)."""


class InterruptedWrite(DatabaseUnreadable):
    """A write was cut off (EndNote crashed mid-save): a hot journal waits for EndNote to roll it back.

    A read-only reader may not roll it back itself, and endnoted never writes, so the library is not
    read until EndNote has opened it once. It is not damaged.
    """


class DatabaseBusy(EndnotedError):
    """EndNote holds the library database locked longer than we are willing to wait."""


class ExportError(EndnotedError):
    """A Web export cannot be read: empty, unknown format, malformed or hostile."""

    exit_status = ExitStatus.USAGE


class BackupError(EndnotedError):
    """A backup could not be written or did not prove itself; nothing was left behind."""


class ArchiveRejected(EndnotedError):
    """A .enlx archive is not a sound EndNote compressed library (or is hostile)."""

    exit_status = ExitStatus.DIVERGED


class AlreadyRunning(EndnotedError):
    """Another endnoted daemon (or reset wizard) already holds the lock."""


class WizardStopped(EndnotedError):
    """The reset wizard stopped at a question nobody could answer (no terminal, no stdin)."""

    exit_status = ExitStatus.ATTENTION
