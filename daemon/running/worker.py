"""The daemon's single worker: work queued on it, saves first, and how long a save took to its verdict (issue #16).

APScheduler runs every job on one thread, so library checks and store writes never run concurrently.
`Worker` counts what is queued and running: with the debouncer it says whether the daemon has
settled (Daemon.settled, which tests wait on).

The single worker has a cost: a save's check queued behind the periodic pass used to wait for every
library of the pass (seconds each at 100k references), and one behind another library's structural
check for that check. So the slower jobs (the pass, a structural check, a Web export's comparison)
serve the saves waiting before each library they read (`Daemon._saves_first`): a save waits for at
most one reading. A save served that way finds nothing to do when its own job comes up. Either way
its reading starts after its quiet window ended, so the verdict still comes from a reading started
after the burst's last write.

Each save carries a `SaveClock` (time.monotonic marks) to its verdict; the daemon logs one debug line
per save with the parts of the wait: the quiet window, the wait for the worker, reading, judging and
recording (`endnoted -vv run`; benchmarks/bench_real.py reads these lines).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

LINE_PREFIX = "save to verdict"   # benchmarks/bench_real.py finds the lines by it


@dataclass
class SaveClock:
    """Monotonic marks (time.monotonic seconds) of one save's way to its recorded verdict."""

    last_event: float     # the burst's last file event
    fired: float          # the quiet window ended and the check was queued
    started: float = 0.0  # the check began on the worker
    read: float = 0.0
    judged: float = 0.0
    recorded: float = 0.0

    def mark(self, stage: str) -> None:
        setattr(self, stage, time.monotonic())

    def line(self, key: str, verdict: str) -> str:
        """One log line: the whole wait and its parts, in seconds."""
        parts = (("quiet window", self.fired - self.last_event), ("waiting for the worker", self.started - self.fired),
                 ("reading", self.read - self.started), ("judging", self.judged - self.read),
                 ("recording", self.recorded - self.judged))
        return (f"{LINE_PREFIX} {self.recorded - self.last_event:.3f} s for {key} ({verdict}): "
                + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in parts))


class WaitingSaves:
    """The libraries whose save's check is queued and not begun, oldest first; used from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._saves: dict[str, SaveClock] = {}

    def add(self, key: str, clock: SaveClock) -> None:
        """A burst ended: its check is queued. A check still waiting for the library serves this burst too
        (it has not begun), so it keeps its place and takes this burst's clock."""
        with self._lock:
            self._saves[key] = clock

    def take(self, key: str) -> SaveClock | None:
        """The clock of this library's waiting save, now begun; None if it was served already."""
        with self._lock:
            return self._saves.pop(key, None)

    def first(self) -> tuple[str, SaveClock] | None:
        """The oldest waiting save, now begun; None when none waits."""
        with self._lock:
            if not self._saves:
                return None
            key = next(iter(self._saves))
            return key, self._saves.pop(key)


@dataclass
class Worker:
    """Work handed to the scheduler's one thread and not done yet: queued (by job id), running, and waiting saves."""

    scheduler: BackgroundScheduler
    saves: WaitingSaves = field(default_factory=WaitingSaves)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: set[str] = set()
        self._running = 0

    @classmethod
    def single(cls) -> Worker:
        """A worker on APScheduler's one thread; a periodic job late by up to a minute still runs, once."""
        return cls(BackgroundScheduler(executors={"default": ThreadPoolExecutor(max_workers=1)}, timezone=UTC,
                                       job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}))

    def queue(self, job_id: str, work: Callable[..., object], *args: object) -> None:
        """Queue work to run now; a job with the same id still waiting is replaced."""
        with self._lock:
            self._queued.add(job_id)
        self.scheduler.add_job(self.tracked, args=[job_id, work, *args], id=job_id, replace_existing=True)

    def tracked(self, job_id: str, work: Callable[..., object], *args: object) -> None:
        """Run work as the job `job_id` (every job runs through this, so `busy` sees it)."""
        with self._lock:
            self._running += 1
            self._queued.discard(job_id)   # a same-id job queued while this runs adds it back
        try:
            work(*args)
        finally:
            with self._lock:
                self._running -= 1

    def busy(self) -> bool:
        """True while work is queued and not started, or running."""
        with self._lock:
            return bool(self._queued) or self._running > 0
