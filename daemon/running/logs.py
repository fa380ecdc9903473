"""Where endnoted's log lines go on each platform, and in what form.

- Under systemd, stderr is a journald stream (systemd sets `JOURNAL_STREAM` to its device and inode):
  lines carry a `<priority>` prefix, so `journalctl -p warning` filters them, and no timestamp of
  our own, since the journal stamps every line already.
- Otherwise the daemon writes a rotating log file in the platform's log folder (platformdirs'
  `user_log_dir`): on Windows the logon task runs `pythonw`, whose stderr is None, and on macOS
  launchd never rotates the files it is given. In a terminal, the lines also go to stderr; elsewhere
  one line on stderr says where the file is.
- One-shot commands (`check`, `status`, …) log warnings to stderr only.

`report` adds the (redacted) tail of the log file to the support bundle.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from endnoted.common import paths

LOG_NAME = "endnoted.log"
MAX_BYTES = 1_000_000
BACKUPS = 4
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LIBRARIES = ("click", "watchdog", "APScheduler", "sqlite-utils", "psutil", "platformdirs", "desktop-notifier",
             "notify-py", "jeepney")

# syslog priorities (sd-daemon(3)): what `journalctl -p` filters on.
_PRIORITY = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


@dataclass(frozen=True)
class Placement:
    """Where this process's log lines go: `journald`, `file` (with its path) or `stderr`."""

    kind: str
    file: Path | None = None
    also_stderr: bool = False


class JournalFormatter(logging.Formatter):
    """`<4>endnoted.running.notify: …`: every line of a record (tracebacks too) gets the priority prefix."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        priority = next((value for level, value in _PRIORITY if record.levelno >= level), 7)
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines() or [""])


def under_journald(stream: TextIO | None, env: Mapping[str, str]) -> bool:
    """True when `stream` is the journal stream systemd gave us (not merely inherited by a child shell)."""
    value = env.get("JOURNAL_STREAM", "")
    if stream is None or ":" not in value:
        return False
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (e.g. a test's StringIO)
        return False
    device, inode = value.split(":", 1)
    return f"{info.st_dev}:{info.st_ino}" == f"{device}:{inode}"


def log_file(folder: Path | None = None) -> Path:
    return (folder or paths.log_dir()) / LOG_NAME


def _private_file_handler(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        path.parent.chmod(0o700)
    # Imported here: logging.handlers pulls in socket and pickle (about 10 ms), and only the daemon
    # writes a file; every other command logs to stderr (start-up time, issue 16).
    from endnoted.running.logfile import PrivateRotatingFileHandler

    handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def placement(*, daemon: bool, stream: TextIO | None, env: Mapping[str, str], folder: Path | None = None) -> Placement:
    """Given how we run, the stderr we have and the environment, return where the log lines should go."""
    if under_journald(stream, env):
        return Placement("journald")
    if daemon:
        interactive = stream is not None and hasattr(stream, "isatty") and stream.isatty()
        return Placement("file", log_file(folder), also_stderr=interactive)
    return Placement("stderr")


def setup(verbosity: int, *, daemon: bool = False, stream: TextIO | None = None, env: Mapping[str, str] | None = None,
          folder: Path | None = None) -> Placement:
    """Configure the root logger for this process; return where lines go. The CLI calls this once."""
    stream = sys.stderr if stream is None and sys.stderr is not None else stream
    env = os.environ if env is None else env
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(max(-1, min(verbosity, 2)), logging.DEBUG)
    if daemon:
        level = min(level, logging.INFO)   # a service's log says what it did
    where = placement(daemon=daemon, stream=stream, env=env, folder=folder)
    handlers: list[logging.Handler] = []
    if where.kind == "journald":
        journal = logging.StreamHandler(stream)
        journal.setFormatter(JournalFormatter())
        handlers.append(journal)
    else:
        if where.file is not None:
            try:
                handlers.append(_private_file_handler(where.file))
            except OSError as error:  # an unwritable log folder must not stop the daemon: fall back to stderr
                where = Placement("stderr")
                if stream is not None:
                    print(f"endnoted: cannot write the log file ({error}); logging to stderr", file=stream)
        if stream is not None and (where.kind == "stderr" or where.also_stderr):
            console = logging.StreamHandler(stream)
            console.setFormatter(logging.Formatter(FORMAT))
            handlers.append(console)
        elif stream is not None and where.file is not None:
            # Lines go only to the file: one line on stderr says where, or whoever started us sees nothing.
            print(f"endnoted: the daemon logs to {where.file}", file=stream, flush=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every job run at INFO; our own log already says what happened.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    return where


def library_versions(names: Iterable[str] = LIBRARIES) -> dict[str, str]:
    # Imported here: every CLI command imports this module to set up logging, and importlib.metadata
    # costs about 14 ms of start-up that only the daemon's first log line needs (issue 16).
    import importlib.metadata

    found = {"python": sys.version.split()[0]}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def startup_line(version: str, *, libraries: Iterable[Path], scan_roots: Iterable[Path],
                 export_folders: Iterable[Path], notifier: str, versions: Mapping[str, str] | None = None) -> str:
    """The one line the daemon logs at start: what runs, with what, and where it looks."""
    versions = library_versions() if versions is None else versions
    libs = ", ".join(f"{name} {value}" for name, value in versions.items())
    named = ", ".join(map(str, libraries)) or "none named"
    return (f"endnoted {version} starting ({libs}); notifier: {notifier}; libraries: {named}; "
            f"scanning: {', '.join(map(str, scan_roots)) or 'nothing'}; "
            f"Web exports from: {', '.join(map(str, export_folders)) or 'nowhere'}")


def tail(path: Path | None = None, *, lines: int = 200) -> str:
    """The last `lines` lines of the log file (empty when there is none); the caller redacts them."""
    path = path or log_file()
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * lines))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
