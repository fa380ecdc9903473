"""The daemon's part of issue #11: a drop in references is an alert; an export is never matched by db-id alone."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from endnoted.common import paths
from endnoted.demo.builder import LibrarySpec, RefSpec, build, days_ago, edit, synthetic_refs
from endnoted.judging.findings import State
from endnoted.running import logs
from endnoted.running.runner import Daemon
from endnoted.state.refcache import RefCache
from endnoted.state.store import Store
from tests.conftest import run
from tests.running.test_daemon import RecordingNotifier, in_process, settle, snapshots, state, wait_for

__all__ = ["in_process", "state"]   # fixtures shared with test_daemon


def _findings(state: Path, path: Path) -> set[str]:
    db = sqlite3.connect(f"{(state / 'state.db').as_uri()}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT report FROM libraries WHERE path = ?", (str(path),)).fetchone()
    finally:
        db.close()
    return {f["code"] for f in json.loads(row[0])["findings"]} if row else set()


def test_an_emptied_trash_and_a_drop_are_told_once(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                                   tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(30) + [RefSpec(f"Trashed paper {n}", trashed=True) for n in range(8)]
    enl = build(tmp_path / "lib", LibrarySpec(name="Thesis", refs=refs, last_sync=days_ago(0.1))).resolve()
    _daemon, notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first reading")
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("DELETE FROM refs WHERE trash_state != 0")
        db.execute("DELETE FROM refs WHERE id IN (SELECT id FROM refs WHERE trash_state = 0 LIMIT 6)")
    wait_for(lambda: len(notifier.sent) >= 2, 15, "the deletion alerts")
    titles = [title for title, _ in notifier.sent]
    assert titles == ["EndNote: Thesis lost 6 references", "EndNote: Thesis lost 8 references"]
    assert "30 then, 24 now" in notifier.sent[0][1]
    assert "deletes them from EndNote Web" in notifier.sent[1][1]
    count = len(snapshots(state, enl))
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("UPDATE refs SET title = title || ' (edited)' WHERE id = (SELECT max(id) FROM refs)")
    wait_for(lambda: len(snapshots(state, enl)) > count, 15, "the next reading")
    assert len(notifier.sent) == 2   # measured against the last healthy reading: told once


def test_an_export_carrying_the_db_id_of_a_copy_is_reported_not_judged(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(10), last_sync=days_ago(0.5),
                                              db_id="shared-id")).resolve()
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    _daemon, notifier = in_process(enl, export_folders=(downloads,))
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first reading")
    records = "".join(f'<record><rec-number>{n}</rec-number><foreign-keys><key app="EN" db-id="shared-id">{n}'
                      f"</key></foreign-keys><titles><title>What a copy of the library holds, {n}</title></titles>"
                      f"<dates><year>1999</year></dates></record>" for n in range(1, 9))
    (downloads / "copy.xml").write_text(f'<?xml version="1.0" encoding="UTF-8" ?><xml><records>{records}'
                                        "</records></xml>", encoding="utf-8")
    wait_for(lambda: "export.not-this-library" in _findings(state, enl), 15, "the export to be reported")
    assert snapshots(state, enl)[-1].verdict is State.IN_SYNC
    assert notifier.sent == []


def test_a_change_still_pending_after_a_sync_is_stuck(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                                      tmp_path: Path, state: Path) -> None:
    """Pending at one reading, a sync completes, still pending at the next: it survived that sync."""
    refs = synthetic_refs(5)
    refs[2].action = 1
    enl = build(tmp_path / "lib", LibrarySpec(name="Thesis", refs=refs, last_sync=days_ago(0.01))).resolve()
    database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    with edit(database) as db:   # no time on the change: only the daemon's memory can tell it survived a sync
        db.execute("UPDATE sync SET action_timestamp = 0 WHERE type = 1 AND item_id = 3")
    _daemon, _notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first reading")
    assert "sync.stuck" not in _findings(state, enl)   # just waiting: EndNote sends it at its next sync
    count = len(snapshots(state, enl))
    with edit(database) as db:   # a sync completes and leaves the row pending
        db.execute("UPDATE misc SET value = CAST(CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 90000 AS TEXT) "
                   "WHERE code = 6 AND subcode = 41")
    wait_for(lambda: len(snapshots(state, enl)) > count, 15, "the reading after the sync")
    wait_for(lambda: "sync.stuck" in _findings(state, enl), 5, "the stuck row to be named")


def test_a_page_overwritten_in_place_is_damaged_soon_after_the_save_reading(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], real_copy: Callable[[str], Path],
        state: Path) -> None:
    """An incremental reading does not re-check the structure; the check that follows it on the worker does."""
    copy = real_copy("Wanganlin00-EndNote/en21-synced")
    enl = (copy / "My EndNote Library.enl").resolve()
    database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    daemon, notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first full pass")
    settle(daemon, database.parent, enl.parent)
    assert snapshots(state, enl)[-1].verdict is State.IN_SYNC
    before = database.stat()
    with database.open("r+b") as file:   # one page of an index overwritten in place: same size, same inode
        file.seek(39 * 4096)
        file.write(os.urandom(4096))
    after = database.stat()
    assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)
    # The bound: the save's reading (after the 2 s quiet window), then the structural check right behind it.
    wait_for(lambda: snapshots(state, enl)[-1].verdict is State.DAMAGED, 10, "the damage to be found")
    result = run("status", "--json")
    assert result.exit_code == 4 and json.loads(result.stdout)["libraries"][0]["verdict"] == "damaged"
    settle(daemon, database.parent, enl.parent)
    assert [title for title, _ in notifier.sent] == ["EndNote: My EndNote Library is damaged"]


def test_another_librarys_database_copied_over_starts_a_new_baseline_not_a_loss(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(30) + [RefSpec(f"Trashed paper {n}", trashed=True) for n in range(8)]
    enl = build(tmp_path / "lib", LibrarySpec(name="Thesis", refs=refs, last_sync=days_ago(0.1))).resolve()
    other = build(tmp_path / "other", LibrarySpec(name="Other", refs=synthetic_refs(5, seed=7),
                                                  last_sync=days_ago(0.1), db_id="otherdb")).resolve()
    database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    daemon, notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first reading")
    settle(daemon, database.parent, enl.parent)
    shutil.copyfile(other.with_suffix(".Data") / "sdb" / "sdb.eni", database)   # written over, in place
    wait_for(lambda: snapshots(state, enl)[-1].references == 5, 15, "the reading of the other library's database")
    settle(daemon, database.parent, enl.parent)
    assert not {"library.references-dropped", "library.trash-emptied"} & _findings(state, enl)
    assert [title for title, _ in notifier.sent if " lost " in title] == []
    with Store(state / "state.db", readonly=True) as store:
        assert "library-replaced" in {event.kind for event in store.events(str(enl))}


def test_a_library_moved_away_and_back_is_watched_again(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(4), last_sync=days_ago(0.1))).resolve()
    daemon, _notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "first pass")
    (tmp_path / "lib").rename(tmp_path / "lib2")
    assert daemon._worker is not None
    daemon._worker.scheduler.add_job(daemon.check_one, args=[str(enl)])   # a reading while it is away
    wait_for(lambda: snapshots(state, enl)[-1].status == "gone", 10, "the reading while it is away")
    (tmp_path / "lib2").rename(tmp_path / "lib")
    wait_for(lambda: snapshots(state, enl)[-1].status == "ok", 15, "the library to be read again where it is")
    assert snapshots(state, enl)[-1].verdict is State.IN_SYNC
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:   # and its saves are read again
        db.execute("UPDATE refs SET title = title || ' (edited)' WHERE id = (SELECT max(id) FROM refs)")
    count = len(snapshots(state, enl))
    wait_for(lambda: len(snapshots(state, enl)) > count, 15, "the reading after a save")


def test_the_key_cache_recovers_when_its_table_is_dropped_while_the_daemon_runs(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(20), last_sync=days_ago(0.1))).resolve()
    database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    daemon, _notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first reading")
    settle(daemon, database.parent, enl.parent)
    tamper = sqlite3.connect(state / "state.db", timeout=10)
    with tamper:
        tamper.execute("DROP TABLE ref_keys")   # as `sqlite3 state.db "drop table ref_keys"` does
    tamper.close()
    for n in range(2):   # the save after it is checked (in full), and so is the next (the cache is back)
        count = len(snapshots(state, enl))
        with edit(database) as db:
            db.execute("UPDATE refs SET title = title || ? WHERE id = (SELECT max(id) FROM refs)", (f" ({n})",))
        wait_for(lambda count=count: len(snapshots(state, enl)) > count, 15, f"the reading after save {n}")
        assert snapshots(state, enl)[-1].status == "ok"
    settle(daemon, database.parent, enl.parent)
    cache = RefCache(state / "state.db")
    try:
        assert cache.stored(str(enl)) == 20   # the keys are kept again: saves are read incrementally again
    finally:
        cache.close()


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="RLIMIT_FSIZE is POSIX")
def test_a_state_disk_too_small_for_the_keys_still_records_the_verdict(tmp_path: Path, state: Path) -> None:
    """The keys of 12,000 references do not fit in 400 KB (RLIMIT_FSIZE, the OS's own limit, on the real
    `endnoted run`): their write fails, the verdict is still recorded."""
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(12000), last_sync=days_ago(0.1))).resolve()

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails (EFBIG), as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (400 << 10, 400 << 10))

    daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)], text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=small_disk)
    try:
        wait_for(lambda: len(snapshots(state, enl)) >= 1, 60, "the verdict, recorded despite the keys")
    finally:
        daemon.send_signal(signal.SIGTERM)
        _out, errors = daemon.communicate(timeout=30)
    assert [lib["verdict"] for lib in json.loads(run("status", "--json").stdout)["libraries"]] == ["in-sync"]
    said = (paths.log_dir() / logs.LOG_NAME).read_text(encoding="utf-8") + errors
    assert said.count("cannot be stored") == 1   # one line, however many readings
