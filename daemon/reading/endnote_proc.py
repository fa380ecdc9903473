"""Is EndNote running, since when, and which library has it open? (psutil; current user only.)

Process names (PLATFORM.md §6): `EndNote.exe` on Windows, `EndNote 21` style on macOS; Linux
truncates names to 15 characters. A snapshot: "not open" means "not known to be open".
"""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EndNoteProcess:
    pid: int
    name: str
    started: float            # process create time: a restart gives a new one
    open_libraries: tuple[Path, ...]

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "name": self.name, "started": self.started,
                "open_libraries": [str(p) for p in self.open_libraries]}


def _is_endnote(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("endnote", "endnote.exe") or lowered.startswith("endnote ")


def _open_libraries(process: psutil.Process) -> tuple[Path, ...]:
    try:
        files = process.open_files()
    except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess, OSError):
        return ()
    found = []
    for item in files:
        path = Path(item.path)
        if path.suffix.lower() == ".enl":
            found.append(path)
        elif path.name == "sdb.eni" and path.parent.name == "sdb":
            found.append(path.parent.parent.with_suffix(".enl"))
    return tuple(dict.fromkeys(found))


def find_endnote() -> list[EndNoteProcess]:
    """Return the EndNote processes of the current user, oldest first."""
    try:
        me = getpass.getuser()
    except (KeyError, OSError):
        me = None
    found = []
    for process in psutil.process_iter(["pid", "name", "exe", "username", "create_time"]):
        info = process.info
        name = info.get("name") or ""
        exe = Path(info.get("exe") or "").name
        if not (_is_endnote(name) or _is_endnote(exe)):
            continue
        if me and info.get("username") and info["username"].split("\\")[-1] != me:
            continue
        found.append(EndNoteProcess(info["pid"], name or exe, info.get("create_time") or 0.0,
                                    _open_libraries(process)))
    return sorted(found, key=lambda p: p.started)
