"""One error tree and the exit statuses every command shares.

Exit statuses are an API (README, "Exit codes"): scripts and help desks depend on them.
"""

from __future__ import annotations

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
