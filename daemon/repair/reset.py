"""The reset of EndNote's local sync state (DESIGN.md §6) as one state machine with two front ends.

`ResetEngine` holds the procedure's logic: it observes what it can (EndNote restarted, the Desktop
trash empty, the sync ledger cleared, the full sync done, a fresh Web export matching), records
when it had to ask instead, and keeps its place in the store. The terminal wizard
(`endnoted.cli.reset`) and the web pages (`endnoted.web`) only show a step and pass the user's
answer on, so a run started in one continues in the other at the same step. Step 0, a proven
backup, comes before anything else. It reads libraries only; the user changes them, in EndNote.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from endnoted.common import paths
from endnoted.common.errors import (
    ArchiveRejected,
    BackupError,
    EndnotedError,
    ExportError,
    UsageError,
)
from endnoted.common.timefmt import iso_z, parse_iso, when
from endnoted.common.words import plural
from endnoted.judging.compare import compare
from endnoted.reading.endnote_proc import find_endnote
from endnoted.reading.enlx import prove
from endnoted.reading.library import Library, locate
from endnoted.reading.model import Status
from endnoted.reading.snapshot import take
from endnoted.repair import reset_need
from endnoted.repair.backup import make_backup
from endnoted.repair.reset_need import Need, WebOnly
from endnoted.repair.reset_steps import LAST_STEP, RESET_TEXT, STEPS, Step
from endnoted.state.locking import FileLock
from endnoted.state.records import ResetRun
from endnoted.state.store import Store

logger = logging.getLogger(__name__)
SITUATIONS = {"desktop-right": "A: the Desktop library is right, EndNote Web is wrong",
              "new-library": "B: another Desktop library should become the synced one",
              "web-right": "EndNote Web is right"}
BACKUP_FRESH = timedelta(hours=1)


@dataclass(frozen=True)
class Observation:
    ok: bool
    detail: str


def _now() -> datetime:
    return datetime.now(UTC)


def run_status(store: Store, library: Path) -> dict[str, Any]:
    """The JSON of `reset --status`: the run waiting on this library, or step null when none exists."""
    run = store.active_reset(str(library))
    if run is None:
        return {"library": str(library), "situation": None, "step": None, "observed": []}
    return run.progress_json()


def abandon(store: Store, library: Path) -> ResetRun | None:
    """End the run waiting on a library; return it as it was (None when there was none)."""
    run = store.active_reset(str(library))
    if run is None:
        return None
    store.update_reset(replace(run, ended_at=_now(), outcome="abandoned"), ("ended_at", "outcome"))
    kept = "its backup stays" if run.backup else "no backup had been made"
    store.event("reset-abandoned", f"reset abandoned at step {run.step}; {kept}", str(library))
    return run



@dataclass(frozen=True)
class BackupOutcome:
    """What step 0 did: the proven backups it found or made (one per library involved), or why it could not."""

    ok: bool
    lines: tuple[str, ...]
    error: str = ""


class ResetEngine:
    """One reset run as a state machine over the store: the terminal and the web page both drive it.

    Every method reloads the run from the store first, so a run started in one front end continues
    in the other at the same step. A front end holds `lock()` while it acts, so two never act at once.
    """

    def __init__(self, store: Store, library: Library, *, backup_dir: Path, export_folders: tuple[Path, ...] = (),
                 export: Path | None = None, stale_after_seconds: float = 24 * 3600.0,
                 now: Callable[[], datetime] = _now) -> None:
        # A named export that cannot be read is a usage error before anything happens (ExportError, exit 2).
        self.export = None if export is None else reset_need.readable_export(export)
        self.stale_after_seconds = stale_after_seconds
        self.store = store
        self.library = library
        self.backup_dir = backup_dir
        self.export_folders = export_folders
        self.now = now
        self.run: ResetRun | None = None
        self.target = library
        self.load()

    # --- the run ------------------------------------------------------------------------------

    def lock(self) -> FileLock:
        digest = hashlib.sha256(str(self.library.path).encode()).hexdigest()[:16]
        return FileLock(paths.state_dir() / f"reset-{digest}.lock", f"a reset wizard for {self.library.name}")

    def load(self) -> ResetRun | None:
        """Read the run waiting on this library (None: none); take the restart baseline a step needs."""
        self.run = self.store.active_reset(str(self.library.path))
        if self.run is None:
            self.target = self.library
            return None
        if self.run.library != str(self.library.path):   # named by situation B's target: act on the run's library
            self.library = locate(Path(self.run.library))[0]
        self.target = locate(Path(self.run.target))[0] if self.run.target else self.library
        step = self.step
        if step is not None and step.check == "restarted" and self.run.endnote_start is None:
            self._set(endnote_start=self._endnote_start())
        return self.run

    @property
    def step(self) -> Step | None:
        """The step the run waits on; None when there is no run or every step is done."""
        if self.run is None or self.run.step > LAST_STEP:
            return None
        return STEPS[self.run.step]

    def on(self, step: Step) -> Library:
        """The library a step is about."""
        return self.target if step.on == "target" else self.library

    def observed(self) -> list[dict[str, Any]]:
        return [] if self.run is None else [dict(item) for item in self.run.observed]

    def begin(self, situation: str, new_library: Path | None = None) -> ResetRun:
        """Start a run for situation A (desktop-right) or B (new-library); web-right is `decline`."""
        if self.load() is not None:
            raise UsageError(f"a reset of {self.library.name} is already under way (step {self.run_step()})")
        if situation not in ("desktop-right", "new-library"):
            raise UsageError(f"situation must be desktop-right or new-library, not {situation!r}")
        target = self._target(situation, new_library)
        self.store.start_reset(str(self.library.path), situation, str(target.path))
        self.store.event("reset-started", f"reset started ({SITUATIONS[situation]})", str(self.library.path))
        self.load()
        assert self.run is not None
        return self.run

    def run_step(self) -> int | None:
        return None if self.run is None else self.run.step

    def decline(self) -> None:
        """The Web copy is right: record that no reset happens (the front end shows WEB_RIGHT)."""
        self.store.event("reset-declined", "the Web copy is right: no reset", str(self.library.path))

    def _target(self, situation: str, new_library: Path | None) -> Library:
        if situation != "new-library":
            return self.library
        if new_library is None:
            raise UsageError("situation B needs the library that should become the synced one")
        found = locate(new_library)
        if len(found) != 1 or found[0].path == self.library.path:
            raise UsageError(f"{new_library} must name one other EndNote library")
        return found[0]

    def finish(self) -> bool:
        """Close the run once every step is done; True when it was closed now."""
        if self.run is None or self.run.step <= LAST_STEP:
            return False
        self._set(ended_at=self.now(), outcome="done")
        self.store.event("reset-done", "reset finished: EndNote Web matches the library", str(self.target.path))
        return True

    def resume_hint(self) -> str:
        where = f"step {self.run_step()}" if self.run is not None else "the first question"
        return (f"Stopped at {where}; nothing is lost. To go on: endnoted reset \"{self.library.path}\" "
                f"(or endnoted open \"{self.library.path}\" for the window).")

    def _set(self, **changes: Any) -> None:
        """Change the run here and in the store (only the columns named)."""
        assert self.run is not None
        self.run = replace(self.run, **changes)
        self.store.update_reset(self.run, changes)

    # --- what the user is shown before choosing -------------------------------------------------

    def need(self) -> Need:
        """The verdict now and whether it calls for the reset (reset_need.py: the rule both front ends show)."""
        return reset_need.need(self.library, self._known_export(), self.stale_after_seconds)

    def evidence(self, need: Need | None = None) -> list[str]:
        """What the user is shown before choosing: the Desktop's counts, the verdict now, and what else bears on it."""
        need = need or self.need()
        lines = []
        snap = take(self.library, integrity=False)
        if snap.counts is not None and snap.ledger is not None:
            last = when(snap.ledger.last_sync)   # local time with its offset, and how long ago
            never = f"; {plural(snap.ledger.missed, 'reference')} never sent" if snap.ledger.missed else ""
            lines.append(f"Desktop: {plural(snap.counts.references, 'reference')}, {snap.counts.trashed} in trash; "
                         f"last sync {last}{never}.")
        lines.append(f"Verdict: {need.state.value}: {need.reason}")
        lines.append(f"Next: {need.next_action}")
        lines += [f"! {warning}" for warning in need.warnings]
        lost = self.web_only()
        if lost is not None and lost.belongs:
            lines.append(f"The Web export {lost.export.name} holds {plural(lost.count, 'reference')} that this "
                         "library lacks.")
        elif lost is not None:
            lines.append(f"{lost.export.name} does not look like an export of {self.library.name} ({lost.trust}): "
                         "it is not used as evidence.")
        return lines

    def _known_export(self) -> Path | None:
        """The export given (`--export`, proven readable at the start), else the latest one the daemon saw."""
        if self.export is not None:
            return self.export
        row = self.store.library(str(self.library.path))
        return Path(row.export_path) if row is not None and row.export_path else None

    def web_only(self) -> WebOnly | None:
        """What the known Web export holds that this library lacks (reset_need.WebOnly), or None without one."""
        return reset_need.web_only(self.library, self._known_export())

    # --- step 0, the backup ----------------------------------------------------------------------

    def _fresh_backup(self, library: Library) -> str | None:
        changed = max((p.stat().st_mtime for p in library.files()), default=0.0)
        for row in self.store.backups(str(library.path)):
            made = row.verified_at or row.made_at
            if self.now() - made > BACKUP_FRESH or made.timestamp() < changed:
                continue
            try:
                if row.kind == "enlx" and prove(Path(row.path)).counts is not None:
                    return row.path
            except ArchiveRejected:
                continue
        return None

    def backup(self, progress: Callable[[int], None] | None = None,
               total: Callable[[int], None] | None = None) -> BackupOutcome:
        """Step 0: find or make a proven backup of every library involved; advance only when each has one."""
        assert self.run is not None and self.run.step == 0
        made: list[str] = []
        lines: list[str] = []
        for library in dict.fromkeys([self.library, self.target]):
            if existing := self._fresh_backup(library):
                lines.append(f"✓ a backup proven within the hour and newer than the library: {existing}")
                made.append(existing)
                continue
            try:
                result = make_backup(library, self.backup_dir, progress=progress, total=total)
            except (BackupError, EndnotedError) as error:
                self.record(STEPS[0], "refused", f"no proven backup: {error}")
                return BackupOutcome(False, tuple(lines), str(error))
            self.store.record_backup(result.record(library.path))
            lines.append(f"✓ proven backup: {result.path} ({plural(result.counts.references, 'reference')})")
            made.append(str(result.path))
        self._set(backup="\n".join(made))
        self.advance(STEPS[0], "seen", "proven backup: " + ", ".join(Path(m).name for m in made))
        return BackupOutcome(True, tuple(lines))

    # --- the irreversible steps ---------------------------------------------------------------

    def name_needed(self) -> bool:
        """Step 2 waits for the library's name, typed, before the Web deletions."""
        return self.run_step() == 2 and not any(o["step"] == 2 and o["how"] == "typed" for o in self.observed())

    def accept_name(self, typed: str) -> bool:
        if typed.strip() != self.library.name:
            return False
        self.record(STEPS[2], "typed", "the user typed the library's name to accept the loss")
        return True

    # --- moving on ------------------------------------------------------------------------------

    def confirm(self, detail: str = "the user confirmed (endnoted cannot see this step)") -> None:
        """The user says the step is done, where endnoted cannot see it: record that it asked, and move on."""
        step = self.step
        assert step is not None and step.number != 0 and not self.name_needed()
        self.advance(step, "asked", detail)

    def check(self, export: Path | None = None) -> Observation | None:
        """Look whether the step is done; advance when it is, record the contradiction when not.

        None: this step cannot be seen here (the front end asks the user instead).
        """
        step = self.step
        assert step is not None and step.check not in (None, "backup")
        seen = self.peek(export)
        if seen is None:
            return None
        if seen.ok:
            self.advance(step, "seen", seen.detail)
        else:
            self.record(step, "contradicted", seen.detail)
        return seen

    def advance(self, step: Step, how: str, detail: str) -> None:
        observed = self.record(step, how, detail)
        fields: dict[str, Any] = {"step": step.number + 1, "observed": tuple(observed)}
        nxt = step.number + 1
        if nxt <= LAST_STEP and STEPS[nxt].check == "restarted":
            fields["endnote_start"] = self._endnote_start()
        if step.number == 12:
            fields["endnote_start"] = None
        self._set(**fields)

    def record(self, step: Step, how: str, detail: str) -> list[dict[str, Any]]:
        observed = self.observed()
        observed.append({"step": step.number, "at": iso_z(self.now()), "how": how, "detail": detail})
        self._set(observed=tuple(observed))
        return observed

    # --- what the wizard can see ----------------------------------------------------------------

    def _endnote_start(self) -> float:
        running = find_endnote()
        return max(p.started for p in running) if running else 0.0

    def peek(self, export: Path | None = None) -> Observation | None:
        """Observe the current step without recording anything (the web page polls this)."""
        step = self.step
        assert self.run is not None and step is not None
        library = self.on(step)
        if step.check is None or step.check == "backup":
            return None
        if step.check == "restarted":
            running = find_endnote()
            if not running:
                return Observation(False, "EndNote is not running; start it again")
            newest = max(running, key=lambda p: p.started)
            if abs(newest.started - (self.run.endnote_start or 0.0)) < 0.5:
                return Observation(False, "EndNote was not restarted (the same EndNote is still running since "
                                          f"{datetime.fromtimestamp(newest.started):%H:%M:%S}); quit it and start it again")
            return Observation(True, f"EndNote restarted (pid {newest.pid})")
        if step.check == "export-matches":
            return self._export_matches(library, export)
        snap = take(library, integrity=False)
        if snap.status is not Status.OK or snap.counts is None or snap.ledger is None:
            return Observation(False, f"the library cannot be read right now ({snap.problem}); EndNote may be "
                                      "writing: wait a moment")
        if step.check == "trash-empty":
            if snap.counts.trashed:
                return Observation(False, f"{plural(snap.counts.trashed, 'reference is', 'references are')} still in the Desktop trash; "
                                          "right-click Trash and choose Empty Trash")
            return Observation(True, "the Desktop trash is empty")
        if step.check == "ledger-cleared":
            if snap.ledger.sync_rows:
                return Observation(False, f"the library still holds {snap.ledger.sync_rows} sync records, so its "
                                          f"local sync state was not reset; check that {RESET_TEXT} follows the e-mail "
                                          "exactly, then Sync again")
            return Observation(True, "the local sync ledger is cleared")
        if step.check == "opened":
            opened = [path for process in find_endnote() for path in process.open_libraries]
            if not opened:
                return None  # open files cannot be seen here (e.g. Windows): ask instead
            if library.path in opened:
                return Observation(True, f"EndNote has {library.name} open")
            return Observation(False, f"EndNote has {', '.join(p.name for p in opened)} open, not {library.name}")
        if step.check == "synced":
            started = self.run.started_at
            last = snap.ledger.last_sync
            waiting = snap.ledger.pending + snap.ledger.unsynced
            if last is None or started is None or last <= started:
                return Observation(False, "no sync has completed since the reset started; leave EndNote syncing")
            if waiting:
                return Observation(False, f"the sync is not finished: {plural(waiting, 'object still waits', 'objects still wait')} to be sent")
            return Observation(True, f"the full sync finished at {last:%H:%M} with nothing left to send")
        raise EndnotedError(f"unknown observation {step.check!r}")  # a bug in reset_steps

    def newest_export(self) -> Path | None:
        """The newest Web export in the watched folders saved after the full sync (step 14's default)."""
        synced_at = next((parse_iso(o["at"]) for o in reversed(self.observed()) if o["step"] == 13), None)
        candidates = [p for folder in self.export_folders if folder.is_dir() for p in folder.iterdir()
                      if p.is_file() and p.suffix.lower() in (".xml", ".ris", ".txt")]
        if synced_at is not None:
            candidates = [p for p in candidates if p.stat().st_mtime >= synced_at.timestamp()]
        return max(candidates, key=lambda p: p.stat().st_mtime, default=None)

    def _export_matches(self, library: Library, export: Path | None) -> Observation:
        path = export or self.newest_export()
        if path is None or not path.is_file():
            return Observation(False, "no export file yet; save one from EndNote Web (Format → Export References)")
        try:
            result = compare(take(library, integrity=False), path)
        except ExportError as error:
            return Observation(False, str(error))
        if not result.belongs:
            return Observation(False, f"{path.name} does not look like an export of {library.name} ({result.trust}); "
                                      "export All My References from the account this library now syncs with")
        if result.missing_on_web or result.missing_on_desktop:
            return Observation(False, f"{path.name}: {plural(len(result.missing_on_web), 'reference is', 'references are')} missing on Web and "
                                      f"{len(result.missing_on_desktop)} missing on Desktop; if the sync is still "
                                      "running, wait and export again")
        return Observation(True, f"{path.name} matches: {plural(result.matched, 'reference')} on both sides")
