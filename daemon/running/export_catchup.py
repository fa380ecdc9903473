"""The Web exports no file event told the daemon of: those saved while it was not running, or into an export
folder before it was watched (a Downloads folder made after the daemon started).

The watcher hands on only exports written while it watches (running/watcher.py). Nothing in DESIGN.md §3 or the
daemon's code meant an export already there at start to be ignored: it was simply never looked at, so a user who
saved an export and then (re)started the daemon saw nothing compared. So at start and on every full pass the
newest export of each watched folder is compared, once: every export the daemon looks at is recorded (path,
modification time, size: `exports_seen`), and one already looked at, as it is now, is not looked at again.
Only the newest: older files in Downloads are history the user has moved past, and comparing each of them at
every start would read every export ever saved. An export older than its library's last sync is matched but
not used (runner._export_for), as for one that arrives while the daemon runs.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from endnoted.running.watcher import export_target
from endnoted.state.store import Store

logger = logging.getLogger(__name__)


def newest(folder: Path) -> Path | None:
    """The most recently modified file in `folder` the export watcher would hand on (its suffixes), or None."""
    accepts = export_target(folder).accepts
    best: tuple[float, str] | None = None
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if not entry.is_file() or not accepts(Path(entry.path)):
                        continue
                    stamp = (entry.stat().st_mtime, entry.name)
                except OSError:   # gone between listing and looking: not an export to compare
                    continue
                if best is None or stamp > best:
                    best = stamp
    except OSError:   # no such folder (yet), or not ours to list: the watcher says why, once
        return None
    return None if best is None else folder / best[1]


def unseen(folders: Iterable[Path], store: Store | None, lock: threading.Lock) -> list[Path]:
    """Given the export folders, the newest export of each that the daemon never looked at (as it is now)."""
    found = []
    for folder in folders:
        if (path := newest(folder)) is None:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        assert store is not None
        with lock:
            if not store.export_seen(str(path), stat.st_mtime, stat.st_size):
                found.append(path)
    if found:
        logger.info("Web exports never compared: %s", ", ".join(map(str, found)))
    return found


def seen(store: Store | None, lock: threading.Lock, path: Path) -> None:
    """Record that the daemon looked at this export (matched, unmatched or unreadable): never again, as it is."""
    try:
        stat = path.stat()
    except OSError:   # gone already: nothing to remember
        return
    assert store is not None
    with lock:
        store.record_export_seen(str(path), stat.st_mtime, stat.st_size)
