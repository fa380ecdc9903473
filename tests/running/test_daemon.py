"""The daemon for real: watchdog on a real library copy, the daemon as a subprocess, systemd's notify socket,
and notifications through a real notification server on a private D-Bus."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from endnoted.common import config as config_module
from endnoted.common.errors import StateStoreError
from endnoted.demo.builder import LibrarySpec, build, days_ago, edit, synthetic_refs
from endnoted.judging.findings import State
from endnoted.running.notify import Delivery
from endnoted.running.runner import Daemon
from endnoted.state.records import SnapshotRow
from endnoted.state.store import Store
from tests.conftest import run, tree_hash

HERE = Path(__file__).resolve().parent.parent   # tests/: dbus_notify_server.py


def snapshots(state: Path, path: Path | None = None) -> list[SnapshotRow]:
    """The daemon's readings so far, oldest first, read the way `status` reads them: through the store."""
    try:
        with Store(state / "state.db", readonly=True) as store:
            return list(reversed(store.snapshots(str(path) if path else None, limit=100000)))
    except StateStoreError:   # no state file yet
        return []


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def drain(daemon: Daemon, folder: Path) -> None:
    """Wait until every file event in a watched folder so far has reached the daemon.

    A folder's events arrive in order, so the event of a file written now (one no target accepts)
    comes after all earlier ones; the file is removed again so the folder's hash is unchanged.
    """
    sentinel = folder / f".endnoted-test-drain-{time.monotonic_ns()}"
    sentinel.write_bytes(b"")
    try:
        wait_for(lambda: daemon.last_event(folder) == sentinel, 10, f"the events in {folder} to arrive")
    finally:
        sentinel.unlink()


def settle(daemon: Daemon, *folders: Path) -> None:
    """Wait until the daemon has acted on every event in these folders: none waits, none is queued or running."""
    for folder in folders:
        drain(daemon, folder)
    wait_for(daemon.settled, 15, "the daemon to settle")


@dataclass
class RecordingNotifier:
    """A fake at the OS boundary (the desktop): remembers what would have been shown."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    urgencies: list[str] = field(default_factory=list)
    name: str = "recording"

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = "normal") -> Delivery:
        self.sent.append((title, body))
        self.urgencies.append(urgency)
        return Delivery("shown")

    def ready(self) -> tuple[bool, str]:
        return True, ""


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return Path(os.environ["ENDNOTED_STATE_DIR"])


@pytest.fixture
def in_process(state: Path) -> Iterator[Callable[..., tuple[Daemon, RecordingNotifier]]]:
    """Run the real Daemon (watchdog, APScheduler, store) on a thread; stop it at the end."""
    running: list[tuple[threading.Thread, threading.Event]] = []

    def start(*libraries: Path, **settings: object) -> tuple[Daemon, RecordingNotifier]:
        notifier = RecordingNotifier()
        cfg = config_module.Config(scan_roots=(), export_folders=settings.pop("export_folders", ()), **settings)
        daemon = Daemon(cfg, notifier, extra=libraries, scan=False)
        stop = threading.Event()
        thread = threading.Thread(target=daemon.run, args=(stop,), name="test-daemon")
        thread.start()
        running.append((thread, stop))
        return daemon, notifier

    yield start
    for thread, stop in running:
        stop.set()
        thread.join(timeout=10)


def test_a_write_gives_a_new_snapshot_within_5_s_and_a_burst_gives_at_most_2(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], real_copy: Callable[[str], Path],
        state: Path) -> None:
    copy = real_copy("Wanganlin00-EndNote/en21-synced")
    enl = (copy / "My EndNote Library.enl").resolve()
    daemon, _ = in_process(enl)
    database = copy / "My EndNote Library.Data/sdb/sdb.eni"
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first full pass")
    settle(daemon, database.parent, enl.parent)
    before = len(snapshots(state, enl))
    with edit(database) as db:
        db.execute("UPDATE refs SET title = title || ' (edited)' WHERE id = (SELECT min(id) FROM refs)")
    took = wait_for(lambda: len(snapshots(state, enl)) > before, 5, "a snapshot after one write")
    assert took < 5
    settle(daemon, database.parent, enl.parent)
    before = len(snapshots(state, enl))
    writer = sqlite3.connect(database, isolation_level=None)
    from endnoted.demo.builder import register_stand_ins
    register_stand_ins(writer)
    for n in range(50):  # 50 commits, 20 ms apart: one burst
        writer.execute("UPDATE refs SET record_last_updated = ? WHERE id = (SELECT min(id) FROM refs)", (n,))
        time.sleep(0.02)
    writer.close()
    settle(daemon, database.parent, enl.parent)   # every event of the burst delivered and acted on
    after = len(snapshots(state, enl))
    assert 1 <= after - before <= 2, f"{after - before} snapshots for one burst of 50 commits"


def test_our_own_reads_never_trigger_a_reading(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                               tmp_path: Path, state: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(10), last_sync=days_ago(0.1))).resolve()
    before_hash = tree_hash(enl.parent)
    daemon, _ = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "the first full pass")
    # Every event our own reading caused has arrived and been acted on: a feedback loop shows here.
    settle(daemon, enl.with_suffix(".Data") / "sdb", enl.parent)
    assert len(snapshots(state, enl)) == 1
    assert tree_hash(enl.parent) == before_hash


def test_a_new_web_export_in_the_watched_folder_is_matched_and_compared(
        in_process: Callable[..., tuple[Daemon, RecordingNotifier]], tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(12, seed=5)
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.5))).resolve()
    other = build(tmp_path / "other", LibrarySpec(name="Other", refs=synthetic_refs(9, seed=99),
                                                  last_sync=days_ago(0.5))).resolve()
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    daemon, notifier = in_process(enl, other, export_folders=(downloads,))
    wait_for(lambda: len(snapshots(state, enl)) >= 1 and len(snapshots(state, other)) >= 1, 15, "first pass")
    lines = ["Title\tAuthor\tYear\tDOI"] + [f"{r.title}\t{r.authors[0]}\t{r.year}\t{r.doi}" for r in refs[3:]]
    (downloads / "My EndNote Library.txt").write_text("\n".join(lines), encoding="utf-8")
    wait_for(lambda: snapshots(state, enl)[-1].verdict is State.DIVERGED, 10, "the export to be compared")
    # The daemon stores the reading first and alerts after it: wait for the alert itself (checking
    # the notifier as soon as the verdict was stored failed about 1 run in 11 on a loaded machine).
    settle(daemon, downloads)
    assert snapshots(state, other)[-1].verdict is State.IN_SYNC
    assert [title for title, _ in notifier.sent] == ["EndNote: My EndNote Library is diverged"]
    assert "3 references are missing on Web" in notifier.sent[0][1]


def _start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def test_the_daemon_as_a_real_process(tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(8)
    refs[0].synced, refs[0].added = False, int(days_ago(3).timestamp())
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(1))).resolve()
    before = tree_hash(enl.parent)
    daemon = _start(str(enl))
    try:
        wait_for(lambda: len(snapshots(state, enl)) >= 1, 20, "the daemon's first reading")
        running = run("status", "--json")
        data = json.loads(running.stdout)
        assert data["daemon"]["running"] is True and data["daemon"]["pid"] == daemon.pid
        assert [lib["verdict"] for lib in data["libraries"]] == ["diverged"] and running.exit_code == 4
        assert {"counts", "sync", "findings", "reason", "next_action"} <= set(data["libraries"][0])
        second = _start(str(enl))
        assert second.wait(timeout=20) == 0   # "already running" is not a failure: launchd must not loop
        assert "already running" in (second.stderr.read() if second.stderr else "")
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=5) == 0
        assert time.monotonic() - started < 2.5
        assert "Traceback" not in (daemon.stderr.read() if daemon.stderr else "")
    finally:
        daemon.kill()
        daemon.wait()
    stopped = run("status", "--json")
    assert stopped.exit_code == 5 and json.loads(stopped.stdout)["daemon"]["running"] is False

    restarted = _start(str(enl))
    try:
        wait_for(lambda: len(snapshots(state, enl)) >= 2, 20, "a reading after the restart")
        os.kill(restarted.pid, signal.SIGKILL)
        restarted.wait()
    finally:
        restarted.kill()
        restarted.wait()
    dead = run("status")
    assert dead.exit_code == 5
    assert "NOT running" in dead.stdout and "diverged" in dead.stdout  # the last known state, and it says so
    assert "crashed or was killed" in dead.stdout
    history = json.loads(run("history", "--json", str(enl)).stdout)["timeline"]
    assert history[0]["kind"] == "verdict" and history[0]["verdict"] == "diverged"
    assert tree_hash(enl.parent) == before


def test_systemd_readiness_and_watchdog_pings(tmp_path: Path, state: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(0.1))).resolve()
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(10)
    env = {**os.environ, "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "200000"}
    daemon = _start(str(enl), env=env)
    try:
        messages = [sock.recv(4096).decode() for _ in range(3)]
        assert messages[0].startswith("READY=1")
        assert messages[1:] == ["WATCHDOG=1", "WATCHDOG=1"]
        daemon.send_signal(signal.SIGTERM)
        seen = []
        while "STOPPING=1" not in seen:
            seen.append(sock.recv(4096).decode())
        assert daemon.wait(timeout=5) == 0
    finally:
        daemon.kill()
        daemon.wait()
        sock.close()


BARE_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/></policy></busconfig>"""


@pytest.fixture
def bare_bus(tmp_path: Path) -> Iterator[str]:
    """A private dbus-daemon with nothing on it (nothing is auto-activated); yields its address."""
    if not sys.platform.startswith("linux"):
        pytest.skip("needs a D-Bus session bus and a notification server: Linux only")
    dbus = shutil.which("dbus-daemon")
    assert dbus, "dbus-daemon is missing: ./scripts/test installs Debian's dbus package"
    conf = tmp_path / "bare.conf"
    conf.write_text(BARE_BUS)
    started = subprocess.run([dbus, f"--config-file={conf}", "--fork", "--print-address=1", "--print-pid=1"],
                             capture_output=True, text=True, check=True, timeout=20)
    address, pid = started.stdout.split()[:2]
    try:
        yield address
    finally:
        os.kill(int(pid), signal.SIGTERM)


def _notification_server(address: str, log: Path, **env: str) -> subprocess.Popen[str]:
    server = subprocess.Popen([sys.executable, str(HERE / "dbus_notify_server.py"), str(log)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, **env})
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    return server


@pytest.fixture
def private_bus(bare_bus: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The private bus with a recording notification server on it; yields the address and its log."""
    log = tmp_path / "notifications.jsonl"
    log.touch()
    server = _notification_server(bare_bus, log)
    try:
        yield bare_bus, log
    finally:
        server.kill()
        server.wait()


def test_a_verdict_change_gives_exactly_one_real_notification(private_bus: tuple[str, Path], tmp_path: Path,
                                                               state: Path) -> None:
    address, log = private_bus
    refs = synthetic_refs(8)
    refs[0].synced, refs[0].added = False, int(days_ago(3).timestamp())
    enl = build(tmp_path / "lib", LibrarySpec(name="Thesis", refs=refs, last_sync=days_ago(1))).resolve()
    (tmp_path / "config.toml").write_text("full_pass_minutes = 0.1\nscan_roots = []\n")  # a pass every 6 s
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "PATH": os.path.dirname(sys.executable)}
    daemon = _start(str(enl), env=env)
    try:
        wait_for(lambda: len(snapshots(state, enl)) >= 3, 30, "three passes over the library")
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=5) == 0
    shown = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(shown) == 1, shown
    assert shown[0]["summary"] == "EndNote: Thesis is diverged"
    assert "1 reference was in the library before the last sync" in shown[0]["body"]
    assert f'endnoted reset "{enl}"' in shown[0]["body"]
    assert shown[0]["app"] == "endnoted"
    # Diverged must be heard: critical urgency, no expiry, our own icon (not the Python logo).
    assert shown[0]["urgency"] == 2 and shown[0]["timeout"] == 0
    assert shown[0]["icon"].endswith("endnoted/assets/endnoted.png")
    history = json.loads(run("history", "--json", str(enl)).stdout)["timeline"]
    assert [entry["detail"] for entry in history if entry["kind"] == "notification"] == \
        ["EndNote: Thesis is diverged (shown)"]


def test_no_notification_server_is_a_logged_warning_not_a_false_success(bare_bus: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from endnoted.running.notify import DBusNotifier
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bare_bus)
    delivery = DBusNotifier(timeout=3).send("t", "b")
    assert delivery.outcome == "not-shown" and "no notification server" in delivery.error


def test_metrics_file_and_support_bundle(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                         tmp_path: Path, state: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(6), last_sync=days_ago(0.1))).resolve()
    metrics = tmp_path / "textfile" / "endnoted.prom"
    in_process(enl, metrics_file=metrics)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "first pass")
    from endnoted.state.store import Store
    with Store(state / "state.db") as store:
        store.event("note", "user jane.doe@example.org typed #!resetLocalSync", str(enl))
    wait_for(lambda: metrics.exists() and "endnoted_library_references{" in metrics.read_text(), 10, "metrics")
    text = metrics.read_text()
    assert f'endnoted_library_verdict{{library="{enl}",verdict="in-sync"}} 1' in text
    assert f'endnoted_library_references{{library="{enl}"}} 6' in text
    assert "endnoted_heartbeat_timestamp_seconds" in text
    bundle = tmp_path / "bundle.zip"
    assert run("report", "-o", str(bundle)).exit_code == 0
    import zipfile
    with zipfile.ZipFile(bundle) as archive:
        everything = "".join(archive.read(name).decode() for name in archive.namelist())
    assert "status.json" in str(zipfile.ZipFile(bundle).namelist())
    assert "jane.doe@example.org" not in everything and "<email>" in everything
    assert "#!resetLocalSync" not in everything
    assert str(Path(os.environ["HOME"])) not in everything


def test_discovery_reads_config_prefs_and_a_bounded_scan(tmp_path: Path, isolated_home: Path) -> None:
    import plistlib
    documents = isolated_home / "Documents" / "Research"
    build(documents, LibrarySpec(name="Scanned", refs=synthetic_refs(2)))
    configured = build(tmp_path / "elsewhere", LibrarySpec(name="Configured", refs=synthetic_refs(2)))
    synced = build(tmp_path / "synced", LibrarySpec(name="Synced", refs=synthetic_refs(2), last_sync=days_ago(1)))
    deep = build(isolated_home / "Documents" / "a" / "b" / "c" / "d" / "e", LibrarySpec(name="TooDeep",
                                                                                       refs=synthetic_refs(1)))
    plist = isolated_home / "Library" / "Preferences" / "com.ThomsonResearchSoft.EndNote.plist"
    plist.parent.mkdir(parents=True)
    plist.write_bytes(plistlib.dumps({"SyncLibraryPath": str(synced)}))
    (tmp_path / "config.toml").write_text(f'libraries = ["{configured}"]\n')
    data = json.loads(run("libraries", "--json").stdout)["libraries"]
    reasons = {Path(item["path"]).name: " ".join(item["reasons"]) for item in data}
    assert "listed in" in reasons["Configured.enl"]
    assert "sync library" in reasons["Synced.enl"]
    assert "found under" in reasons["Scanned.enl"]
    assert deep.name not in reasons


def test_store_migrations_are_append_only_and_idempotent(tmp_path: Path) -> None:
    from endnoted.state.migrations import migrations
    from endnoted.state.store import Store
    with Store(tmp_path / "s.db") as first:
        applied = [row["name"] for row in first.db.query("SELECT name FROM _sqlite_migrations")]
    with Store(tmp_path / "s.db") as again:
        assert [row["name"] for row in again.db.query("SELECT name FROM _sqlite_migrations")] == applied
    assert applied == [name for name, _ in sorted(((m.name, m) for m in migrations._migrations),
                                                  key=lambda item: applied.index(item[0]))]


def test_sync_history_records_a_sync_event(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                           tmp_path: Path, state: Path) -> None:
    refs = synthetic_refs(6)
    refs[0].action = 1
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(0.2))).resolve()
    in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "first pass")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    with edit(enl.with_suffix(".Data") / "sdb" / "sdb.eni") as db:  # play EndNote: a sync completes
        db.execute("UPDATE sync SET action = 0, usn = usn + 100 WHERE type = 1 AND item_id = 1")
        db.execute("UPDATE misc SET value = CAST(? AS BLOB) WHERE code = 6 AND subcode = 41", (str(now_ms),))
        db.execute("UPDATE misc SET value = CAST((SELECT max(usn) FROM sync) AS BLOB) WHERE code = 6 AND subcode = 42")
    wait_for(lambda: len(snapshots(state, enl)) >= 2, 10, "the reading after the sync")
    events = [e for e in json.loads(run("history", "--json", str(enl)).stdout)["timeline"] if e["kind"] == "sync"]
    assert len(events) == 1
    assert (events[0]["pending_before"], events[0]["pending_after"]) == (1, 0)
    assert events[0]["usn_after"] > events[0]["usn_before"]


def test_the_repair_button_opens_the_wizard(bare_bus: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With endnoted[actions] installed, the notification carries "Repair…"; pressing it runs the wizard command."""
    from endnoted.running.launcher import open_repair
    from endnoted.running.notify import ActionNotifier
    log = tmp_path / "shown.jsonl"
    log.touch()
    server = _notification_server(bare_bus, log, AUTO_INVOKE="1")   # the user presses the button
    pressed = tmp_path / "pressed.txt"
    recorder = tmp_path / "terminal.py"   # stands in for a terminal emulator: records what it was asked to run
    # Written whole, then renamed: the test waits for the file to exist, and must never read it half written
    # (it did, about 1 run in 12 under load, when the stand-in wrote the file in place).
    recorder.write_text(f"import os, sys\nopen({str(pressed) + '.part'!r}, 'w').write(repr(sys.argv[1:]))\n"
                        f"os.replace({str(pressed) + '.part'!r}, {str(pressed)!r})\n")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bare_bus)
    monkeypatch.setenv("ENDNOTED_TERMINAL", f"{sys.executable} {recorder}")
    notifier = ActionNotifier(timeout=5, launcher=functools.partial(open_repair, mode="terminal", endnoted=["endnoted"]))
    try:
        delivery = notifier.send("EndNote: Thesis is diverged", "body", repair="/libs/My Thesis.enl")
        assert delivery.delivered, delivery.error
        wait_for(pressed.exists, 10, "the Repair… button to launch the wizard")
    finally:
        notifier.close()
        server.kill()
        server.wait()
    [shown] = [json.loads(line) for line in log.read_text().splitlines()]
    assert "Repair…" in shown["actions"]
    assert pressed.read_text() == repr(["endnoted", "reset", "/libs/My Thesis.enl"])


def test_no_alarm_for_a_library_while_its_reset_runs(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                                     tmp_path: Path, state: Path) -> None:
    from endnoted.state.store import Store
    refs = synthetic_refs(6)
    refs[0].synced, refs[0].added = False, int(days_ago(3).timestamp())
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=days_ago(1))).resolve()
    with Store(state / "state.db") as store:
        store.start_reset(str(enl), "desktop-right", str(enl))
    daemon, notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "first pass")
    assert snapshots(state, enl)[-1].verdict is State.DIVERGED
    assert notifier.sent == []                         # silenced: the wizard is running
    abandoned = run("reset", "--abandon", str(enl))
    assert abandoned.exit_code == 0
    assert abandoned.stdout.strip() == "Reset abandoned; no backup had been made."   # at step 0: none to keep
    daemon._worker.scheduler.add_job(daemon.check_one, args=[str(enl)])  # the next reading, without waiting 15 min
    wait_for(lambda: len(notifier.sent) == 1, 10, "the alarm once the reset is abandoned")


def test_status_and_history_before_the_daemon_ever_ran() -> None:
    result = run("status", "--json")
    assert result.exit_code == 5 and json.loads(result.stdout)["daemon"]["why"] == "the daemon has never run"
    assert "NOT running: the daemon has never run" in run("status").stdout
    history = run("history")
    assert history.exit_code == 0 and "Nothing recorded yet" in history.stdout


def test_a_library_moved_away_is_gone_not_damaged(in_process: Callable[..., tuple[Daemon, RecordingNotifier]],
                                                   tmp_path: Path, state: Path) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(4), last_sync=days_ago(0.1))).resolve()
    daemon, notifier = in_process(enl)
    wait_for(lambda: len(snapshots(state, enl)) >= 1, 15, "first pass")
    shutil.move(str(tmp_path / "lib"), str(tmp_path / "elsewhere"))   # the user reorganises folders
    daemon._worker.scheduler.add_job(daemon.check_one, args=[str(enl)])
    wait_for(lambda: snapshots(state, enl)[-1].status == "gone", 10, "the reading after the move")
    assert notifier.sent == []                                         # no "damaged" alarm
    library = json.loads(run("status", "--json").stdout)["libraries"][0]
    assert library["verdict"] == "unknown" and library["findings"][0]["code"] == "library.gone"


def _libraries_of_every_kind(tmp_path: Path) -> list[Path]:
    """Libraries whose names sort opposite to their verdicts: A in-sync, B not-synced, C pending, D and E stale."""
    waiting = synthetic_refs(3)
    waiting[0].synced, waiting[0].added = False, int(days_ago(0.01).timestamp())
    stuck = synthetic_refs(3)
    stuck[0].synced, stuck[0].added = False, int(days_ago(5).timestamp())
    stuck_too = synthetic_refs(3)
    stuck_too[0].synced, stuck_too[0].added = False, int(days_ago(6).timestamp())
    specs = {"A": LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(0.1)),
             "B": LibrarySpec(refs=synthetic_refs(3)),
             "C": LibrarySpec(refs=waiting, last_sync=days_ago(0.1)),
             "E": LibrarySpec(refs=stuck_too, last_sync=days_ago(7)),
             "D": LibrarySpec(refs=stuck, last_sync=days_ago(6))}
    return [build(tmp_path / name, spec).resolve() for name, spec in specs.items()]


WORST_FIRST = [("stale", "D"), ("stale", "E"), ("pending", "C"), ("not-synced", "B"), ("in-sync", "A")]


def test_check_and_status_list_the_worst_verdict_first_then_by_name(tmp_path: Path, state: Path) -> None:
    libraries = _libraries_of_every_kind(tmp_path)
    checked = run("-q", "check", *map(str, libraries)).stdout.splitlines()
    assert [(line.split()[0], line.split()[1].split("/")[0]) for line in checked] == WORST_FIRST
    table = run("check", *map(str, libraries)).stdout.split("\n\n")[0].splitlines()[1:]
    assert [(line.split()[0], line.split()[1].split("/")[0]) for line in table] == WORST_FIRST
    daemon = _start(*map(str, libraries))
    try:
        wait_for(lambda: {row.path for row in snapshots(state)} == set(map(str, libraries)), 30,
                 "the daemon's first reading of every library")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)
    quiet = [line for line in run("-q", "status").stdout.splitlines() if line.split()[0] in dict(WORST_FIRST)]
    assert [(line.split()[0], line.split()[1].split("/")[0]) for line in quiet] == WORST_FIRST
    shown = [line for line in run("status").stdout.splitlines() if line and line.split()[0] in dict(WORST_FIRST)]
    assert [(line.split()[0], line.split()[1].split("/")[0]) for line in shown] == WORST_FIRST
