"""Libraries that share one identity: copies of a library, and two libraries on one sync account.

Copies of a library keep its database id (misc code 14) and its sync account (misc 6/39) while
their contents drift apart; seen in public repositories (a library beside its `_Copy` and
`_Copy_Copy`, four same-named libraries in two id pairs) and in the tongtongtot sample series
(docs/ENDNOTE-RULES.md R4). EndNote Web syncs one library per account: syncing a second library
merges it into the Web copy (R5). Neither finding moves the verdict: they say which is which.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.reading.model import Snapshot


def _same(left: Path, right: Path) -> bool:
    return os.path.normcase(str(left)) == os.path.normcase(str(right))


def _names(paths: list[Path]) -> str:
    shown = ", ".join(str(path) for path in paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


class IdentityProbe:
    name = "identity"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        if not snapshot.ok or not context.peers:
            return
        here = snapshot.library.path
        others = [peer for peer in context.peers if not _same(peer.path, here)]
        copies = [peer.path for peer in others if snapshot.db_id and peer.db_id == snapshot.db_id]
        synced = snapshot.ledger is not None and snapshot.ledger.configured
        if copies:
            pref = context.sync_library_pref
            which = ""
            if pref is not None:
                chosen = next((path for path in [here, *copies] if _same(path, pref)), None)
                which = (f" EndNote syncs {'this one' if chosen == here else chosen}." if chosen is not None else
                         f" EndNote's preferences name {pref} as the synced library, none of these.")
            yield Finding(self.name, "library.copy-of-another", Severity.WARNING if synced else Severity.INFO,
                          f"This library is a copy of another (same database id) that endnoted also found: "
                          f"{_names(copies)}. Copies drift apart; only one should sync.{which} Keep working in one "
                          "and archive the others (endnoted backup, then move them out of the way).", len(copies))
        if snapshot.account and synced:
            shared = [peer.path for peer in others if peer.account == snapshot.account and peer.configured
                      and peer.db_id != snapshot.db_id]
            if shared:
                yield Finding(self.name, "library.same-account", Severity.WARNING,
                              f"Another library is configured for the same EndNote Web account: {_names(shared)}. "
                              "EndNote Web holds one library per account: syncing the second merges its references "
                              "into the Web copy. Sync only one of them.", len(shared))
