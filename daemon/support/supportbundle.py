"""`endnoted report`: a zip a help desk can read, with personal data taken out.

Personal data: account e-mail addresses, sync user ids and author names (ENDNOTE-FORMAT.md). The
store never holds the first two or author lists; as a second line of defence every text in the
bundle passes through `redact`, which also hides the user's home folder and name.
"""

from __future__ import annotations

import getpass
import importlib.metadata
import json
import os
import platform
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from endnoted import __version__
from endnoted.common import config, paths
from endnoted.common.errors import StateStoreError
from endnoted.common.timefmt import now_z
from endnoted.reading.endnote_proc import find_endnote
from endnoted.running import logs
from endnoted.state.history import timeline
from endnoted.state.status import status
from endnoted.state.store import Store

# Unicode-aware (\w): an address like zoë.müller@uni-köln.de in a folder name is personal data too.
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_RESET = re.compile(r"#!resetLocalSync", re.IGNORECASE)
DEPENDENCIES = ("click", "watchdog", "psutil", "APScheduler", "sqlite-utils", "notify-py", "jeepney")


def redact(text: str, *, home: str | None = None, user: str | None = None) -> str:
    """Given any text, return it without e-mail addresses, the home folder and the user's name."""
    home = home if home is not None else os.environ.get("HOME") or str(Path.home())
    try:
        user = user if user is not None else getpass.getuser()
    except (KeyError, OSError):
        user = ""
    text = _EMAIL.sub("<email>", text)
    text = _RESET.sub("<reset-marker>", text)
    if home and len(home) > 1:
        text = text.replace(home, "~")
    if user and len(user) > 2:
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(user)}(?![A-Za-z0-9])", "<user>", text)
    return text


def without_references(data: Any) -> Any:
    """Given status data, return it without the lists of references behind findings (titles, authors)."""
    if isinstance(data, dict):
        # A finding's `references` is a list of records; `counts.references` is a number and stays.
        named = isinstance(data.get("references"), list)
        return {key: without_references(value) for key, value in data.items()
                if not (named and key in ("references", "more"))}
    if isinstance(data, list):
        return [without_references(value) for value in data]
    return data


def _versions() -> dict[str, str]:
    found = {"endnoted": __version__, "python": sys.version.split()[0]}
    for name in DEPENDENCIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def collect() -> dict[str, Any]:
    """Gather what a help desk needs; the state file may be missing (the daemon never ran)."""
    data: dict[str, Any] = {
        "made_at": now_z(), "versions": _versions(),
        "platform": {"system": platform.system(), "release": platform.release(), "machine": platform.machine()},
    }
    try:
        settings = config.load()
        data["config"] = {"source": None if settings.source is None else str(settings.source),   # JSON null, not "None"
                          "libraries": [str(p) for p in settings.libraries],
                          "stale_after_hours": settings.stale_after_hours,
                          "export_folders": [str(p) for p in settings.export_folders],
                          "notifications": settings.notifications}
    except Exception as error:  # a bad config is exactly what a help desk needs to see
        data["config"] = {"error": str(error)}
    state = paths.state_db()
    if state.exists():
        try:
            with Store(state, readonly=True) as store:
                data["status"] = without_references(
                    status(store, None, [process.to_json() for process in find_endnote()]).to_json())
                data["findings"] = [finding.to_json() for finding in store.recent_findings(500)]
                data["events"] = [event.to_json() for event in store.events(limit=500)]
                data["history"] = [entry.to_json() for entry in timeline(store)]
                data["backups"] = [{k: v for k, v in row.to_json().items()
                                    if k in ("path", "made_at", "size", "references", "kind")}
                                   for row in store.backups()]
        except StateStoreError as error:   # a damaged state file is exactly when a help desk is asked
            data["status"] = {"error": str(error)}
    else:
        data["status"] = {"note": "no state file: the daemon has never run"}
    return data


def write_bundle(output: Path | None = None) -> Path:
    output = output or Path.cwd() / f"endnoted-report-{datetime.now():%Y%m%d-%H%M%S}.zip"
    data = collect()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, part in data.items():
            bundle.writestr(f"{name}.json", redact(json.dumps(part, indent=2, ensure_ascii=False, default=str)))
        # The tail of the daemon's own log (journald keeps it instead under systemd: journalctl --user -u endnoted).
        bundle.writestr("log-tail.txt", redact(logs.tail()) or "no endnoted log file (under systemd the log is in "
                        "the journal: journalctl --user -u endnoted)\n")
        bundle.writestr("README.txt", "endnoted support bundle. Personal data (e-mail addresses, account ids, "
                                      "author names, the user's name and home folder) is redacted.\n")
    return output
