"""A library moved or renamed after it was synced: EndNote ties sync to the library's path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.reading.model import Snapshot


def _same(left: Path, right: Path) -> bool:
    # Both are resolved before the probes run (locate, and the checker for EndNote's preference).
    return os.path.normcase(str(left)) == os.path.normcase(str(right))


class MovedProbe:
    name = "moved"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        pref = context.sync_library_pref
        ledger = snapshot.ledger
        if pref is None or ledger is None or not ledger.configured or snapshot.library.enl is None:
            return
        if _same(pref, snapshot.library.path):
            return
        same_name = pref.stem == snapshot.library.name
        if not context.sync_library_pref_exists and same_name:
            yield Finding(self.name, "library.moved-after-sync", Severity.WARNING,
                          f"EndNote's sync preference still names {pref}, but this synced library now lives at "
                          f"{snapshot.library.path}: it was moved after syncing, so sync stops. Open this library "
                          "in EndNote and choose it again in Preferences → Sync.")
        elif not context.sync_library_pref_exists:
            yield Finding(self.name, "library.moved-after-sync", Severity.WARNING,
                          f"EndNote's sync preference names {pref}, which no longer exists; this synced library "
                          "may have been renamed. Choose it again in Preferences → Sync.")
        else:
            yield Finding(self.name, "library.not-the-sync-library", Severity.INFO,
                          f"This library holds sync records, but EndNote now syncs {pref.name}; only one library "
                          "syncs per account. Nothing to do unless this one should sync.")
