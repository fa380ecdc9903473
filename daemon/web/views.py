"""What each page shows, gathered from the store and the engine: plain data, no markup."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from endnoted.common import timefmt
from endnoted.common.config import Config
from endnoted.common.timefmt import iso_z, parse_iso
from endnoted.judging.checker import check_library
from endnoted.judging.findings import State
from endnoted.reading.library import Library
from endnoted.running.notify import Notifier
from endnoted.state.records import LibraryRow, ResetRun, StoredReport
from endnoted.state.status import status
from endnoted.state.store import Store
from endnoted.web import strings as t

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
# The colour of each verdict is a CSS class; the word always stands beside it (never colour alone).
TONE = {"in-sync": "good", "pending": "calm", "not-synced": "calm", "stale": "warn", "unknown": "warn",
        "diverged": "bad", "damaged": "bad", "gone": "warn"}


def key_of(path: str) -> str:
    """A short, stable id for a library in URLs (paths are long and personal)."""
    return hashlib.sha256(path.encode()).hexdigest()[:12]


def ago(value: str | datetime | None, now: datetime | None = None) -> str:
    """'3 hours ago', 'just now', 'never' (the one time convention, common.timefmt)."""
    moment = parse_iso(value) if isinstance(value, str) or value is None else value
    return t.NEVER if moment is None else timefmt.age(moment, now)


def local(value: str | None) -> str:
    """Local time with its offset, to the minute."""
    moment = parse_iso(value)
    return timefmt.local(moment) if moment else t.UNKNOWN_TIME


@dataclass(frozen=True)
class Action:
    label: str
    url: str


def action_for(report: dict[str, Any], run: ResetRun | None) -> Action | None:
    """The next action as a button, where endnoted can lead the way; None: the reason's words suffice."""
    key = key_of(report["path"])
    if run is not None:
        return Action(t.ACTION_CONTINUE.format(step=run.step), f"/library/{key}/reset")
    if report["verdict"] == "diverged":
        return Action(t.ACTION_REPAIR, f"/library/{key}/reset")
    if report["verdict"] == "damaged":
        return Action(t.ACTION_BACKUP, f"/library/{key}/backups")
    return None


def _counts(report: dict[str, Any]) -> str:
    counts = report.get("counts") or {}
    if counts.get("references") is None:
        return t.UNKNOWN_TIME
    return t.COUNTS.format(references=t.count(counts["references"], t.REFERENCES), trashed=counts.get("trashed") or 0,
                           attachments=t.count(counts.get("attachments") or 0, t.ATTACHED_FILES))


def _labels(paths: list[str]) -> dict[str, str]:
    """Each library's name, with its folder added where two share a name."""
    names = [Path(p).stem for p in paths]
    return {p: (f"{Path(p).stem} ({Path(p).parent.name})" if names.count(Path(p).stem) > 1 else Path(p).stem)
            for p in paths}


def library_row(report: dict[str, Any], store: Store, label: str) -> dict[str, Any]:
    sync = report.get("sync") or {}
    verdict = report["verdict"]
    return {"key": key_of(report["path"]), "path": report["path"], "name": label, "verdict": verdict,
            "word": t.VERDICT_WORDS.get(verdict, verdict), "tone": TONE.get(verdict, "warn"),
            "reason": report["reason"], "next_action": report["next_action"],
            "last_sync": ago(sync.get("last_sync")) if sync else t.UNKNOWN_TIME,
            "last_sync_at": local(sync.get("last_sync")) if sync.get("last_sync") else "",
            "checked": t.CHECKED.format(ago=ago(report.get("last_checked") or report.get("checked_at"))),
            "counts": _counts(report), "action": action_for(report, store.active_reset(report["path"]))}


def _report(row: LibraryRow) -> dict[str, Any]:
    assert row.report is not None
    return {**row.report.to_json(), "last_checked": iso_z(row.last_checked)}


def overview(store: Store, notifier: Notifier) -> dict[str, Any]:
    data = status(store, None, ())
    reports = [_report(row) for row in data.libraries]
    labels = _labels([report["path"] for report in reports])
    rows = [library_row(report, store, labels[report["path"]]) for report in reports]
    rank = {"bad": 0, "warn": 1, "calm": 2, "good": 3}
    rows.sort(key=lambda row: (rank[row["tone"]], row["name"].lower()))
    health = data.daemon.to_json()
    # What the daemon found when it last looked; before it ever ran, what this machine says now.
    alerts = health["alerts"]
    reach, reach_why = ((alerts["can_reach_user"], alerts["why"]) if alerts["can_reach_user"] is not None
                        else notifier.ready())
    # The health check words its reasons with ISO times; a person reads local time and an age.
    why = ISO_TIME.sub(lambda m: f"{local(m.group(0))} ({ago(m.group(0))})", health.get("why") or "")
    return {"libraries": rows, "daemon": {**health, "why": why}, "daemon_since": ago(health.get("started_at")),
            "alerts": reach, "alerts_why": reach_why}


def report_of(store: Store, key: str) -> dict[str, Any] | None:
    for row in store.libraries():
        if key_of(row.path) == key and row.report is not None:
            return _report(row)
    return None


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each finding with the references behind it, where the report names them (record, title, year)."""
    out = []
    for finding in report.get("findings", []):
        refs = finding.get("references") or []
        out.append({**finding, "refs": [_reference(ref) for ref in refs], "total": len(refs) + int(finding.get("more") or 0),
                    "more": int(finding.get("more") or 0)})
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda f: order.get(str(f.get("severity")), 3))


def _reference(ref: Any) -> str:
    """One reference in a finding's list, as a person finds it in EndNote: record number, title, year."""
    if not isinstance(ref, dict):
        return str(ref)
    title = ref.get("title") or t.NO_TITLE
    year = f" ({ref['year']})" if ref.get("year") else ""
    record = t.RECORD.format(record=ref["record"]) if ref.get("record") not in (None, "") else ""
    return f"{record}{title}{year}"


def backups(store: Store, path: str) -> list[dict[str, Any]]:
    rows = []
    for row in store.backups(path):
        data = row.to_json()
        rows.append({**data, "made": local(data["made_at"]), "made_ago": ago(data["made_at"]),
                     "proven": ago(data["verified_at"]),
                     "size_text": f"{row.size / 1e6:.1f} MB", "exists": Path(row.path).exists()})
    return rows


def first_page(store: Store, library: Library, settings: Config) -> str:
    """Where `endnoted open LIBRARY` lands: the repair when one runs or is due, else the library's page.

    A library endnoted has never read is checked once now (read-only) and recorded, as a daemon pass would.
    """
    path = str(library.path)
    row = store.library(path)
    if row is None or row.report is None:
        store.record_pass(StoredReport.from_report(check_library(library,
                                                                 stale_after_seconds=settings.stale_after_seconds)))
        row = store.library(path)
    due = store.active_reset(path) is not None or (row is not None and row.verdict is State.DIVERGED)
    return f"/library/{key_of(path)}" + ("/reset" if due else "")
