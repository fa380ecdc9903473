"""The notification policy: worse verdicts alert once, stale needs two readings, recovery once, cooldown, silence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from endnoted.judging.verdict import State
from endnoted.running.alerts import AlertMemory, decide, problem_key, urgency

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
COOLDOWN = timedelta(hours=6)


def walk(states: list[State], *, silenced: bool = False, step: timedelta = timedelta(minutes=15)) -> list[str | None]:
    memory, kinds = AlertMemory(), []
    for index, state in enumerate(states):
        decision = decide(memory, state, now=NOW + index * step, cooldown=COOLDOWN, silenced=silenced)
        memory = decision.memory
        kinds.append(decision.kind)
    return kinds


def test_diverged_and_damaged_alert_at_once_and_only_once() -> None:
    assert walk([State.IN_SYNC, State.DIVERGED, State.DIVERGED, State.DIVERGED]) == [None, "alert", None, None]
    assert walk([State.DAMAGED, State.DAMAGED]) == ["alert", None]


def test_stale_must_be_seen_twice() -> None:
    assert walk([State.STALE, State.STALE, State.STALE]) == [None, "alert", None]
    assert walk([State.STALE, State.PENDING, State.STALE, State.IN_SYNC]) == [None, None, None, None]


def test_getting_worse_alerts_again_getting_better_does_not() -> None:
    assert walk([State.STALE, State.STALE, State.DIVERGED, State.STALE, State.DAMAGED]) == \
        [None, "alert", "alert", None, "alert"]


def test_recovery_notifies_once() -> None:
    assert walk([State.DIVERGED, State.IN_SYNC, State.IN_SYNC, State.PENDING]) == ["alert", "recovered", None, None]


def test_unknown_readings_change_nothing() -> None:
    assert walk([State.DIVERGED, State.UNKNOWN, State.DIVERGED, State.UNKNOWN, State.IN_SYNC]) == \
        ["alert", None, None, None, "recovered"]


def test_a_flapping_library_is_held_back_by_the_cooldown() -> None:
    assert walk([State.DIVERGED, State.IN_SYNC, State.DIVERGED]) == ["alert", "recovered", None]
    assert walk([State.DIVERGED, State.IN_SYNC, State.DIVERGED], step=timedelta(hours=7)) == \
        ["alert", "recovered", "alert"]


def test_a_running_reset_silences_its_library() -> None:
    assert walk([State.DIVERGED, State.DIVERGED], silenced=True) == [None, None]


def test_the_cooldown_holds_back_only_a_repeat_of_the_same_problem() -> None:
    memory = AlertMemory()
    told = decide(memory, State.DIVERGED, now=NOW, cooldown=COOLDOWN, problem="diverged:ledger.missed")
    back = decide(told.memory, State.IN_SYNC, now=NOW + timedelta(minutes=10), cooldown=COOLDOWN)
    again = decide(back.memory, State.DIVERGED, now=NOW + timedelta(minutes=20), cooldown=COOLDOWN,
                   problem="diverged:ledger.missed")
    assert (told.kind, back.kind, again.kind) == ("alert", "recovered", None)
    assert again.held_back and "held back" in again.why and "20 minutes ago" in again.why
    # A different problem within the cooldown is told at once.
    other = decide(back.memory, State.DIVERGED, now=NOW + timedelta(minutes=20), cooldown=COOLDOWN,
                   problem="diverged:compare.missing_on_web")
    assert other.kind == "alert" and not other.held_back
    # So is a worse one.
    worse = decide(back.memory, State.DAMAGED, now=NOW + timedelta(minutes=20), cooldown=COOLDOWN,
                   problem="damaged:integrity.failed")
    assert worse.kind == "alert"
    # After a held-back repeat, getting worse still alerts.
    assert decide(again.memory, State.DAMAGED, now=NOW + timedelta(minutes=30), cooldown=COOLDOWN).kind == "alert"


def test_diverged_and_damaged_are_critical_stale_is_not() -> None:
    assert [urgency(s) for s in (State.STALE, State.DIVERGED, State.DAMAGED)] == ["normal", "critical", "critical"]
    assert problem_key(State.DIVERGED, ["b", "a", "a"]) == "diverged:a:b"
