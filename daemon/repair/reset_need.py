"""Whether the evidence calls for a reset, and what a Web export says it would delete: one rule, two front ends.

The terminal wizard (cli/reset.py) and the window (web/app.py) both ask here, so they tell the same
truth before the first question: the library's verdict judged now (the same checker as `check`),
whether its next action is the reset (`judging.verdict.proposes_reset`, as the daemon's alerts
decide their Repair… button), and the warnings beside it that bear on a reset (references only in
the .enl, attachments that cannot be sent again, …). The README promises the reset is "proposed
only where the evidence says the Web copy lacks references": anything else is said, and confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from endnoted.common.errors import ExportError
from endnoted.judging.checker import check_library
from endnoted.judging.compare import compare
from endnoted.judging.findings import Severity, State
from endnoted.judging.verdict import proposes_reset
from endnoted.reading import prefs
from endnoted.reading.exports import read_export
from endnoted.reading.library import Library
from endnoted.reading.snapshot import take


@dataclass(frozen=True)
class Need:
    """The verdict judged now, whether its next action is the reset, and the warnings beside it."""

    state: State
    reason: str
    next_action: str
    called_for: bool
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class WebOnly:
    """What a Web export says: the references on EndNote Web this library lacks (steps 2-4 delete them).

    `belongs` False: the export is of another library (`trust` says why), so it proves nothing here.
    """

    export: Path
    belongs: bool
    trust: str = ""
    count: int = 0
    titles: tuple[str, ...] = ()


def readable_export(path: Path) -> Path:
    """Given the export a user named (`--export`), return it, or raise ExportError (a usage error) saying why not."""
    if not path.is_file():
        raise ExportError(f"export {path} is not a regular file (a FIFO, a device or a folder); name the export file"
                          if path.exists() else f"no export file at {path}")
    _, records = read_export(path)
    for _ in records:   # the records are read lazily: a bad one shows only when read
        pass
    return path


def web_only(library: Library, export: Path | None) -> WebOnly | None:
    """What `export` holds that the library lacks; None when there is no export to read or the library is unreadable."""
    if export is None or not export.is_file():
        return None
    snap = take(library, integrity=False)
    if not snap.ok:
        return None
    try:
        result = compare(snap, export)
    except ExportError:
        return None   # a stored export since spoiled: as if none (a given one was proven readable at the start)
    if not result.belongs:
        return WebOnly(export, False, result.trust)
    return WebOnly(export, True, result.trust, len(result.missing_on_desktop),
                   tuple(ref.title for ref in result.missing_on_desktop[:10]))


def need(library: Library, export: Path | None, stale_after_seconds: float) -> Need:
    """The library's verdict now (with the export, when one is known and readable) and whether it calls for the reset."""
    pref = prefs.read().sync_library
    usable = export if export is not None and export.is_file() else None
    try:
        report = check_library(library, stale_after_seconds=stale_after_seconds, integrity=False,
                               sync_library_pref=pref, export=usable)
    except ExportError:   # a stored export since spoiled: judge without it
        report = check_library(library, stale_after_seconds=stale_after_seconds, integrity=False,
                               sync_library_pref=pref)
    verdict = report.verdict
    # The verdict's own findings are in its reason; the other warnings are what else a reset would meet.
    warnings = tuple(f.message for f in report.findings
                     if f.severity >= Severity.WARNING and f.verdict is not verdict.state)
    return Need(verdict.state, verdict.reason, verdict.next_action,
                proposes_reset(verdict.state, verdict.next_action), warnings)
