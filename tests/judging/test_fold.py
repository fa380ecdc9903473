"""The verdict folds findings (issue #10 item 3): the worst verdict pointed to wins, nothing else is read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from endnoted.judging.findings import Finding, Severity, State
from endnoted.judging.verdict import decide
from endnoted.reading.library import Layout, Library
from endnoted.reading.model import Snapshot, Status

SNAP = Snapshot(Library(Path("/x/Lib.enl"), "Lib", None, None, Layout.SQLITE), datetime(2026, 1, 1, tzinfo=UTC),
                Status.OK)


def _f(code: str, state: State | None, severity: Severity = Severity.WARNING, action: str = "") -> Finding:
    return Finding("t", code, severity, f"{code} message", verdict=state, reason=f"{code} reason", action=action)


def test_the_worst_verdict_pointed_to_wins_with_its_reasons_and_actions() -> None:
    verdict = decide(SNAP, [_f("a", State.PENDING, action="Press Sync."), _f("b", State.DIVERGED, Severity.ERROR,
                                                                            "Run reset."),
                            _f("c", State.DIVERGED, action="Compare first."), _f("d", None)])
    assert verdict.state is State.DIVERGED
    assert verdict.reason == "b reason. c reason."
    assert verdict.next_action == "Run reset. Compare first."   # the most severe finding's action first


def test_findings_without_a_verdict_never_move_it() -> None:
    verdict = decide(SNAP, [_f("sync.all-sent", State.IN_SYNC, Severity.INFO, "Nothing to do."),
                            _f("other", None, Severity.INFO), _f("note", None, Severity.INFO)])
    assert (verdict.state, verdict.next_action) == (State.IN_SYNC, "Nothing to do.")
    # A warning beside it does not move the verdict, but "Nothing to do." would read as "ignore it".
    verdict = decide(SNAP, [_f("sync.all-sent", State.IN_SYNC, Severity.INFO, "Nothing to do."),
                            _f("hazard", None, Severity.WARNING)])
    assert (verdict.state, verdict.next_action) == (
        State.IN_SYNC, "Nothing to do for the sync itself; the warnings endnoted check lists need a look.")
    assert decide(SNAP, [_f("sync.all-sent", State.IN_SYNC, Severity.INFO, "Press Sync."),
                         _f("hazard", None, Severity.ERROR)]).next_action == "Press Sync."


def test_no_judgement_is_unknown_never_in_sync() -> None:
    assert decide(SNAP, []).state is State.UNKNOWN
    assert decide(SNAP, [_f("x", None)]).state is State.UNKNOWN


def test_an_action_that_must_come_first_leads_the_next_action_whatever_the_verdict() -> None:
    # enl.newer-than-database says "back up both before syncing" while the stale verdict says "press
    # Sync": the backup leads, once however many findings ask for it.
    backup = Finding("t", "enl.newer-than-database", Severity.WARNING, "m", first="make a backup with endnoted backup")
    again = Finding("t", "enl.holds-missing-references", Severity.WARNING, "m", first="make a backup with endnoted backup")
    stale = decide(SNAP, [_f("sync.stale", State.STALE, action="Open the library in EndNote and press Sync."), backup, again])
    assert (stale.state, stale.next_action) == (
        State.STALE, "First, make a backup with endnoted backup. Then: Open the library in EndNote and press Sync.")
    calm = decide(SNAP, [_f("sync.all-sent", State.IN_SYNC, Severity.INFO, "Nothing to do."), backup])
    assert (calm.state, calm.next_action) == (
        State.IN_SYNC, "Make a backup with endnoted backup. The warnings endnoted check lists say why.")
