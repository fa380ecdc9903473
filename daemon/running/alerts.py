"""When a verdict change deserves a desktop notification, and when it does not.

- Worse to `stale`, `diverged` or `damaged` alerts; never on every pass.
- `stale` is something a normal sync explains: it must be seen on two readings in a row.
  `diverged` and `damaged` alert at once, at critical urgency.
- Recovery (back to in-sync, pending or not-synced) notifies once. `unknown` (a busy or
  unreadable moment) changes nothing.
- The cooldown holds back only a repeat of the same problem (a library that flaps between
  diverged and in-sync for one cause). A different problem, or a worse one, is told at once. A
  held-back alert is not lost: the caller records it in the history.
- A running reset wizard silences its library.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from endnoted.common.timefmt import duration
from endnoted.judging.verdict import State

BAD = {State.STALE, State.DIVERGED, State.DAMAGED}
CRITICAL_STATES = {State.DIVERGED, State.DAMAGED}


def problem_key(state: State, codes: Iterable[str] = ()) -> str:
    """What makes two alerts "the same problem": the verdict and the codes of the findings behind it."""
    return ":".join([state.value, *sorted(set(codes))])


def urgency(state: State) -> str:
    """Diverged and damaged must be heard: critical urgency, shown until dismissed."""
    return "critical" if state in CRITICAL_STATES else "normal"


@dataclass(frozen=True)
class AlertMemory:
    """What we remember per library between readings."""

    alerted: State | None = None        # the bad verdict the user was last told about (None: healthy)
    alerted_at: datetime | None = None  # when the user was last told of a problem
    candidate: State | None = None      # a stale verdict seen once, waiting for a second reading
    problem: str | None = None          # the problem last told (problem_key), for the cooldown


@dataclass(frozen=True)
class Decision:
    kind: str | None                    # "alert", "recovered" or None
    memory: AlertMemory
    why: str = ""
    held_back: bool = False             # an alert the cooldown held back: record it in the history


def decide(memory: AlertMemory, state: State, *, now: datetime, cooldown: timedelta, silenced: bool = False,
           problem: str | None = None) -> Decision:
    """Given what we remember, the new verdict and its problem key, return whether to notify and what to remember."""
    problem = problem or problem_key(state)
    if state is State.UNKNOWN:
        return Decision(None, memory, "unknown readings change nothing")
    if state not in BAD:
        kind = "recovered" if memory.alerted is not None else None
        return Decision(kind, AlertMemory(None, memory.alerted_at, None, memory.problem))
    if memory.alerted is not None and state.rank <= memory.alerted.rank:
        return Decision(None, AlertMemory(state, memory.alerted_at, None, memory.problem),
                        "already told, or better than that")
    if state is State.STALE and memory.candidate is not State.STALE:
        return Decision(None, AlertMemory(memory.alerted, memory.alerted_at, State.STALE, memory.problem),
                        "stale needs a second reading")
    if silenced:
        return Decision(None, AlertMemory(memory.alerted, memory.alerted_at, state, memory.problem),
                        "silenced (reset running)")
    if (memory.alerted is None and memory.alerted_at is not None and now - memory.alerted_at < cooldown
            and memory.problem == problem):
        # The same problem came back soon after a recovery: remember it as told, say so in the history.
        told = duration((now - memory.alerted_at).total_seconds())
        return Decision(None, AlertMemory(state, memory.alerted_at, None, problem),
                        f"held back: the same problem was told {told} ago (cooldown "
                        f"{duration(cooldown.total_seconds())})", held_back=True)
    return Decision("alert", AlertMemory(state, now, None, problem))
