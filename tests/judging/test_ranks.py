"""ranks: the verdicts' order and exit statuses over their plain values agree with the State enum."""

from __future__ import annotations

from endnoted.common.errors import ExitStatus
from endnoted.judging import ranks
from endnoted.judging.findings import State, exit_status
from endnoted.judging.verdict import worst_first


def test_every_verdict_has_a_place_and_damaged_is_worst() -> None:
    assert sorted(ranks.WORST_FIRST) == sorted(state.value for state in State)
    assert [worst_first(State(value)) for value in ranks.WORST_FIRST] == list(range(len(State)))
    assert ranks.WORST_FIRST[0] == "damaged" and ranks.WORST_FIRST[-1] == "in-sync"


def test_the_exit_status_of_verdicts() -> None:
    assert exit_status([State.IN_SYNC, State.PENDING, State.NOT_SYNCED]) == ExitStatus.SUCCESS
    assert exit_status([State.IN_SYNC, State.STALE]) == ranks.exit_status(["unknown"]) == ExitStatus.ATTENTION
    assert exit_status([State.STALE, State.DAMAGED]) == ranks.exit_status(["diverged"]) == ExitStatus.DIVERGED
    assert ranks.exit_status([]) == ExitStatus.SUCCESS
