"""Work that takes longer than a page load (a backup), on a thread, with progress the page polls."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    id: str
    title: str
    back: str                     # where the page goes when the job is over
    total: int = 0
    done: int = 0
    state: str = "running"        # running, done, failed
    message: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set_total(self, amount: int) -> None:
        with self.lock:
            self.total = max(amount, 1)

    def advance(self, amount: int) -> None:
        with self.lock:
            self.done = min(self.done + amount, self.total or self.done + amount)

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            percent = 100 if self.state != "running" else int(100 * self.done / self.total) if self.total else 0
            return {"id": self.id, "state": self.state, "percent": min(percent, 100), "message": self.message,
                    "back": self.back}


class Jobs:
    """The jobs of this server run. Threads are daemon threads: closing the window must not wait on them,
    and a backup cut off that way leaves only its hidden temporary file, which the next backup removes."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, title: str, back: str, work: Callable[[Job], str]) -> Job:
        """Run `work(job)` on a thread; it returns the closing message or raises with the reason."""
        job = Job(secrets.token_urlsafe(8), title, back)
        with self._lock:
            self._jobs[job.id] = job

        def run() -> None:
            try:
                message = work(job)
                state = "done"
            except Exception as error:  # shown on the page; the work itself keeps nothing half-done
                message, state = str(error), "failed"
            with job.lock:
                job.message, job.state = message, state

        threading.Thread(target=run, name=f"endnoted-job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def running(self) -> bool:
        with self._lock:
            return any(job.state == "running" for job in self._jobs.values())
