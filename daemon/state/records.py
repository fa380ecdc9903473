"""The typed records of endnoted's state file: what the store takes in and what it gives back.

Each record's JSON shape is produced in one place, its `to_json`. A stored report keeps the parts
other stages own (the sync ledger, the findings) in the shape those stages wrote them
(`SyncLedger.to_json`, `Finding.to_json`), and types the fields that status, history, metrics and
the support bundle read. No SQL here: `store.py` maps rows to these records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from endnoted.common.timefmt import iso_z, parse_iso
from endnoted.judging.findings import State

if TYPE_CHECKING:
    from endnoted.judging.checker import LibraryReport

GONE_REASON = "The library is no longer at this path: it was moved, renamed or deleted."
GONE_NEXT = ("If you moved it, endnoted finds it again on its next scan, or add the new path to the config; "
             "if it was synced, choose it again in EndNote's Preferences → Sync.")

FAILED_REASON = ("The last check of this library failed (the daemon's log says why): the verdict it had before "
                 "no longer stands.")
FAILED_NEXT = ("Run endnoted check on the library to see it now; if the daemon's checks keep failing, send "
               "endnoted report to support.")


@dataclass(frozen=True)
class StoredCounts:
    references: int
    trashed: int
    attachments: int
    groups: int

    def to_json(self) -> dict[str, int]:
        return {"references": self.references, "trashed": self.trashed, "attachments": self.attachments,
                "groups": self.groups}


def without_authors(finding: Mapping[str, Any]) -> Mapping[str, Any]:
    """Given a finding's JSON, return it with every named reference's first author blanked ("", which
    the schema's string allows and rendering omits): author names are personal data we do not store."""
    refs = finding.get("references")
    if not refs:
        return finding
    return {**finding, "references": [{**ref, "first_author": ""} for ref in refs]}


@dataclass(frozen=True)
class StoredReport:
    """One pass's result as the store keeps it: the successor of a LibraryReport once it leaves the checker.

    `status` records how the reading went ("ok", "busy", ..., or "gone" when the library left its path).
    It holds no author name: the references a finding names keep their record number, title and year
    (for their owner's `status` and page) with `first_author` "" (the state file keeps no personal
    names; README, "The daemon": reads only what changed).
    """

    path: str
    name: str
    format: str
    verdict: State
    reason: str
    next_action: str
    checked_at: datetime
    counts: StoredCounts | None
    sync: Mapping[str, Any] | None          # SyncLedger.to_json, as the reading stage wrote it
    findings: tuple[Mapping[str, Any], ...]  # Finding.to_json each, as the judging stage wrote them
    status: str = "ok"
    db_id: str | None = None

    @classmethod
    def from_report(cls, report: LibraryReport) -> StoredReport:
        """Given a checker's report, return what the store keeps of it."""
        return cls.from_json(report.to_json(), status=report.snapshot.status.value, db_id=report.snapshot.db_id)

    @classmethod
    def gone(cls, path: str, name: str, now: datetime) -> StoredReport:
        """The record of a library no longer at its path: unknown, never damaged."""
        return cls._daemon_unknown(path, name, now, code="library.gone", reason=GONE_REASON, next_action=GONE_NEXT,
                                  status="gone")

    @classmethod
    def failed(cls, path: str, name: str, now: datetime) -> StoredReport:
        """The record of a check that raised: unknown, so the verdict before it is not shown as current."""
        return cls._daemon_unknown(path, name, now, code="library.check-failed", reason=FAILED_REASON,
                                  next_action=FAILED_NEXT, status="failed")

    @classmethod
    def _daemon_unknown(cls, path: str, name: str, now: datetime, *, code: str, reason: str, next_action: str,
                        status: str) -> StoredReport:
        """A record the daemon writes without a reading: verdict unknown, one warning finding saying why."""
        finding = {"code": code, "severity": "warning", "message": f"{reason} {next_action}", "probe": "daemon"}
        return cls(path=path, name=name, format="unknown", verdict=State.UNKNOWN, reason=reason,
                   next_action=next_action, checked_at=now, counts=None, sync=None, findings=(finding,),
                   status=status)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, status: str = "ok", db_id: str | None = None) -> StoredReport:
        counts = data.get("counts")
        checked = parse_iso(data.get("checked_at"))
        if checked is None:
            raise ValueError("a stored report without checked_at")
        return cls(path=data["path"], name=data.get("name") or "", format=data.get("format") or "unknown",
                   verdict=State(data["verdict"]), reason=data.get("reason") or "",
                   next_action=data.get("next_action") or "", checked_at=checked,
                   counts=None if not counts else StoredCounts(counts["references"], counts["trashed"],
                                                               counts["attachments"], counts["groups"]),
                   sync=data.get("sync"), findings=tuple(without_authors(f) for f in data.get("findings") or ()),
                   status=status, db_id=db_id)

    def to_json(self) -> dict[str, Any]:
        """The library's JSON as `check --json` and `status --json` show it."""
        return {"path": self.path, "name": self.name, "format": self.format, "verdict": self.verdict.value,
                "reason": self.reason, "next_action": self.next_action,
                "counts": None if self.counts is None else self.counts.to_json(),
                "sync": None if self.sync is None else dict(self.sync),
                "findings": [dict(finding) for finding in self.findings], "checked_at": iso_z(self.checked_at)}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)

    @property
    def last_sync(self) -> datetime | None:
        return parse_iso((self.sync or {}).get("last_sync"))

    @property
    def sync_configured(self) -> bool:
        return bool((self.sync or {}).get("configured"))

    @property
    def waiting(self) -> int | None:
        """Changes not yet sent to EndNote Web (pending, edited since, never sent), or None when not synced."""
        sync = self.sync or {}
        if not sync.get("configured"):
            return None
        return int(sync.get("pending") or 0) + int(sync.get("edited_after_sync") or 0) + int(sync.get("unsynced") or 0)


@dataclass(frozen=True)
class LibraryRow:
    """A watched library's current state: its last report and the alert memory."""

    path: str
    name: str
    first_seen: datetime | None
    last_checked: datetime | None
    verdict: State | None
    reason: str
    report: StoredReport | None
    alert_state: str | None
    alerted_at: datetime | None
    pending_state: str | None
    alerted_problem: str | None
    export_path: str | None
    db_id: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LibraryRow:
        report = None
        if row.get("report"):
            report = StoredReport.from_json(json.loads(row["report"]), db_id=row.get("db_id"))
        return cls(path=row["path"], name=row.get("name") or "", first_seen=parse_iso(row.get("first_seen")),
                   last_checked=parse_iso(row.get("last_checked")),
                   verdict=State(row["verdict"]) if row.get("verdict") else None, reason=row.get("reason") or "",
                   report=report,
                   alert_state=row.get("alert_state"), alerted_at=parse_iso(row.get("alerted_at")),
                   pending_state=row.get("pending_state"), alerted_problem=row.get("alerted_problem"),
                   export_path=row.get("export_path"), db_id=row.get("db_id"))


@dataclass(frozen=True)
class SnapshotRow:
    """The counts of one reading, for history and for the next reading's comparison."""

    id: int
    path: str
    taken_at: datetime
    status: str
    verdict: State
    references: int | None
    trashed: int | None
    attachments: int | None
    groups: int | None
    last_sync: datetime | None
    last_usn: int | None
    pending: int | None
    edited_after_sync: int | None
    unsynced: int | None
    missed: int | None
    db_id: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SnapshotRow:
        taken = parse_iso(row["taken_at"])
        assert taken is not None
        return cls(id=row["id"], path=row["path"], taken_at=taken, status=row["status"], verdict=State(row["verdict"]),
                   references=row["references"], trashed=row["trashed"], attachments=row["attachments"],
                   groups=row["groups"], last_sync=parse_iso(row["last_sync"]), last_usn=row["last_usn"],
                   pending=row["pending"], edited_after_sync=row["edited_after_sync"], unsynced=row["unsynced"],
                   missed=row["missed"], db_id=row["db_id"])


@dataclass(frozen=True)
class SyncEvent:
    """A sync seen between two readings: the ledger before and after."""

    path: str
    seen_at: datetime
    last_sync_before: datetime | None
    last_sync_after: datetime | None
    usn_before: int | None
    usn_after: int | None
    pending_before: int | None
    pending_after: int | None
    references_before: int | None
    references_after: int | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SyncEvent:
        seen = parse_iso(row["seen_at"])
        assert seen is not None
        return cls(path=row["path"], seen_at=seen, last_sync_before=parse_iso(row["last_sync_before"]),
                   last_sync_after=parse_iso(row["last_sync_after"]), usn_before=row["usn_before"],
                   usn_after=row["usn_after"], pending_before=row["pending_before"],
                   pending_after=row["pending_after"], references_before=row["references_before"],
                   references_after=row["references_after"])


@dataclass(frozen=True)
class Event:
    """Something the daemon noticed or did: started, export matched, library gone, alert held back..."""

    at: datetime
    path: str | None
    kind: str
    detail: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        at = parse_iso(row["at"])
        assert at is not None
        return cls(at=at, path=row["path"], kind=row["kind"], detail=row["detail"] or "")

    def to_json(self) -> dict[str, Any]:
        return {"at": iso_z(self.at), "path": self.path, "kind": self.kind, "detail": self.detail}


@dataclass(frozen=True)
class Notification:
    """An alert and whether it reached the user."""

    at: datetime
    path: str
    verdict: str
    title: str
    body: str
    delivered: bool
    error: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Notification:
        at = parse_iso(row["at"])
        assert at is not None
        return cls(at=at, path=row["path"], verdict=row["verdict"], title=row["title"], body=row["body"],
                   delivered=bool(row["delivered"]), error=row["error"] or "")

    @property
    def outcome(self) -> str:
        """"shown", or why not. Newer rows say `not-shown (why)` or `unknown (why)` themselves; older ones
        hold only the why."""
        if self.delivered:
            return "shown"
        return self.error if self.error.startswith(("not-shown", "unknown")) else f"not shown: {self.error}"


@dataclass(frozen=True)
class Heartbeat:
    """The daemon's last sign of life, and whether its alerts could reach the user when it last looked."""

    pid: int
    started_at: datetime | None
    beat_at: datetime | None
    version: str
    stopped_at: datetime | None
    notifier: str | None = None         # the notification backend's name, as the daemon found it
    notifier_ready: bool | None = None  # None: not known (a daemon older than this field)
    notifier_why: str = ""
    # The EndNote processes it saw (EndNoteProcess.to_json each) and when it looked; None: not recorded.
    endnote: tuple[Mapping[str, Any], ...] | None = None
    endnote_at: datetime | None = None
    # The libraries the daemon watches now (paths, its watch set); None: not recorded (state/glance.watch_set).
    watching: tuple[str, ...] | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Heartbeat:
        ready = row.get("notifier_ready")
        seen = row.get("endnote")
        watching = row.get("watching")
        return cls(pid=row["pid"], started_at=parse_iso(row["started_at"]), beat_at=parse_iso(row["beat_at"]),
                   version=row["version"], stopped_at=parse_iso(row["stopped_at"]), notifier=row.get("notifier"),
                   notifier_ready=None if ready is None else bool(ready), notifier_why=row.get("notifier_why") or "",
                   endnote=None if seen is None else tuple(json.loads(seen)),
                   endnote_at=parse_iso(row.get("endnote_at")),
                   watching=None if watching is None else tuple(json.loads(watching)))


@dataclass(frozen=True)
class ResetRun:
    """A reset wizard's run: which library, which step, since when, and what the wizard saw on the way.

    `to_json` is the shape `status` shows; `progress_json` the shape of `reset --status`.
    """

    library: str
    situation: str | None
    step: int
    started_at: datetime | None
    updated_at: datetime | None
    target: str | None
    id: int = 0
    observed: tuple[Mapping[str, Any], ...] = ()   # {"step", "at", "how", "detail"} each, oldest first
    backup: str | None = None                       # the proven backups of step 0, one path a line
    endnote_start: float | None = None              # when the running EndNote started, for "restarted" steps
    ended_at: datetime | None = None
    outcome: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ResetRun:
        start = row.get("endnote_start")
        return cls(library=row["library"], situation=row.get("situation"), step=int(row.get("step") or 0),
                   started_at=parse_iso(row.get("started_at")), updated_at=parse_iso(row.get("updated_at")),
                   target=row.get("target"), id=int(row.get("id") or 0),
                   observed=tuple(json.loads(row.get("observed") or "[]")), backup=row.get("backup"),
                   endnote_start=None if start is None else float(start), ended_at=parse_iso(row.get("ended_at")),
                   outcome=row.get("outcome"))

    def columns(self) -> dict[str, Any]:
        """The run's changeable columns as the state file holds them (the store writes the ones that changed)."""
        return {"step": self.step, "observed": json.dumps([dict(item) for item in self.observed]),
                "backup": self.backup, "endnote_start": self.endnote_start, "ended_at": iso_z(self.ended_at),
                "outcome": self.outcome, "target": self.target}

    def to_json(self) -> dict[str, Any]:
        return {"library": self.library, "situation": self.situation, "step": self.step,
                "started_at": iso_z(self.started_at), "updated_at": iso_z(self.updated_at), "target": self.target}

    def progress_json(self) -> dict[str, Any]:
        """The run as `reset --status --json` shows it: the steps seen so far and the backup it rests on."""
        return {"library": self.library, "situation": self.situation, "step": self.step,
                "observed": [dict(item) for item in self.observed], "target": self.target,
                "started_at": iso_z(self.started_at), "backup": self.backup}


@dataclass(frozen=True)
class BackupRow:
    """A proven backup as the state file records it. `id` is 0 until the store has kept it."""

    path: str
    library: str
    made_at: datetime
    size: int
    sha256: str
    references: int
    trashed: int
    attachments: int
    kind: str                        # "enlx" or "folder"
    warnings: tuple[str, ...] = ()
    verified_at: datetime | None = None
    id: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BackupRow:
        made = parse_iso(row["made_at"])
        assert made is not None
        return cls(path=row["path"], library=row["library"], made_at=made, size=int(row["size"] or 0),
                   sha256=row["sha256"] or "", references=int(row["references"] or 0),
                   trashed=int(row["trashed"] or 0), attachments=int(row["attachments"] or 0), kind=row["kind"],
                   warnings=tuple(line for line in (row["warnings"] or "").split("\n") if line),
                   verified_at=parse_iso(row.get("verified_at")), id=int(row.get("id") or 0))

    def columns(self) -> dict[str, Any]:
        """The row as the state file holds it (no id: the database gives one)."""
        return {"path": self.path, "library": self.library, "made_at": iso_z(self.made_at), "size": self.size,
                "sha256": self.sha256, "references": self.references, "trashed": self.trashed,
                "attachments": self.attachments, "kind": self.kind, "warnings": "\n".join(self.warnings),
                "verified_at": iso_z(self.verified_at)}

    def to_json(self) -> dict[str, Any]:
        """The backup as `backups --json` lists it (and the support bundle, a part of it)."""
        return {"id": self.id, **self.columns()}


@dataclass(frozen=True)
class FindingRow:
    """A finding as stored with its reading: the support bundle's raw material."""

    id: int
    snapshot_id: int
    path: str
    code: str
    severity: str
    message: str
    count: int | None
    taken_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> FindingRow:
        taken = parse_iso(row["taken_at"])
        assert taken is not None
        return cls(id=row["id"], snapshot_id=row["snapshot_id"], path=row["path"], code=row["code"],
                   severity=row["severity"], message=row["message"], count=row["count"], taken_at=taken)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "snapshot_id": self.snapshot_id, "path": self.path, "code": self.code,
                "severity": self.severity, "message": self.message, "count": self.count,
                "taken_at": iso_z(self.taken_at)}
