"""watchdog observers for libraries, EndNote's preference files and the folders where Web exports land.

- Only writes count: open and close-without-write events are filtered out, so our own read-only
  reads never trigger a new reading (PLATFORM.md §2 measured 2 such events per read).
- Events are keyed to their library (`-journal`, `-wal`, `-shm` belong to their database) and
  handed to the debouncer; the work happens elsewhere, never on the observer's thread.
- Network and cloud folders get a PollingObserver: inotify/FSEvents only see local writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from endnoted.reading.library import Library
from endnoted.reading.locations import cloud_provider, network_filesystem

logger = logging.getLogger(__name__)
EVENT_FILTER = [FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileDeletedEvent, FileClosedEvent]
EXPORT_SUFFIXES = {".xml", ".ris", ".txt", ".tab", ".tsv"}


@dataclass(frozen=True)
class Target:
    """A thing to watch and the key its events are reported under."""

    key: str            # "library:<path>", "export:<folder>", "prefs:<file>"
    folder: Path
    recursive: bool
    accepts: Callable[[Path], bool]


def library_targets(library: Library) -> list[Target]:
    key = f"library:{library.path}"
    targets = []
    if library.enl is not None:
        enl: Path = library.enl
        targets.append(Target(key, enl.parent, False, enl.__eq__))
    if library.data_dir is not None:
        sdb = library.data_dir / "sdb"
        targets.append(Target(key, sdb, False, lambda p: p.name.split("-")[0] in ("sdb.eni",)))
        pdf = library.data_dir / "PDF"
        if pdf.is_dir():
            targets.append(Target(key, pdf, True, lambda p: True))
    return targets


def export_target(folder: Path) -> Target:
    return Target(f"export:{folder}", folder, False,
                  lambda p: p.suffix.lower() in EXPORT_SUFFIXES and not p.name.startswith("."))


def prefs_target(file: Path) -> Target:
    return Target(f"prefs:{file}", file.parent, False, file.__eq__)


class _Handler(FileSystemEventHandler):
    def __init__(self, targets: list[Target], notify: Callable[[str, Path], None]) -> None:
        self.targets = targets
        self.notify = notify
        self.last: Path | None = None   # the file of the last event delivered, accepted or not (Watcher.last_event)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        for raw in filter(None, paths):
            path = Path(raw if isinstance(raw, str) else raw.decode())
            self.last = path
            for target in self.targets:
                inside = path.parent == target.folder or (target.recursive and target.folder in path.parents)
                if inside and target.accepts(path):
                    self.notify(target.key, path)


class _Appearing(FileSystemEventHandler):
    """Watches the nearest existing parent of folders that do not exist yet (a Downloads folder made after
    the daemon started): when one of them, or a folder on the way to it, appears, says so under the key
    `appeared:<folder>`, and the daemon's next pass (which that key starts) watches it from then on."""

    def __init__(self, notify: Callable[[str, Path], None]) -> None:
        self.notify = notify
        self.awaited: set[Path] = set()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            return
        for raw in filter(None, (event.src_path, getattr(event, "dest_path", ""))):
            path = Path(raw if isinstance(raw, str) else raw.decode())
            for folder in sorted(self.awaited):
                if path == folder or path in folder.parents:
                    self.notify(f"appeared:{folder}", folder)


def nearest_existing(folder: Path) -> Path | None:
    return next((parent for parent in folder.parents if parent.is_dir()), None)


def needs_polling(folder: Path, mounts: tuple[tuple[str, str], ...]) -> bool:
    return cloud_provider(folder / "x") is not None or network_filesystem(folder, mounts) is not None


class Watcher:
    """Owns the observers; `watch` may be called again as libraries are discovered."""

    def __init__(self, notify: Callable[[str, Path], None], *, mounts: tuple[tuple[str, str], ...] = (),
                 poll_seconds: float = 10.0) -> None:
        self._notify = notify
        self._mounts = mounts
        self._native: BaseObserver = Observer()
        self._polling: BaseObserver = PollingObserver(timeout=poll_seconds)
        self._handlers: dict[tuple[Path, bool, bool], _Handler] = {}
        self._keys: set[tuple[str, Path]] = set()
        self._appearing: dict[Path, _Appearing] = {}   # parent watched → the missing folders awaited there

    def start(self) -> None:
        self._native.start()
        self._polling.start()

    def stop(self) -> None:
        for observer in (self._native, self._polling):
            observer.stop()
        for observer in (self._native, self._polling):
            if observer.is_alive():
                observer.join(timeout=2)

    def last_event(self, folder: Path) -> Path | None:
        """The file of the last event delivered for a watched folder, including files no target accepts.

        The OS delivers one folder's events in order, so once the event of a file written after some
        others shows here, every earlier event in that folder has been handed on (tests wait on this
        instead of sleeping through the delivery delay).
        """
        handlers = [handler for (watched, _, _), handler in self._handlers.items() if watched == folder]
        return handlers[0].last if len(handlers) == 1 else None

    def watch(self, targets: Iterable[Target]) -> None:
        for target in targets:
            if (target.key, target.folder) in self._keys:
                continue
            if not target.folder.is_dir():
                self._await(target.folder)
                continue
            polled = needs_polling(target.folder, self._mounts)
            slot = (target.folder, target.recursive, polled)
            handler = self._handlers.get(slot)
            if handler is None:
                handler = _Handler([], self._notify)
                observer = self._polling if polled else self._native
                try:
                    observer.schedule(handler, str(target.folder), recursive=target.recursive,
                                      event_filter=EVENT_FILTER)
                except OSError as error:  # e.g. inotify watch limit reached: the full pass still covers it
                    logger.warning("cannot watch %s: %s; it is checked on the periodic pass only", target.folder, error)
                    continue
                self._handlers[slot] = handler
            handler.targets.append(target)
            self._keys.add((target.key, target.folder))

    def _await(self, folder: Path) -> None:
        """Watch the nearest existing parent of a missing folder for it (or a folder on its way) to appear."""
        parent = nearest_existing(folder)
        if parent is None:
            return
        handler = self._appearing.get(parent)
        if handler is None:
            handler = _Appearing(self._notify)
            observer = self._polling if needs_polling(parent, self._mounts) else self._native
            try:
                observer.schedule(handler, str(parent), recursive=False, event_filter=[DirCreatedEvent, DirMovedEvent])
            except OSError as error:   # the periodic pass still watches the folder once it exists
                logger.warning("cannot watch %s for %s to appear: %s", parent, folder, error)
                return
            self._appearing[parent] = handler
        handler.awaited.add(folder)
