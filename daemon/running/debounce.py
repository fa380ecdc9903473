"""Group bursts of file events per key and fire once after quiet, never later than a cap.

EndNote commits in bursts (a rollback journal comes and goes, ~11 events a commit): a trailing
quiet window with a max-wait cap gives one callback per burst (PLATFORM.md §2: quiet 2 s, cap 30 s).
One thread serves every key. The callback is given the monotonic time of the burst's last event, so the
daemon can tell how long a save took to become a verdict (issue #16).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

logger = logging.getLogger(__name__)


class Debouncer:
    def __init__(self, callback: Callable[[Hashable, float], None], *, quiet: float = 2.0, max_wait: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._callback = callback
        self._quiet = quiet
        self._max_wait = max_wait
        self._clock = clock
        self._first: dict[Hashable, float] = {}
        self._last: dict[Hashable, float] = {}
        self._condition = threading.Condition()
        self._stopped = False
        self._dispatching = 0    # keys taken off the queue whose callback has not returned yet
        self._thread = threading.Thread(target=self._loop, name="endnoted-debounce", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def touch(self, key: Hashable) -> None:
        """Note an event for `key` (cheap; called from watcher threads)."""
        now = self._clock()
        with self._condition:
            self._first.setdefault(key, now)
            self._last[key] = now
            self._condition.notify()

    def idle(self) -> bool:
        """True when no key waits for its quiet window and no callback is running."""
        with self._condition:
            return not self._first and not self._dispatching

    def _due(self, now: float) -> tuple[list[Hashable], float | None]:
        due, wake = [], None
        for key, first in self._first.items():
            deadline = min(self._last[key] + self._quiet, first + self._max_wait)
            if deadline <= now:
                due.append(key)
            else:
                wake = deadline if wake is None else min(wake, deadline)
        return due, wake

    def _loop(self) -> None:
        while True:
            with self._condition:
                if self._stopped:
                    return
                due, wake = self._due(self._clock())
                lasts = [self._last[key] for key in due]
                for key in due:
                    del self._first[key], self._last[key]
                self._dispatching = len(due)
                if not due:
                    self._condition.wait(None if wake is None else max(wake - self._clock(), 0.01))
                    continue
            for key, last in zip(due, lasts, strict=True):
                try:
                    self._callback(key, last)
                except Exception:  # a failing callback must not kill the thread that serves every library
                    logger.exception("debounced callback for %s failed", key)
                finally:
                    with self._condition:
                        self._dispatching -= 1
