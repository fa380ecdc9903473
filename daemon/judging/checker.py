"""One pass over one library: snapshot → probes → verdict. What `check`, the daemon and the wizard call."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from endnoted.common.errors import LibraryVanished
from endnoted.common.gcpause import gc_paused
from endnoted.common.timefmt import iso_z
from endnoted.judging.compare import Comparison, compare
from endnoted.judging.findings import Finding, Severity
from endnoted.judging.verdict import Verdict, decide
from endnoted.probes import Context, Peer, Probe, builtin_probes
from endnoted.probes.base import Reading
from endnoted.reading import snapshot as snapshots
from endnoted.reading.integrity import IntegrityMemo
from endnoted.reading.library import Library
from endnoted.reading.locations import mount_table
from endnoted.reading.model import Snapshot, Status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LibraryReport:
    """Everything one pass learned about one library."""

    library: Library
    snapshot: Snapshot
    findings: tuple[Finding, ...]
    verdict: Verdict
    comparison: Comparison | None = None

    def to_json(self) -> dict[str, Any]:
        snap = self.snapshot
        counts = snap.counts
        return {
            "path": str(self.library.path),
            "name": self.library.name,
            "format": "legacy-myisam" if snap.status is Status.LEGACY else self.library.format,
            "verdict": self.verdict.state.value,
            "reason": self.verdict.reason,
            "next_action": self.verdict.next_action,
            "counts": None if counts is None else {
                "references": counts.references, "trashed": counts.trashed,
                "attachments": counts.attachments, "groups": counts.groups},
            "sync": None if snap.ledger is None else snap.ledger.to_json(),
            "findings": [finding.to_json() for finding in self.findings],
            "checked_at": iso_z(snap.taken_at),
        }


def run_probes(probes: Iterable[Probe], snapshot: Snapshot, context: Context) -> tuple[Finding, ...]:
    """Given probes, run each on the snapshot; a probe that crashes becomes a `probe.crashed` finding."""
    found: list[Finding] = []
    for probe in probes:
        try:
            found.extend(probe.check(snapshot, context))
        except Exception as error:  # one bad probe must never sink the others (STYLE B2)
            logger.exception("probe %s crashed on %s", probe.name, snapshot.library.path)
            found.append(Finding(probe.name, "probe.crashed", Severity.WARNING,
                                 f"The {probe.name} probe failed ({type(error).__name__}: {error}); the other "
                                 "checks still ran. Please report this with endnoted report."))
    return tuple(found)


def check_library(library: Library, *, stale_after_seconds: float = 24 * 3600.0, export: Path | None = None,
                  sync_library_pref: Path | None = None, now: datetime | None = None,
                  probes: Sequence[Probe] | None = None,
                  mounts: tuple[tuple[str, str], ...] | None = None,
                  integrity: bool = True, memo: IntegrityMemo | None = None, snapshot: Snapshot | None = None,
                  peers: tuple[Peer, ...] = (), previous: Reading | None = None) -> LibraryReport:
    """Given a library, take a snapshot (unless given one), run the probes and return the report.

    With `export`, the Web export is compared and folded into the verdict (an export of another
    library is reported, never folded); a bad export raises ExportError. `peers` are the other
    libraries of this pass (copies are told apart), `previous` the daemon's last healthy reading.
    The structural check is remembered for unchanged files in endnoted's state folder (`memo`).
    The cyclic garbage collector is paused for the pass (gcpause.py): the probes build many small
    objects beside the reading's, and each collection would walk all of them (a quarter of the
    duplicates probe's time on 100k references).
    """
    with gc_paused():
        return _check_library(library, stale_after_seconds=stale_after_seconds, export=export,
                              sync_library_pref=sync_library_pref, now=now, probes=probes, mounts=mounts,
                              integrity=integrity, memo=memo, snapshot=snapshot, peers=peers, previous=previous)


def _check_library(library: Library, *, stale_after_seconds: float, export: Path | None,
                   sync_library_pref: Path | None, now: datetime | None, probes: Sequence[Probe] | None,
                   mounts: tuple[tuple[str, str], ...] | None, integrity: bool, memo: IntegrityMemo | None,
                   snapshot: Snapshot | None, peers: tuple[Peer, ...], previous: Reading | None) -> LibraryReport:
    now = now or datetime.now(UTC)
    snap = snapshot or snapshots.take(library, integrity=integrity, now=now, memo=memo or IntegrityMemo())
    comparison = compare(snap, export) if export is not None and snap.ok else None
    # The probes open no file: what they need to know of EndNote's preferred path is looked up here.
    pref = sync_library_pref.resolve() if sync_library_pref is not None and sync_library_pref.exists() \
        else sync_library_pref
    context = Context(now=now, stale_after_seconds=stale_after_seconds, sync_library_pref=pref,
                      sync_library_pref_exists=sync_library_pref is not None and sync_library_pref.exists(),
                      comparison=comparison, mounts=mount_table() if mounts is None else mounts, peers=peers,
                      previous=previous)
    findings = run_probes(builtin_probes() if probes is None else probes, snap, context)
    verdict = decide(snap, findings)
    return LibraryReport(library, snap, findings, verdict, comparison)


def check_libraries(libraries: Sequence[Library], *, now: datetime | None = None, integrity: bool = True,
                    memo: IntegrityMemo | None = None, vanished: Callable[[LibraryVanished], None] | None = None,
                    **options: Any) -> list[LibraryReport]:
    """Given the libraries of one pass, read them all first, so each is judged knowing the others (copies).

    A library moved or deleted while it is read raises LibraryVanished; with `vanished`, that error
    is handed to it instead and the other libraries are still judged (a folder of libraries, one of
    which the user renames meanwhile). If every library vanished, the last error is raised.
    """
    now = now or datetime.now(UTC)
    memo = memo or IntegrityMemo()
    with gc_paused():   # as in check_library: between the readings too
        taken: list[tuple[Library, Snapshot]] = []
        last: LibraryVanished | None = None
        for library in libraries:
            try:
                taken.append((library, snapshots.take(library, integrity=integrity, now=now, memo=memo)))
            except LibraryVanished as error:
                if vanished is None:
                    raise
                vanished(error)
                last = error
        if last is not None and not taken:
            raise last
        peers = tuple(Peer.of(snap) for _library, snap in taken if snap.ok)
        return [check_library(library, now=now, integrity=integrity, memo=memo, snapshot=snap, peers=peers, **options)
                for library, snap in taken]

