"""The daemon's reference-key cache (state/refcache.py) made safe to fail: a write that fails never costs a check.

A write of the keys fails inside a reading that has already been taken: the state file's disk is
full ("database or disk is full"), or its tables were dropped or damaged by hand. A plain RefCache
raises StateStoreError there and the whole check is lost (nothing recorded, the old verdict stays).
GuardedRefCache logs one line, makes the cache's tables again (RefCache.rebuild: a cache, only time
is lost) and lets the reading finish; the library is then read in full until a write of its keys
succeeds, so no reading builds on keys that were not stored.
"""

from __future__ import annotations

import logging
from pathlib import Path

from endnoted.common.errors import StateStoreError
from endnoted.reading.fingerprints import Columns
from endnoted.reading.incremental import Meta
from endnoted.state.refcache import RefCache

logger = logging.getLogger(__name__)


class GuardedRefCache(RefCache):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.untrusted: set[str] = set()   # libraries whose keys could not be stored: read in full

    def load(self, library: str) -> tuple[Meta, Columns] | None:
        return None if library in self.untrusted else super().load(library)

    def save(self, library: str, meta: Meta, columns: Columns | None, before: Columns | None = None) -> None:
        try:
            super().save(library, meta, columns, before)
        except StateStoreError as error:
            self._failed(library, error)
        else:
            self.untrusted.discard(library)

    def forget(self, library: str) -> None:
        try:
            super().forget(library)
        except StateStoreError as error:
            self._failed(library, error)

    def _failed(self, library: str, error: StateStoreError) -> None:
        if library not in self.untrusted:
            logger.warning("the reference keys of %s cannot be stored (%s): it is read in full until they can",
                           library, error)
        self.untrusted.add(library)
        try:
            self.rebuild()
        except StateStoreError as again:   # a full disk: the next write tries again
            logger.debug("cannot make the reference-key tables again: %s", again)
