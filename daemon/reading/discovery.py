"""Which libraries to watch, and why: the config, EndNote's own preferences, and a bounded scan."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from endnoted.common.config import Config
from endnoted.common.errors import LibraryNotFound
from endnoted.reading import prefs
from endnoted.reading.library import Library, libraries_in, locate

logger = logging.getLogger(__name__)
_SKIP = {"node_modules", "Library", "AppData", ".git", "__pycache__", ".cache", "site-packages", "venv", ".venv",
         "Applications", "Pictures", "Music", "Movies", "Videos"}
SCAN_SECONDS = 5.0


@dataclass(frozen=True)
class Found:
    library: Library
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.library.path), "format": self.library.format, "reasons": list(self.reasons)}


def _scan(root: Path, depth: int, deadline: float) -> Iterable[Library]:
    """Walk `root` down to `depth` folders, skipping hidden and system folders, until the deadline."""
    if not root.is_dir():
        return
    stack = [(root, 0)]
    while stack and time.monotonic() < deadline:
        folder, level = stack.pop()
        yield from libraries_in(folder)
        if level >= depth:
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if (entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") and entry.name not in _SKIP
                    and not entry.name.lower().endswith((".data", ".enlp"))):
                stack.append((Path(entry.path), level + 1))


def discover(config: Config, extra: Iterable[Path] = (), *, scan: bool = True,
             watched: Iterable[Path] = ()) -> list[Found]:
    """Given the config and paths from the command line, return every library to watch with its reasons.

    `watched`: the libraries the running daemon watches now (`endnoted libraries` passes its recorded watch
    set): some were named on its own command line, which nothing else here knows of."""
    found: dict[Path, tuple[Library, list[str]]] = {}

    def add(library: Library, reason: str) -> None:
        entry = found.setdefault(library.path, (library, []))
        if reason not in entry[1]:
            entry[1].append(reason)

    def add_path(path: Path, reason: str) -> None:
        try:
            for library in locate(path):
                add(library, reason)
        except LibraryNotFound as error:
            logger.warning("%s (%s)", error, reason)

    for path in extra:
        add_path(path, "named on the command line")
    for path in config.libraries:
        add_path(path, f"listed in {config.source or 'the config'}")
    endnote = prefs.read()
    if endnote.sync_library is not None and endnote.sync_library.exists():
        add_path(endnote.sync_library, "EndNote's sync library (preferences)")
    for path in endnote.recent:
        if path.exists():
            add_path(path, "recently opened in EndNote (preferences)")
    if scan:
        deadline = time.monotonic() + SCAN_SECONDS
        for root in config.scan_roots:
            depth = 0 if root == Path.home() or root == Path(os.environ.get("HOME", "/nonexistent")) else \
                config.scan_depth
            for library in _scan(root, depth, deadline):
                add(library, f"found under {root}")
    for path in watched:
        add_path(path, "watched by the running daemon")
    return [Found(library, tuple(reasons)) for library, reasons in found.values()]
