"""`endnoted run`: watch, schedule, remember, notify. The service manager daemonises it; this runs in the foreground.

Threads: watchdog observers hand events to the debouncer, which with the periodic jobs queues work on
APScheduler's single worker (worker.py): checks and store writes never run concurrently. The main thread
waits on the stop event, writes the heartbeat, pings systemd's watchdog (a hung loop is noticed, PLATFORM.md §7).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from array import array
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent

from endnoted import __version__
from endnoted.common import paths
from endnoted.common.config import Config
from endnoted.common.errors import EndnotedError, ExportError, LibraryVanished, StateStoreError
from endnoted.common.timefmt import iso_z
from endnoted.judging.checker import LibraryReport, check_library
from endnoted.judging.export_owner import export_owner
from endnoted.judging.matching import LibraryKeys, hashed_keys
from endnoted.probes.base import Peer, Reading
from endnoted.reading import incremental, prefs
from endnoted.reading.discovery import discover
from endnoted.reading.integrity import IntegrityMemo, recheck
from endnoted.reading.library import Library
from endnoted.reading.locations import mount_table
from endnoted.reading.model import Snapshot
from endnoted.running import baseline, export_catchup, logs, metrics
from endnoted.running.debounce import Debouncer
from endnoted.running.notify import Notifier
from endnoted.running.sdnotify import sd_notify, watchdog_interval
from endnoted.running.telling import Teller
from endnoted.running.watcher import Watcher, export_target, library_targets, prefs_target
from endnoted.running.worker import SaveClock, Worker
from endnoted.state.locking import FileLock
from endnoted.state.records import StoredReport
from endnoted.state.refcache import RefCache
from endnoted.state.refguard import GuardedRefCache
from endnoted.state.status import endnote_for_heartbeat
from endnoted.state.store import Store, existing

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


@dataclass
class Daemon:
    config: Config
    notifier: Notifier
    extra: Sequence[Path] = ()
    metrics_file: Path | None = None
    scan: bool = True
    state_db: Path = field(default_factory=paths.state_db)

    def __post_init__(self) -> None:
        self.libraries: dict[str, Library] = {}
        self._store_lock = threading.Lock()
        self._mounts = mount_table()
        self._started = datetime.now(UTC)
        self._sync_pref: Path | None = None   # EndNote's sync library, re-read on every full pass
        self._identities: dict[str, Peer] = {}  # each library's identity at its last reading: copies are told apart
        # Each library's last sync and the references pending at its last reading. The ids are kept
        # packed (one array, not thousands of int objects made mid-reading that would pin the
        # allocator's arenas of the whole reading in memory between passes).
        self._last_pending: dict[str, tuple[datetime | None, array[int]]] = {}
        self._files: dict[str, baseline.FileId | None] = {}   # each database file at its last healthy reading
        self._lost = baseline.Lost(self._look_again)   # libraries gone from their path, looked for again
        # Each library's `.enl` copy as last read (a few values): its keys live in the state file (_read).
        self._enl: dict[str, incremental.EnlMemo] = {}
        self._watch: list[str] | None = None   # the watch set, for `status`; None until the first pass looked
        self.store: Store | None = None
        self.refcache: RefCache | None = None
        # Set first on shutdown: a pass stops between libraries, and no job starts on a closing store.
        self._stopping = threading.Event()
        self._worker: Worker | None = None   # the scheduler's single worker thread, from run()

    # --- lifecycle ------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set (by SIGTERM/SIGINT or a test); raise AlreadyRunning if another daemon runs."""
        existing(self.state_db)   # a state folder that cannot be one: say so in one line before the lock trips on it
        lock = FileLock(self.state_db.parent / "daemon.lock", "the endnoted daemon").acquire()
        self.store = Store(self.state_db)
        self.refcache = GuardedRefCache(self.state_db)   # after the Store: its migrations make the tables
        debouncer = Debouncer(self._changed, quiet=self.config.quiet_seconds, max_wait=self.config.max_wait_seconds)
        watcher = Watcher(self._event, mounts=self._mounts, poll_seconds=self.config.poll_seconds)
        scheduler = (worker := Worker.single()).scheduler
        scheduler.add_listener(self._job_failed, EVENT_JOB_ERROR)
        self._debouncer, self._watcher, self._worker = debouncer, watcher, worker
        try:
            self._beat()
            self._event_log("daemon-started", f"endnoted {__version__} pid {os.getpid()}")
            logger.info(logs.startup_line(__version__, libraries=[*self.extra, *self.config.libraries],
                                          scan_roots=self.config.scan_roots if self.scan else [],
                                          export_folders=self.config.export_folders,
                                          notifier=getattr(self.notifier, "name", type(self.notifier).__name__)))
            self._notifier_check()
            debouncer.start()
            watcher.start()
            scheduler.add_job(worker.tracked, "interval", args=["full-pass", self.full_pass], id="full-pass",
                              minutes=self.config.full_pass_minutes, next_run_time=datetime.now(UTC), jitter=5)
            scheduler.add_job(self._prune, "interval", hours=24, id="prune")
            scheduler.start()
            sd_notify("READY=1", "STATUS=watching EndNote libraries")
            interval = min(HEARTBEAT_SECONDS, watchdog_interval() or HEARTBEAT_SECONDS)
            while not stop.wait(interval):
                self._beat()
                sd_notify("WATCHDOG=1")
        finally:
            # Order matters (issue #12): stop the worker before the store closes. `_stopping` makes a
            # running pass return after the library it is on; shutdown(wait=True) then waits for it,
            # so nothing uses the store after close ("Cannot operate on a closed database").
            self._stopping.set()
            sd_notify("STOPPING=1")
            watcher.stop()
            debouncer.stop()
            if scheduler.running:
                scheduler.shutdown(wait=True)
            self._beat(stopped=True)
            self._event_log("daemon-stopped", "clean stop")
            if self.refcache is not None:
                self.refcache.close()
            self.store.close()
            lock.release()

    def _notifier_check(self) -> None:
        """Record whether alerts can reach the user now, so `status` can say so (kind `notifier`)."""
        try:
            ready, why = self.notifier.ready()
        except Exception as error:  # a side channel: never sinks the daemon
            ready, why = False, f"{type(error).__name__}: {error}"
        name = getattr(self.notifier, "name", type(self.notifier).__name__)
        detail = f"{name}: " + ("ready" if ready else "alerts cannot be shown") + (f" ({why})" if why else "")
        self._event_log("notifier", detail)
        assert self.store is not None
        with self._store_lock:
            self.store.record_notifier(name, ready, why)
        if not ready:
            logger.warning("notifications: %s", detail)

    def _beat(self, stopped: bool = False) -> None:
        assert self.store is not None
        endnote = endnote_for_heartbeat()   # outside the lock: a slow scan (Windows) would hold up a save's check
        with self._store_lock:   # with EndNote's processes: `status` then need not scan (issue 16)
            self.store.beat(pid=os.getpid(), started_at=iso_z(self._started), version=__version__, stopped=stopped,
                            endnote=endnote, watching=self._watch)
        self._write_metrics()

    def _write_metrics(self) -> None:
        if (path := self._metrics_path()) is None:
            return
        assert self.store is not None
        with self._store_lock:
            rows = self.store.libraries()
        try:
            metrics.write(path, metrics.render([row.report for row in rows if row.report is not None],
                                               heartbeat=time.time()))
        except OSError as error:  # a side channel: never sinks the daemon
            logger.warning("cannot write metrics file %s: %s", path, error)

    def _metrics_path(self) -> Path | None:
        return self.metrics_file or self.config.metrics_file

    def _event_log(self, kind: str, detail: str, path: str | None = None) -> None:
        assert self.store is not None
        with self._store_lock:
            self.store.event(kind, detail, path)

    def _job_failed(self, event: JobExecutionEvent) -> None:
        logger.error("job %s failed: %s (it keeps its schedule)", event.job_id, event.exception)

    # --- work -----------------------------------------------------------------------------

    def _event(self, key: str, path: Path) -> None:
        """Called on watchdog threads: note the event, nothing more."""
        if key.startswith("export:"):
            self._debouncer.touch(("export", str(path)))
        else:
            self._debouncer.touch(key)

    def _changed(self, key: Hashable, last_event: float) -> None:
        """Called by the debouncer once a burst is over: queue the work on the scheduler's thread."""
        assert self._worker is not None
        if isinstance(key, tuple):
            self._worker.queue(f"export:{key[1]}", self.export_arrived, Path(key[1]))
        elif isinstance(key, str) and key.startswith("library:"):
            path = key.split(":", 1)[1]
            self._worker.saves.add(path, SaveClock(last_event, time.monotonic()))
            self._worker.queue(key, self._save, path)
        else:
            self._worker.queue("full-pass-now", self.full_pass)

    def _save(self, key: str) -> None:
        """A save's check, unless the periodic pass or a structural check has served it already (_saves_first)."""
        if self._worker is not None and (clock := self._worker.saves.take(key)) is not None:
            self.check_one(key, clock=clock)

    def _saves_first(self) -> None:
        """Check the saves waiting behind this job first, oldest first: the slower jobs call this before each
        library they read, so a save waits for one reading at most, not a whole pass (worker.py)."""
        while self._worker is not None and not self._stopping.is_set() and \
                (waiting := self._worker.saves.first()) is not None:
            self.check_one(waiting[0], clock=waiting[1])

    def settled(self) -> bool:
        """True when every file event seen so far has been acted on: nothing waits in the debouncer,
        nothing is queued, nothing runs. Events the OS has not delivered yet are not known here."""
        assert self._worker is not None
        return not self._worker.busy() and self._debouncer.idle()

    def last_event(self, folder: Path) -> Path | None:
        """The file of the last event delivered for a watched folder (Watcher.last_event)."""
        return self._watcher.last_event(folder)

    def full_pass(self) -> None:
        """Rediscover libraries, watch new ones, and check every library (watchers miss events)."""
        self._sync_pref = prefs.read().sync_library
        found = discover(self.config, self.extra, scan=self.scan)
        for item in found:
            key = str(item.library.path)
            if key not in self.libraries:
                self.libraries[key] = item.library
                self._watcher.watch(library_targets(item.library))
        self._watch = [*self.libraries, *self._lost.keys()]   # gone ones are still looked for; written by _beat
        self._watcher.watch(export_target(folder) for folder in self.config.export_folders)
        for export in export_catchup.unseen(self.config.export_folders, self.store, self._store_lock):
            self.export_arrived(export)   # saved while we were not running, or before its folder was watched
        self._watcher.watch([prefs_target(prefs.plist_path())])
        for key in list(self.libraries):
            self._saves_first()
            if self._stopping.is_set():
                logger.info("stopping: the pass ends here")
                return
            self.check_one(key, full=True)

    def check_one(self, key: str, *, full: bool = False, clock: SaveClock | None = None) -> LibraryReport | None:
        """Check one library and act on the result; a failure is logged and recorded, never raised.

        After a save the reading is incremental (reading/incremental.py); `full` (the periodic pass)
        reads everything again and checks the database's structure. A save's `clock` is marked on the
        way (running/saves.py) and logged once the verdict is recorded."""
        if key not in self.libraries and (back := self._lost.back(key)) is not None:   # back where it was
            self.libraries[key] = back
            self._watcher.watch(library_targets(back))
        library = self.libraries.get(key)
        if library is None or self._stopping.is_set():
            return None
        clock = clock or SaveClock(0.0, 0.0)   # unlogged marks for a check that is not a save's
        clock.mark("started")
        file = baseline.file_id(library)
        peers = tuple(peer for path, peer in self._identities.items() if path in self.libraries)
        try:
            if not library.path.exists():
                raise LibraryVanished(library.path)
            export = self._export_for(key)
            snap = self._read(key, library, full, compare=export is not None)
            clock.mark("read")
            previous = self._previous(key, snap, file)
            try:
                report = check_library(library, stale_after_seconds=self.config.stale_after_seconds,
                                       export=export, sync_library_pref=self._sync_pref,
                                       mounts=self._mounts, peers=peers, previous=previous, snapshot=snap)
            except EndnotedError as error:  # e.g. the remembered export went bad: check without it
                logger.warning("checking %s with its export failed (%s); checking without it", key, error)
                report = check_library(library, stale_after_seconds=self.config.stale_after_seconds,
                                       mounts=self._mounts, peers=peers, previous=previous, snapshot=snap)
        except LibraryVanished:   # moved or deleted, before or while read: gone (found again by its new name)
            self._gone(key, library)
            return None
        except Exception:  # one library's trouble must never stop the daemon
            logger.exception("checking %s failed", key)
            self._failed(key, library)
            return None
        clock.mark("judged")
        assert self.store is not None
        with self._store_lock:
            self.store.record_pass(StoredReport.from_report(report))
        clock.mark("recorded")
        if clock.last_event:
            logger.debug("%s", clock.line(key, report.verdict.state.value))
        self._lost.read(key)
        if report.snapshot.ok:
            self._files[key] = file
            self._identities[key] = Peer.of(report.snapshot)
            ledger = report.snapshot.ledger
            self._last_pending[key] = (ledger.last_sync if ledger else None, array("q", report.snapshot.pending_ids))
        self._teller().verdict(key, report)
        self._teller().deletions(key, report)
        self._write_metrics()
        return report

    def _failed(self, key: str, library: Library) -> None:
        """A check that raised: the verdict before it no longer stands; record that, if the store can."""
        assert self.store is not None
        try:
            with self._store_lock:
                self.store.record_pass(StoredReport.failed(key, library.name, datetime.now(UTC)))
                self.store.event("check-failed", "the check raised an error; see the log", key)
        except StateStoreError as error:
            logger.error("cannot record that checking %s failed: %s", key, error)

    def _read(self, key: str, library: Library, full: bool, *, compare: bool = False) -> Snapshot:
        """Read the library, incrementally when it can be (reading/incremental.py), with every reference's keys.

        The keys and fingerprints live in the state file (state/refcache.py, hashed: no titles or
        names), so nothing of a library stays in memory between readings, and the first save after a
        restart or a quiet spell is read incrementally too. A Web export to compare needs every
        title: that reading is a full one, as is the periodic pass.
        """
        if self.refcache is None:   # opened by run(); a caller that set only the store gets one here
            assert self.store is not None
            self.refcache = GuardedRefCache(self.store.path)
        why = "the periodic full pass" if full else "a Web export is compared" if compare else "asked"
        reading = incremental.read(library, self.refcache, hashed_keys, full=full or compare, memo=IntegrityMemo(),
                                   why=why, enl=self._enl.setdefault(key, incremental.EnlMemo()), texts=compare)
        if reading.dois is not None and reading.titles is not None:
            # Shared by the duplicates and .enl probes: no key is computed again for this reading.
            reading.snapshot.memo["keys"] = LibraryKeys(reading.dois, reading.titles, hashed=True)
        logger.debug("%s: %s reading", key, reading.mode)
        if reading.mode.startswith("incremental") and reading.snapshot.ok and self._worker is not None:
            self._worker.queue(f"structure:{key}", self._recheck, key)   # runs right after this check, on the same worker
        return reading.snapshot

    def _recheck(self, key: str) -> None:
        """After a save's incremental reading, which carries the last full reading's structural check: check the
        changed file's structure now; if it fails, read the library in full, which calls it damaged and alerts."""
        library = self.libraries.get(key)
        database = library.database if library is not None else None
        self._saves_first()   # behind its own library's verdict, not behind another library's save
        if database is None or self._stopping.is_set():
            return
        result = recheck(database, IntegrityMemo())
        if result is not None and result != "ok":
            logger.warning("%s fails SQLite's structural check since its last save; reading it in full", key)
            self.check_one(key, full=True)

    def _gone(self, key: str, library: Library) -> None:
        """The library is no longer where it was (moved, renamed or deleted): say so once, never call it damaged."""
        del self.libraries[key]
        self._enl.pop(key, None)
        if self.refcache is not None:
            self.refcache.forget(key)
        gone = StoredReport.gone(key, library.name, datetime.now(UTC))
        assert self.store is not None
        with self._store_lock:
            self.store.record_pass(gone)
            self.store.event("library-gone", gone.reason, key)
        logger.warning("%s is gone; looked for again shortly", key)
        self._lost.gone(key, library)

    def _look_again(self, key: str, delay: float) -> None:
        """Look for a library gone from its path after `delay` seconds, on the worker (check_one finds it back)."""
        if self._worker is not None:
            self._worker.scheduler.add_job(self._worker.tracked, "date", run_date=datetime.now(UTC) + timedelta(seconds=delay),
                                    args=[f"relook:{key}", self.check_one, key], id=f"relook:{key}",
                                    replace_existing=True)

    def _previous(self, key: str, snap: Snapshot, file: baseline.FileId | None) -> Reading | None:
        """The last healthy reading stored for this library: drops are measured against it, unless the library
        was replaced since (running/baseline.py): this reading is then the first of a new baseline."""
        assert self.store is not None
        with self._store_lock:
            last = self.store.last_snapshot(key)
        if last is None or last.references is None:
            return None
        if (why := baseline.replaced(last, snap, self._files.get(key), file)) is not None:
            logger.warning("%s was replaced (%s): losses are measured from this reading on", key, why)
            self._event_log("library-replaced", f"The library was replaced: {why}. Losses are measured from this "
                                                "reading on.", key)
            self._last_pending.pop(key, None)
            return None
        synced, pending = self._last_pending.get(key, (None, array("q")))
        return Reading(last.taken_at, last.references, last.trashed or 0, synced, frozenset(pending))

    def _export_for(self, key: str) -> Path | None:
        """The last Web export matched to this library, while it is newer than the library's last sync."""
        assert self.store is not None
        with self._store_lock:
            row = self.store.library(key)
            last = self.store.last_snapshot(key)
        export = Path(row.export_path) if row is not None and row.export_path else None
        if export is None or not export.is_file():
            return None
        synced = last.last_sync if last is not None else None
        if synced and export.stat().st_mtime < synced.timestamp():
            return None   # the library synced after the export was saved: the export is out of date
        return export

    def export_arrived(self, path: Path) -> None:
        """A file landed in a watched export folder: if it is a Web export, match it to its library."""
        export_catchup.seen(self.store, self._store_lock, path)   # looked at: not again at the next start
        try:
            key = export_owner(path, dict(self.libraries), stopping=self._stopping.is_set)
        except ExportError as error:
            logger.warning("Web export %s cannot be read: %s", path, error)
            return
        if key is None:
            if not self._stopping.is_set():
                self._event_log("export-unmatched", f"{path.name} matches no watched library")
            return
        with self._store_lock:
            self.store.set_library_fields(key, {"export_path": str(path)})   # type: ignore[union-attr]
        self._event_log("export-matched", f"Web export {path.name} compared with this library", key)
        self._saves_first()   # the comparison reads every title: seconds at 100k references
        self.check_one(key)

    def _teller(self) -> Teller:
        assert self.store is not None
        return Teller(self.store, self._store_lock, self.notifier, self.config.notify_cooldown_minutes)

    def _prune(self) -> None:
        assert self.store is not None
        with self._store_lock:
            gone = self.store.prune(self.config.history_days)
        logger.info("pruned %d old rows", gone)

