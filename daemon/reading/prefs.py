"""EndNote's own preferences: which library it syncs and which it opened recently.

macOS: `~/Library/Preferences/com.ThomsonResearchSoft.EndNote.plist`, key `SyncLibraryPath`
(ENDNOTE-FORMAT.md §3); recent-library key names are not documented, so every string value that
names a `.enl` is taken as a recent library. Windows: `HKCU\\Software\\ISI ResearchSoft\\EndNote`
(`Recent Libraries`, `Preferences`), best effort: value names for sync are not documented.
"""

from __future__ import annotations

import logging
import os
import plistlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

logger = logging.getLogger(__name__)

PLIST_NAME = "com.ThomsonResearchSoft.EndNote.plist"
REGISTRY_KEY = r"Software\ISI ResearchSoft\EndNote"


@dataclass(frozen=True)
class EndNotePrefs:
    sync_library: Path | None = None
    recent: tuple[Path, ...] = ()
    sources: tuple[Path, ...] = ()


def plist_path(home: Path | None = None) -> Path:
    home = home or Path(os.environ.get("HOME") or Path.home())
    return home / "Library" / "Preferences" / PLIST_NAME


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        # Some keys hold bookmark or alias data; a POSIX path inside is readable as text.
        for chunk in value.split(b"\x00"):
            if chunk.lower().endswith(b".enl") and chunk.startswith(b"/"):
                yield chunk.decode("utf-8", "replace")
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _as_path(text: str) -> Path | None:
    text = text.strip()
    if text.startswith("file://"):
        text = unquote(urlparse(text).path)
    return Path(text) if text.lower().endswith(".enl") and (text.startswith("/") or text[1:3] == ":\\") else None


def read_plist(path: Path) -> EndNotePrefs:
    """Given a macOS EndNote preferences plist, return what it says; an unreadable file gives empty prefs."""
    try:
        with path.open("rb") as handle:
            data = plistlib.load(handle)
    except (OSError, plistlib.InvalidFileException, ValueError) as error:
        logger.debug("cannot read EndNote preferences %s: %s", path, error)
        return EndNotePrefs()
    if not isinstance(data, dict):
        return EndNotePrefs()
    sync = data.get("SyncLibraryPath")
    sync_path = _as_path(sync) if isinstance(sync, str) else None
    recent = [p for text in _strings(data) if (p := _as_path(text)) is not None and p != sync_path]
    return EndNotePrefs(sync_path, tuple(dict.fromkeys(recent)), (path,))


def _read_registry() -> EndNotePrefs:  # pragma: no cover - Windows only
    if sys.platform != "win32":  # also lets type checkers elsewhere skip the winreg calls
        return EndNotePrefs()
    import winreg  # here: the module exists on Windows only

    found: list[Path] = []
    for sub in ("Recent Libraries", "Preferences"):
        try:
            key = winreg.OpenKey(winreg.HKEY_CURRENT_USER, REGISTRY_KEY + "\\" + sub)
        except OSError:
            continue
        with key:
            index = 0
            while True:
                try:
                    _name, value, _kind = winreg.EnumValue(key, index)
                except OSError:
                    break
                index += 1
                found.extend(p for text in _strings(value) if (p := _as_path(text)) is not None)
    return EndNotePrefs(None, tuple(dict.fromkeys(found)), ())


def read(home: Path | None = None) -> EndNotePrefs:
    """Return EndNote's preferences for this user, from whatever this platform keeps (empty when none)."""
    plist = plist_path(home)
    if plist.exists():
        return read_plist(plist)
    if sys.platform.startswith("win"):
        try:
            return _read_registry()
        except OSError as error:  # pragma: no cover
            logger.warning("cannot read EndNote's registry preferences: %s", error)
    return EndNotePrefs()
