"""Web exports no file event told the daemon of (running/export_catchup.py), and export folders made after it
started (running/watcher.py). Real watchdog observers, the real Daemon and real files in tmp_path; the only
waits are generous deadlines on what the daemon records."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from endnoted.common import config as config_module
from endnoted.demo.builder import LibrarySpec, RefSpec, build, days_ago, synthetic_refs
from endnoted.judging.findings import State
from endnoted.running.runner import Daemon
from endnoted.running.watcher import Watcher, export_target
from endnoted.state.store import Store
from tests.running.test_daemon import RecordingNotifier, in_process, settle, snapshots, state, wait_for

__all__ = ["in_process", "state"]   # fixtures shared with test_daemon


def _export(refs: list[RefSpec]) -> str:
    """A tab-delimited Web export lacking the library's first 3 references: comparing it makes the library diverged."""
    return "\n".join(["Title\tAuthor\tYear\tDOI"] + [f"{r.title}\t{r.authors[0]}\t{r.year}\t{r.doi}" for r in refs[3:]])


def _events(state: Path, kind: str) -> list[str]:
    with Store(state / "state.db", readonly=True) as store:
        return [event.detail for event in reversed(store.events(limit=1000)) if event.kind == kind]


def test_a_folder_made_after_the_watch_began_is_told_of_and_then_watched(tmp_path: Path) -> None:
    seen: list[tuple[str, Path]] = []
    lock = threading.Lock()

    def notify(key: str, path: Path) -> None:
        with lock:
            seen.append((key, path))

    downloads = tmp_path / "home" / "Downloads" / "exports"   # two levels that do not exist yet
    watcher = Watcher(notify)
    watcher.watch([export_target(downloads)])
    watcher.start()
    try:
        downloads.parent.mkdir()
        wait_for(lambda: (f"appeared:{downloads}", downloads) in seen, 10, "Downloads to be told of")
        watcher.watch([export_target(downloads)])   # the pass that key starts: exports/ is still missing
        downloads.mkdir()
        wait_for(lambda: seen.count((f"appeared:{downloads}", downloads)) == 2, 10, "exports/ to be told of")
        watcher.watch([export_target(downloads)])   # the next pass: the folder is there, and watched from now
        (downloads / "export.xml").write_text("<xml/>", encoding="utf-8")
        wait_for(lambda: (f"export:{downloads}", downloads / "export.xml") in seen, 10, "the export's event")
    finally:
        watcher.stop()


def test_an_export_in_a_downloads_folder_made_while_the_daemon_runs_is_compared(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(12, seed=5)
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.5))).resolve()
    downloads = tmp_path / "home" / "Downloads"
    assert not downloads.exists()
    daemon, _ = in_process(enl, export_folders=(downloads,))
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 30, "the first pass")
    assert snapshots(state, enl)[-1].verdict is State.IN_SYNC
    downloads.mkdir()
    (downloads / "My EndNote Library.txt").write_text(_export(refs), encoding="utf-8")
    wait_for(lambda: snapshots(state, enl)[-1].verdict is State.DIVERGED, 60, "the export to be compared")
    settle(daemon, downloads)
    assert _events(state, "export-matched") == ["Web export My EndNote Library.txt compared with this library"]


def _daemon(enl: Path, downloads: Path) -> tuple[Daemon, threading.Event, threading.Thread]:
    """The real Daemon on a thread, as `endnoted run LIBRARY` with this export folder; stop it with the event."""
    daemon = Daemon(config_module.Config(scan_roots=(), export_folders=(downloads,)), RecordingNotifier(),
                    extra=(enl,), scan=False)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,), name="test-daemon")
    thread.start()
    return daemon, stop, thread


def test_the_newest_export_saved_while_the_daemon_was_stopped_is_compared_once(tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(12, seed=5)
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.5))).resolve()
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    older = downloads / "older.txt"   # saved before the newest one: history, not looked at
    older.write_text("Title\tAuthor\tYear\tDOI\nNothing alike\tNobody, N.\t1999\t", encoding="utf-8")
    os.utime(older, (older.stat().st_mtime - 3600,) * 2)
    (downloads / "My EndNote Library.txt").write_text(_export(refs), encoding="utf-8")
    for _ in range(2):   # started, stopped, started again
        before = len(snapshots(state, enl))
        daemon, stop, thread = _daemon(enl, downloads)
        try:
            wait_for(lambda: len(snapshots(state, enl)) > before, 60, "the pass at start")   # noqa: B023
            settle(daemon, downloads)
        finally:
            stop.set()
            thread.join(timeout=30)
        assert snapshots(state, enl)[-1].verdict is State.DIVERGED
        # Compared at the first start only; the older file, matching no library, never looked at.
        assert _events(state, "export-matched") == ["Web export My EndNote Library.txt compared with this library"]
        assert _events(state, "export-unmatched") == []
