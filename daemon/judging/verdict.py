"""Folds the findings of one pass into one verdict per library, with a reason and the next action.

Probes judge; this module only folds (issue #10, "one fact, judged once"). Each finding may point
to a verdict; the worst one pointed to wins:
damaged → diverged → stale → unknown → pending → not-synced → in-sync.
Its reason joins the reasons of the findings that point to it, and its next action is theirs,
most severe first. Nothing here reads the snapshot's ledger: a probe already judged it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from endnoted.judging import ranks
from endnoted.judging.findings import Finding, Severity, State

if TYPE_CHECKING:   # for annotations only: tables sort by worst_first without loading the reader (status start-up)
    from endnoted.reading.model import Snapshot

__all__ = ["State", "Verdict", "decide", "proposes_reset", "worst_first"]

# The fold's order, worst first (ranks.WORST_FIRST holds it as the verdicts' values).
_ORDER = tuple(State(value) for value in ranks.WORST_FIRST)


def worst_first(state: State) -> int:
    """Given a verdict, its place in the fold order (0 = damaged … 6 = in-sync): tables list the worst first."""
    return ranks.worst_first(state.value)


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    reason: str
    next_action: str


NOTHING = "Nothing to do."
NOTHING_BUT_WARNINGS = "Nothing to do for the sync itself; the warnings endnoted check lists need a look."


def proposes_reset(state: State, next_action: str) -> bool:
    """Given a verdict, whether its next action is the reset: the one rule behind the daemon's Repair… button
    and the wizard's "nothing calls for a reset" (the probes propose it as `endnoted reset "PATH"`, only where
    the evidence says the Web copy lacks references: sync.missed-references, compare.missing-on-web)."""
    return state is State.DIVERGED and "endnoted reset" in next_action


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _distinct(texts: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for text in texts:
        if text and text not in seen:
            seen.append(text)
    return seen


def decide(snapshot: Snapshot, findings: Iterable[Finding]) -> Verdict:
    """Given a snapshot and the findings of its probes, return the library's verdict.

    With no finding pointing anywhere (a probe set that judged nothing), the verdict is `unknown`:
    endnoted never says in-sync without a probe that found it so.
    """
    findings = list(findings)
    pointing = [finding for finding in findings if finding.verdict is not None]
    for state in _ORDER:
        chosen = sorted((f for f in pointing if f.verdict is state), key=lambda f: -f.severity)
        if chosen:
            reason = " ".join(_sentence(text) for text in _distinct(f.reason or f.message for f in chosen))
            action = " ".join(_sentence(text) for text in _distinct(f.action for f in chosen)) or NOTHING
            if action == NOTHING and any(f.verdict is None and f.severity >= Severity.WARNING for f in findings):
                # The sync needs nothing, but a warning (missing attachments, a newer .enl) asks for a
                # look: "Nothing to do." beside it read as "ignore the warnings".
                action = NOTHING_BUT_WARNINGS
            if firsts := _distinct(f.first for f in findings):
                # "Press Sync" beside "back up before syncing" read as two orders; one comes first.
                first = " ".join(_sentence(text) for text in firsts)
                action = f"{first[0].upper()}{first[1:]} The warnings endnoted check lists say why." \
                    if action.startswith("Nothing to do") else f"First, {first} Then: {action}"
            return Verdict(state, reason, action)
    if not snapshot.ok:
        return Verdict(State.UNKNOWN, f"endnoted could not read the library: {snapshot.problem}.",
                       "Check the path, then run endnoted check again.")
    return Verdict(State.UNKNOWN, "No check judged this library's sync state.",
                   "Run endnoted check with the built-in probes.")
