"""What the daemon tells the user after a check: a verdict's alert (alerts.decide says whether) and a loss of
references (told at once), with the store's memory of what was told. Runs on the daemon's worker thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from endnoted.common.timefmt import iso_z
from endnoted.common.words import plural
from endnoted.judging.checker import LibraryReport
from endnoted.judging.findings import Severity
from endnoted.judging.verdict import State, proposes_reset
from endnoted.reading.endnote_proc import find_endnote
from endnoted.running import alerts
from endnoted.running.notify import Notifier
from endnoted.state.store import Store


class Teller:
    def __init__(self, store: Store, lock: threading.Lock, notifier: Notifier, cooldown_minutes: float) -> None:
        self.store, self.lock, self.notifier, self.cooldown_minutes = store, lock, notifier, cooldown_minutes

    def deletions(self, key: str, report: LibraryReport) -> None:
        """A drop since the last healthy reading, or an emptied Trash on a synced library, is told at once."""
        for finding in report.findings:
            if finding.code not in ("library.references-dropped", "library.trash-emptied"):
                continue
            title = f"EndNote: {report.library.name} lost {plural(finding.count or 0, 'reference')}"
            delivery = self.notifier.send(title, finding.message, urgency="critical")
            with self.lock:
                self.store.record_notification(key, report.verdict.state.value, title, finding.message,
                                               delivery.delivered, delivery.error)
                self.store.event(finding.code.split(".", 1)[1], finding.message, key)

    def verdict(self, key: str, report: LibraryReport) -> None:
        state = report.verdict.state
        with self.lock:
            row = self.store.library(key)
            silenced = self.store.active_reset(key) is not None
        if state in alerts.BAD and report.snapshot.journal_present and find_endnote():
            return  # EndNote is mid-write (a sync burst): judge on a quieter reading
        memory = alerts.AlertMemory(State(row.alert_state) if row and row.alert_state else None,
                                    row.alerted_at if row else None,
                                    State(row.pending_state) if row and row.pending_state else None,
                                    row.alerted_problem if row else None)
        problem = alerts.problem_key(state, (f.code for f in report.findings if f.severity >= Severity.WARNING))
        decision = alerts.decide(memory, state, now=datetime.now(UTC), problem=problem,
                                 cooldown=timedelta(minutes=self.cooldown_minutes), silenced=silenced)
        with self.lock:
            self.store.set_library_fields(key, {
                "alert_state": decision.memory.alerted.value if decision.memory.alerted else None,
                "alerted_at": iso_z(decision.memory.alerted_at),
                "pending_state": decision.memory.candidate.value if decision.memory.candidate else None,
                "alerted_problem": decision.memory.problem})
            if decision.held_back:
                self.store.event("alert-held-back", f"{state.value}: {report.verdict.reason} ({decision.why})", key)
        if decision.kind is None:
            return
        name = report.library.name
        if decision.kind == "alert":
            title = f"EndNote: {name} is {state.value}"
            body = f"{report.verdict.reason} Next: {report.verdict.next_action}"
        else:
            title = f"EndNote: {name} is back to {state.value}"
            body = report.verdict.reason
        # The Repair… button starts the reset wizard: only where the next action proposes the reset.
        reset = decision.kind == "alert" and proposes_reset(state, report.verdict.next_action)
        delivery = self.notifier.send(title, body, repair=str(report.library.path) if reset else None,
                                      urgency=alerts.urgency(state) if decision.kind == "alert" else "normal")
        with self.lock:
            self.store.record_notification(key, state.value, title, body, delivery.delivered, delivery.error)
