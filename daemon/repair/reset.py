"""`endnoted reset`: the guided, resumable reset of EndNote's local sync state (DESIGN.md §6).

The wizard shows one step at a time, observes what it can (EndNote restarted, the Desktop trash
empty, the sync ledger cleared, the full sync done, a fresh Web export matching), asks the user
to confirm what it cannot see and records that it asked, and keeps its place in the store so a
later run continues at the same step. Step 0, a proven backup, comes before anything else.
It reads libraries only; the user changes them, in EndNote.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from endnoted.common import paths
from endnoted.common.errors import (
    ArchiveRejected,
    BackupError,
    EndnotedError,
    ExitStatus,
    ExportError,
    UsageError,
)
from endnoted.common.timefmt import iso_z, parse_iso
from endnoted.common.words import plural
from endnoted.judging.compare import compare
from endnoted.reading.endnote_proc import find_endnote
from endnoted.reading.enlx import prove
from endnoted.reading.library import Library, locate
from endnoted.reading.snapshot import Status, take
from endnoted.repair.backup import make_backup
from endnoted.repair.reset_steps import LAST_STEP, RESET_TEXT, STEPS, Step
from endnoted.state.locking import FileLock
from endnoted.state.store import Store

logger = logging.getLogger(__name__)
SITUATIONS = {"desktop-right": "A: the Desktop library is right, EndNote Web is wrong",
              "new-library": "B: another Desktop library should become the synced one",
              "web-right": "EndNote Web is right"}
BACKUP_FRESH = timedelta(hours=1)


class Console(Protocol):
    def say(self, text: str = "") -> None: ...

    def ask(self, question: str) -> str:
        """Return the user's answer; raise WizardStopped when no answer can come."""
        ...


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
    return {"library": run["library"], "situation": run["situation"], "step": run["step"],
            "observed": json.loads(run["observed"] or "[]"), "target": run.get("target"),
            "started_at": run["started_at"], "backup": run["backup"]}


def abandon(store: Store, library: Path) -> bool:
    run = store.active_reset(str(library))
    if run is None:
        return False
    store.update_reset(run["id"], {"ended_at": iso_z(_now()), "outcome": "abandoned"})
    store.event("reset-abandoned", f"reset abandoned at step {run['step']}; its backup stays", str(library))
    return True


class ResetWizard:
    def __init__(self, store: Store, library: Library, console: Console, *, backup_dir: Path,
                 export_folders: tuple[Path, ...] = (), situation: str | None = None,
                 new_library: Path | None = None, export: Path | None = None,
                 now: Callable[[], datetime] = _now) -> None:
        self.store = store
        self.library = library
        self.console = console
        self.backup_dir = backup_dir
        self.export_folders = export_folders
        self.situation = situation
        self.new_library = new_library
        self.export = export
        self.now = now
        self.run: dict[str, Any] = {}
        self.target = library

    # --- the whole run ------------------------------------------------------------------------

    def start(self) -> ExitStatus:
        digest = hashlib.sha256(str(self.library.path).encode()).hexdigest()[:16]
        lock = FileLock(paths.state_dir() / f"reset-{digest}.lock", f"a reset wizard for {self.library.name}")
        with lock:
            return self._go()

    def _go(self) -> ExitStatus:
        run = self.store.active_reset(str(self.library.path))
        if run is None:
            situation = self.situation or self._ask_situation()
            if situation == "web-right":
                self._explain_web_right()
                return ExitStatus.SUCCESS
            target = self._target(situation)
            run = self.store.start_reset(str(self.library.path), situation, str(target.path))
            self.store.event("reset-started", f"reset started ({SITUATIONS[situation]})", str(self.library.path))
            self.console.say(f"Started a reset of {self.library.name} ({SITUATIONS[situation]}).")
        else:
            self.console.say(f"Resuming the reset of {self.library.name} at step {run['step']} "
                             f"({SITUATIONS[run['situation']]}).")
        self.run = run
        self.target = locate(Path(run["target"]))[0] if run.get("target") else self.library
        while self.run["step"] <= LAST_STEP:
            step = STEPS[self.run["step"]]
            if not self._do(step):
                return ExitStatus.ATTENTION if step.number else ExitStatus.ERROR
        self.store.update_reset(self.run["id"], {"ended_at": iso_z(self.now()), "outcome": "done"})
        self.store.event("reset-done", "reset finished: EndNote Web matches the library", str(self.target.path))
        self.console.say(f"\nDone. {self.target.name} and EndNote Web hold the same references again. "
                         "endnoted keeps watching.")
        return ExitStatus.SUCCESS

    def _ask_situation(self) -> str:
        self.console.say(f"Resetting sync for {self.library.path}.")
        self._show_evidence()
        self.console.say("Which copy is right?\n  d  the Desktop library is right; EndNote Web is wrong\n"
                         "  n  another Desktop library should become the synced one\n"
                         "  w  the EndNote Web copy is right")
        choices = {"d": "desktop-right", "n": "new-library", "w": "web-right"}
        while True:
            answer = self.console.ask("Your choice [d/n/w]:").strip().lower()
            if answer in choices:
                return choices[answer]
            if answer in choices.values():
                return answer
            self.console.say("Please answer d, n or w.")

    def _show_evidence(self) -> None:
        row = self.store.library(str(self.library.path))
        snap = take(self.library, integrity=False)
        if snap.counts is not None and snap.ledger is not None:
            last = snap.ledger.last_sync.strftime("%Y-%m-%d %H:%M") if snap.ledger.last_sync else "never"
            self.console.say(f"  Desktop: {snap.counts.references} references, {snap.counts.trashed} in trash; "
                             f"last sync {last}; {snap.ledger.missed} never sent.")
        if row is not None and row.verdict is not None:
            self.console.say(f"  Last verdict: {row.verdict.value}: {row.reason}")
        if (lost := self._web_only()) is not None:
            self.console.say(f"  The latest Web export holds {lost[0]} references that this library lacks.")

    def _explain_web_right(self) -> None:
        self.store.event("reset-declined", "the Web copy is right: no reset", str(self.library.path))
        self.console.say(
            "Then do not reset: a reset would replace the Web copy with this library.\n"
            "The safer path keeps both:\n"
            "  1. In EndNote choose File → New and create a new, empty library.\n"
            "  2. In Edit → Preferences → Sync (Mac: EndNote → Settings → Sync) sign in and choose the new library; "
            "click Sync. EndNote downloads everything from EndNote Web into it.\n"
            f"  3. Keep {self.library.name} as it is: endnoted changed nothing. To see what differs: "
            f'endnoted compare "{self.library.path}" "NEW.enl" (the new library\'s .enl).')

    def _target(self, situation: str) -> Library:
        if situation != "new-library":
            return self.library
        path = self.new_library
        while path is None:
            answer = self.console.ask("Path of the library that should become the synced one (its .enl):").strip()
            path = Path(answer.strip('"')).expanduser() if answer else None
        found = locate(path)
        if len(found) != 1 or found[0].path == self.library.path:
            raise UsageError(f"{path} must name one other EndNote library")
        return found[0]

    # --- one step -----------------------------------------------------------------------------

    def _show(self, step: Step) -> None:
        on = self.target if step.on == "target" else self.library
        self.console.say(f"\nStep {step.number} of {LAST_STEP}: {step.title}" +
                         (f"  (library: {on.name})" if self.target.path != self.library.path else ""))
        for line in step.lines:
            self.console.say(f"  • {line}")

    def _do(self, step: Step) -> bool:
        self._show(step)
        if step.number == 0:
            return self._backup_step()
        if step.number == 2 and not self._confirm_loss():
            return False
        if step.number == 5:
            self._reset_text()
        if step.check in ("restarted",) and self.run.get("endnote_start") is None and not self._baseline_taken():
            self._take_baseline()
        while True:
            if step.check is None:
                answer = self.console.ask("Done? [yes/no]:").strip().lower()
                if answer not in ("y", "yes"):
                    self.console.say("Take your time; answer yes when the step is done.")
                    continue
                self._advance(step, "asked", "the user confirmed (endnoted cannot see this step)")
                return True
            self.console.ask("Press Enter when it is done:")
            seen = self._observe(step)
            if seen is None:
                answer = self.console.ask("endnoted cannot see this here. Done? [yes/no]:").strip().lower()
                if answer in ("y", "yes"):
                    self._advance(step, "asked", "the user confirmed (not observable here)")
                    return True
                continue
            if seen.ok:
                self.console.say(f"  ✓ {seen.detail}")
                self._advance(step, "seen", seen.detail)
                return True
            self.console.say(f"  ✗ Not yet: {seen.detail}")
            self._record(step, "contradicted", seen.detail)
            again = self.console.ask("Press Enter to look again, or type q to stop here (run endnoted reset later "
                                     "to continue):").strip().lower()
            if again == "q":
                return False

    def _advance(self, step: Step, how: str, detail: str) -> None:
        observed = self._record(step, how, detail)
        fields: dict[str, Any] = {"step": step.number + 1, "observed": json.dumps(observed)}
        nxt = step.number + 1
        if nxt <= LAST_STEP and STEPS[nxt].check == "restarted":
            fields["endnote_start"] = self._endnote_start()
        if step.number == 12:
            fields["endnote_start"] = None
        self.store.update_reset(self.run["id"], fields)
        self.run.update(fields)

    def _record(self, step: Step, how: str, detail: str) -> list[dict[str, Any]]:
        observed = list(json.loads(self.run.get("observed") or "[]"))
        observed.append({"step": step.number, "at": iso_z(self.now()), "how": how, "detail": detail})
        self.run["observed"] = json.dumps(observed)
        self.store.update_reset(self.run["id"], {"observed": self.run["observed"]})
        return observed

    # --- what the wizard can see ----------------------------------------------------------------

    def _endnote_start(self) -> float:
        running = find_endnote()
        return max(p.started for p in running) if running else 0.0

    def _baseline_taken(self) -> bool:
        return self.run.get("endnote_start") is not None

    def _take_baseline(self) -> None:
        start = self._endnote_start()
        self.store.update_reset(self.run["id"], {"endnote_start": start})
        self.run["endnote_start"] = start

    def _observe(self, step: Step) -> Observation | None:
        library = self.target if step.on == "target" else self.library
        if step.check == "restarted":
            running = find_endnote()
            if not running:
                return Observation(False, "EndNote is not running; start it again")
            newest = max(running, key=lambda p: p.started)
            if abs(newest.started - float(self.run.get("endnote_start") or 0.0)) < 0.5:
                return Observation(False, "EndNote was not restarted (the same EndNote is still running since "
                                          f"{datetime.fromtimestamp(newest.started):%H:%M:%S}); quit it and start it again")
            return Observation(True, f"EndNote restarted (pid {newest.pid})")
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
            started = parse_iso(self.run["started_at"])
            last = snap.ledger.last_sync
            waiting = snap.ledger.pending + snap.ledger.unsynced
            if last is None or started is None or last <= started:
                return Observation(False, "no sync has completed since the reset started; leave EndNote syncing")
            if waiting:
                return Observation(False, f"the sync is not finished: {waiting} objects still wait to be sent")
            return Observation(True, f"the full sync finished at {last:%H:%M} with nothing left to send")
        if step.check == "export-matches":
            return self._export_matches(library)
        raise EndnotedError(f"unknown observation {step.check!r}")  # a bug in reset_steps

    def _newest_export(self, after: datetime | None) -> Path | None:
        candidates = [p for folder in self.export_folders if folder.is_dir() for p in folder.iterdir()
                      if p.is_file() and p.suffix.lower() in (".xml", ".ris", ".txt")]
        if after is not None:
            candidates = [p for p in candidates if p.stat().st_mtime >= after.timestamp()]
        return max(candidates, key=lambda p: p.stat().st_mtime, default=None)

    def _export_matches(self, library: Library) -> Observation:
        observed = json.loads(self.run.get("observed") or "[]")
        synced_at = next((parse_iso(o["at"]) for o in reversed(observed) if o["step"] == 13), None)
        found = self._newest_export(synced_at)
        prompt = f"The Web export to compare [{found}]:" if found else "Path of the Web export you saved:"
        answer = self.console.ask(prompt).strip().strip('"')
        path = Path(answer).expanduser() if answer else found
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
            return Observation(False, f"{path.name}: {len(result.missing_on_web)} references are missing on Web and "
                                      f"{len(result.missing_on_desktop)} missing on Desktop; if the sync is still "
                                      "running, wait and export again")
        return Observation(True, f"{path.name} matches: {result.matched} references on both sides")

    # --- step 0, the backup ----------------------------------------------------------------------

    def _fresh_backup(self, library: Library) -> str | None:
        changed = max((p.stat().st_mtime for p in library.files()), default=0.0)
        for row in self.store.backups(str(library.path)):
            made = parse_iso(row["verified_at"]) or parse_iso(row["made_at"])
            if made is None or self.now() - made > BACKUP_FRESH or made.timestamp() < changed:
                continue
            try:
                if row["kind"] == "enlx" and prove(Path(row["path"])).counts is not None:
                    return str(row["path"])
            except ArchiveRejected:
                continue
        return None

    def _backup_step(self) -> bool:
        made: list[str] = []
        for library in dict.fromkeys([self.library, self.target]):
            if existing := self._fresh_backup(library):
                self.console.say(f"  ✓ a backup proven within the hour and newer than the library: {existing}")
                made.append(existing)
                continue
            self.console.say(f"  Making a proven backup of {library.name} in {self.backup_dir} …")
            try:
                result = make_backup(library, self.backup_dir)
            except (BackupError, EndnotedError) as error:
                self.console.say(f"  ✗ No proven backup could be made: {error}")
                self.console.say("  The reset will not go further without one. Fix the cause (or give "
                                 "--backup-dir on another disk) and run endnoted reset again.")
                self._record(STEPS[0], "refused", f"no proven backup: {error}")
                return False
            self.store.record_backup({"path": str(result.path), "library": str(library.path),
                                      "made_at": iso_z(self.now()), "size": result.size, "sha256": result.sha256,
                                      "references": result.counts.references, "trashed": result.counts.trashed,
                                      "attachments": result.counts.attachments, "kind": result.kind,
                                      "warnings": "\n".join(result.warnings)})
            self.console.say(f"  ✓ proven backup: {result.path} ({result.counts.references} references)")
            made.append(str(result.path))
        self.store.update_reset(self.run["id"], {"backup": "\n".join(made)})
        self.run["backup"] = "\n".join(made)
        self._advance(STEPS[0], "seen", "proven backup: " + ", ".join(Path(m).name for m in made))
        return True

    # --- the irreversible steps ---------------------------------------------------------------

    def _web_only(self) -> tuple[int, list[str]] | None:
        row = self.store.library(str(self.library.path))
        export = self.export or (Path(row.export_path) if row is not None and row.export_path else None)
        if export is None or not export.is_file():
            return None
        snap = take(self.library, integrity=False)
        if not snap.ok:
            return None
        try:
            result = compare(snap, export)
        except ExportError:
            return None
        if not result.belongs:
            return None   # an export of another library proves nothing about what the reset would delete
        return len(result.missing_on_desktop), [ref.title for ref in result.missing_on_desktop[:10]]

    def _confirm_loss(self) -> bool:
        lost = self._web_only()
        if lost is None:
            self.console.say("  ! endnoted has no Web export to compare, so it cannot tell whether EndNote Web holds "
                             "references this library lacks. To know first: save an export from EndNote Web and "
                             "run endnoted reset --export FILE.")
        elif lost[0]:
            self.console.say(f"  ! Steps 2-4 delete {lost[0]} references that are on EndNote Web but NOT in "
                             f"{self.library.name}. They will be gone from EndNote Web:")
            for title in lost[1]:
                self.console.say(f"      - {title[:90]}")
        else:
            self.console.say("  The latest Web export holds nothing that this library lacks.")
            return True
        while True:
            answer = self.console.ask(f"Type the library's name ({self.library.name}) to go on, or q to stop:").strip()
            if answer == self.library.name:
                self._record(STEPS[2], "asked", "the user typed the library's name to accept the loss")
                return True
            if answer.lower() == "q":
                return False
            self.console.say("That is not the library's name.")

    def _reset_text(self) -> None:
        answer = self.console.ask("Type your EndNote account e-mail to see the exact text to enter "
                                  "(it is not stored), or press Enter to skip:").strip()
        if answer:
            self.console.say(f"  Enter exactly:  {answer}{RESET_TEXT}")
        else:
            self.console.say(f"  Append exactly:  {RESET_TEXT}")
