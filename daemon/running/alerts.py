"""When a verdict change deserves a desktop notification, and when it does not.

- Worse to `stale`, `diverged` or `damaged` alerts; never on every pass.
- `stale` is something a normal sync explains: it must be seen on two readings in a row.
  `diverged` and `damaged` alert at once.
- Recovery (back to in-sync, pending or not-synced) notifies once. `unknown` (a busy or
  unreadable moment) changes nothing.
- A cooldown stops repeats when a library flaps; a running reset wizard silences its library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from endnoted.judging.verdict import State

BAD = {State.STALE, State.DIVERGED, State.DAMAGED}


@dataclass(frozen=True)
class AlertMemory:
    """What we remember per library between readings."""

    alerted: State | None = None        # the bad verdict the user was last told about (None: healthy)
    alerted_at: datetime | None = None
    candidate: State | None = None      # a stale verdict seen once, waiting for a second reading


@dataclass(frozen=True)
class Decision:
    kind: str | None                    # "alert", "recovered" or None
    memory: AlertMemory
    why: str = ""


def decide(memory: AlertMemory, state: State, *, now: datetime, cooldown: timedelta,
           silenced: bool = False) -> Decision:
    """Given what we remember and the new verdict, return whether to notify and what to remember."""
    if state is State.UNKNOWN:
        return Decision(None, memory, "unknown readings change nothing")
    if state not in BAD:
        if memory.alerted is not None:
            return Decision("recovered", AlertMemory(None, memory.alerted_at, None))
        return Decision(None, AlertMemory(None, memory.alerted_at, None))
    if memory.alerted is not None and state.rank <= memory.alerted.rank:
        return Decision(None, AlertMemory(state, memory.alerted_at, None), "already told, or better than that")
    if state is State.STALE and memory.candidate is not State.STALE:
        return Decision(None, AlertMemory(memory.alerted, memory.alerted_at, State.STALE),
                        "stale needs a second reading")
    if silenced:
        return Decision(None, AlertMemory(memory.alerted, memory.alerted_at, state), "silenced (reset running)")
    if memory.alerted_at is not None and memory.alerted is None and now - memory.alerted_at < cooldown:
        return Decision(None, AlertMemory(state, memory.alerted_at, None), "within the cooldown")
    return Decision("alert", AlertMemory(state, now, None))
