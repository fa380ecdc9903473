"""What probes return: small immutable records, hashable so passes can be diffed as sets.

A finding carries what the verdict needs to fold it (issue #10, "one fact, judged once"): its
severity, the verdict it points to (if any), a short clause for the verdict's reason and the next
action that fixes its cause. It may also name the references behind its count (issue #11 item 7):
record number, title, year and first author, capped at LIST_CAP. Those lists are shown to the
researcher in `check`, `status` and `compare`; they never go into logs or the support bundle.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from endnoted.common.errors import ExitStatus
from endnoted.judging import ranks

LIST_CAP = 20  # references named per finding; the rest are counted ("… and N more")


class Severity(enum.IntEnum):
    INFO = 10
    WARNING = 20
    ERROR = 30

    @property
    def label(self) -> str:
        return self.name.lower()


class State(enum.Enum):
    """The verdict of one library. Lives here because every finding may point to one."""

    IN_SYNC = "in-sync"
    PENDING = "pending"
    NOT_SYNCED = "not-synced"
    STALE = "stale"
    UNKNOWN = "unknown"
    DIVERGED = "diverged"
    DAMAGED = "damaged"

    @property
    def rank(self) -> int:
        """How bad it is: a higher rank is worse (used to notify only when things get worse)."""
        return _RANK[self]


_RANK = {State.IN_SYNC: 0, State.NOT_SYNCED: 0, State.PENDING: 1, State.UNKNOWN: 2, State.STALE: 3,
         State.DIVERGED: 4, State.DAMAGED: 5}


@dataclass(frozen=True, slots=True)
class RefItem:
    """One reference named by a finding or a comparison. `record` is the Desktop record number
    (refs.id, the number Word citations use) or, for an export, the export's own record number
    (None when the export gives none, or a non-numeric one)."""

    record: int | None
    title: str
    year: str
    first_author: str

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "title": self.title, "year": self.year, "first_author": self.first_author}


def ref_list(items: Iterable[RefItem], total: int | None = None) -> tuple[tuple[RefItem, ...], int]:
    """Given the references behind a count, return at most LIST_CAP of them and how many more there are."""
    every = list(items)
    shown = tuple(every[:LIST_CAP])
    return shown, max(0, (len(every) if total is None else total) - len(shown))


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a probe noticed. `code` is a stable, documented id (see README)."""

    probe: str
    code: str
    severity: Severity
    message: str  # one sentence for a person, naming the next action where there is one
    count: int | None = None  # how many objects it is about, where that is a number
    verdict: State | None = None  # the verdict this finding points to; None: it never moves the verdict
    reason: str = ""   # a clause for the verdict's reason (default: the message)
    action: str = ""   # the next action that fixes this finding's cause (the mildest that does)
    references: tuple[RefItem, ...] = ()  # the references behind `count`, capped at LIST_CAP
    more: int = 0      # how many references were left out of `references`
    # What must come before any next action, whatever the verdict (a backup before a sync that could
    # overwrite what only one copy holds): the verdict's next action begins with it.
    first: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "severity": self.severity.label, "message": self.message}
        if self.count is not None:
            data["count"] = self.count
        data["probe"] = self.probe
        if self.verdict is not None:
            data["verdict"] = self.verdict.value
        if self.references:
            data["references"] = [item.to_json() for item in self.references]
            data["more"] = self.more
        return data


def exit_status(states: Iterable[State]) -> ExitStatus:
    """Given the verdicts of a pass, return check's exit status (README, "Exit codes"; the rule: ranks.py)."""
    return ranks.exit_status(state.value for state in states)
