"""The daemon's single worker (issue #16): a save goes ahead of the periodic pass and of a Web export's comparison,
and its way to the verdict is logged.

Real libraries in tmp_path, the real Daemon with its watchdog observer, debouncer and APScheduler worker.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, edit, synthetic_refs
from endnoted.judging.findings import State
from endnoted.running.runner import Daemon
from endnoted.running.worker import LINE_PREFIX
from tests.running.test_daemon import RecordingNotifier, drain, in_process, settle, snapshots, state, wait_for

__all__ = ["in_process", "state"]   # fixtures shared with test_daemon


def _library(tmp_path: Path, name: str) -> Path:
    return build(tmp_path / name, LibrarySpec(name=name, refs=synthetic_refs(12), last_sync=days_ago(0.1))).resolve()


def test_a_save_waiting_behind_the_periodic_pass_is_read_before_the_pass_goes_on(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    first, second, third = (_library(tmp_path, name) for name in ("First", "Second", "Third"))
    daemon, _ = in_process(first, second, third, quiet_seconds=0.2)
    wait_for(lambda: all(snapshots(state, enl) for enl in (first, second, third)), 15, "the first pass")
    folders = [enl.with_suffix(".Data") / "sdb" for enl in (first, second, third)]
    settle(daemon, *folders)
    known = {row.id for row in snapshots(state)}
    assert daemon._worker is not None
    # The test holds the store: a pass started now cannot record its first library until the save below
    # is queued behind it (the debouncer has fired), whatever the threads' timing.
    with daemon._store_lock:
        daemon._worker.queue("full-pass-now", daemon.full_pass)
        with edit(folders[2] / "sdb.eni") as db:   # the user deletes a reference in the third library
            db.execute("DELETE FROM refs WHERE id = (SELECT max(id) FROM refs)")
        drain(daemon, folders[2])
        wait_for(daemon._debouncer.idle, 10, "the save's quiet window to end")
    settle(daemon, *folders)
    new = [(Path(row.path), row.references) for row in snapshots(state) if row.id not in known]
    # The pass's first library, then the save (read after its write: one reference fewer), then the rest of
    # the pass; the save's own job, coming up last, finds it served and reads nothing.
    assert new == [(first, 12), (third, 11), (second, 12), (third, 11)]


def test_a_save_waiting_behind_a_web_export_is_read_before_the_export_is_compared(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(12, seed=5)
    compared = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.5))).resolve()
    saved = _library(tmp_path, "Saved")
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    daemon, _ = in_process(compared, saved, export_folders=(downloads,), quiet_seconds=0.2)
    wait_for(lambda: all(snapshots(state, enl) for enl in (compared, saved)), 15, "the first pass")
    folder = saved.with_suffix(".Data") / "sdb"
    settle(daemon, folder, downloads)
    known = {row.id for row in snapshots(state)}
    with daemon._store_lock:   # as above: the export's job cannot record anything before the save is queued
        lines = ["Title\tAuthor\tYear\tDOI"] + [f"{r.title}\t{r.authors[0]}\t{r.year}\t{r.doi}" for r in refs[3:]]
        (downloads / "My EndNote Library.txt").write_text("\n".join(lines), encoding="utf-8")
        with edit(folder / "sdb.eni") as db:
            db.execute("DELETE FROM refs WHERE id = (SELECT max(id) FROM refs)")
        drain(daemon, downloads)
        drain(daemon, folder)
        wait_for(daemon._debouncer.idle, 10, "both quiet windows to end")
    settle(daemon, folder, downloads)
    new = [(Path(row.path), row.references, row.verdict) for row in snapshots(state) if row.id not in known]
    # The export is matched first; the save waiting meanwhile is read before the export's slower comparison.
    assert new == [(saved, 11, State.IN_SYNC), (compared, 12, State.DIVERGED)]


def test_each_save_logs_its_way_to_the_verdict(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                               tmp_path: Path, state: Path, caplog: pytest.LogCaptureFixture) -> None:
    enl = _library(tmp_path, "Thesis")
    caplog.set_level(logging.DEBUG, logger="endnoted.running.runner")
    daemon, _ = in_process(enl, quiet_seconds=0.2)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first pass")
    settle(daemon, enl.with_suffix(".Data") / "sdb")
    assert not [r for r in caplog.records if LINE_PREFIX in r.getMessage()]   # the pass is no save
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:
        db.execute("UPDATE refs SET title = title || ' (edited)' WHERE id = 1")
    wait_for(lambda: len(snapshots(state, enl)) >= 2, 10, "the save's reading")
    settle(daemon, enl.with_suffix(".Data") / "sdb")
    lines = [r.getMessage() for r in caplog.records if LINE_PREFIX in r.getMessage()]
    assert len(lines) == 1 and f"for {enl} (in-sync)" in lines[0]
    total, *parts = (float(s) for s in re.findall(r"([0-9.]+) s\b", lines[0]))
    names = re.findall(r"([a-z][a-z ]*[a-z]) [0-9.]+ s", lines[0].split(": ", 1)[1])
    assert names == ["quiet window", "waiting for the worker", "reading", "judging", "recording"]
    assert parts[0] >= 0.2                              # the verdict came after a full quiet window
    assert abs(sum(parts) - total) < 0.002              # the parts are the whole wait (rounding aside)
