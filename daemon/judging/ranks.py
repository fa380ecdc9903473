"""The verdicts' order (worst first) and the exit status a pass's verdicts give, over the verdicts' plain
values ("in-sync", "stale", ...): `findings.exit_status` and `verdict.worst_first` answer through these, and
`endnoted status` uses them without importing the judging stage's records (start-up time, issue 16 item 5).

Imports: the error tree only.
"""

from __future__ import annotations

from endnoted.common.errors import ExitStatus

TYPE_CHECKING = False
if TYPE_CHECKING:   # annotations only: typing costs `status` an import (start-up time)
    from collections.abc import Iterable

# The verdict fold's order: damaged → diverged → stale → unknown → pending → not-synced → in-sync.
WORST_FIRST = ("damaged", "diverged", "stale", "unknown", "pending", "not-synced", "in-sync")
_DIVERGED = frozenset({"diverged", "damaged"})
_ATTENTION = frozenset({"stale", "unknown"})


def worst_first(verdict: str) -> int:
    """Given a verdict's value, its place in the fold order (0 = damaged … 6 = in-sync): tables list the worst first."""
    return WORST_FIRST.index(verdict)


def exit_status(verdicts: Iterable[str]) -> ExitStatus:
    """Given the verdicts' values of a pass, return check's exit status (README, "Exit codes")."""
    worst = ExitStatus.SUCCESS
    for verdict in verdicts:
        if verdict in _DIVERGED:
            return ExitStatus.DIVERGED
        if verdict in _ATTENTION:
            worst = ExitStatus.ATTENTION
    return worst
