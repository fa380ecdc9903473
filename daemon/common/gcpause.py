"""Pause the cyclic garbage collector while a reading builds many small objects, and restore it after.

A reading of a 100k library or export creates millions of tuples, strings and XML elements that
are all alive until it ends, none of them in reference cycles that need the collector. With the
collector on, every few thousand allocations it walks them all again: at 100k references that
was 1-4 s of a `compare` (issue #16). Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state after, also on errors.

    Nested uses are safe: only the outermost one that found it enabled turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
