"""The window's tests: the real `endnoted open` in a subprocess, a real store filled by real daemon passes,
and Debian's real headless Chromium driven by Selenium through Debian's chromedriver.

Nothing is downloaded: Selenium is pointed at /usr/bin/chromium and /usr/bin/chromedriver
(scripts/test installs both). Outside CI a machine without them skips these tests with one line
saying what to install; under CI=true their absence fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from endnoted.common import config as config_module
from endnoted.demo.builder import LibrarySpec, build, synthetic_refs
from endnoted.running.notify import Delivery
from endnoted.running.runner import Daemon

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "web-screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
URL_LINE = re.compile(r"endnoted's window is at (http://127\.0\.0\.1:(\d+)(\S*)\?token=(\S+))")


@dataclass
class RecordingNotifier:
    """The desktop is the OS boundary: remember what would have been shown."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    name: str = "recording"

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = "normal") -> Delivery:
        self.sent.append((title, body))
        return Delivery("shown")

    def ready(self) -> tuple[bool, str]:
        return True, ""


def snapshot_count(path: Path) -> int:
    database = Path(os.environ["ENDNOTED_STATE_DIR"]) / "state.db"
    if not database.exists():
        return 0
    db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM snapshots WHERE path = ?", (str(path),)).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def daemon_pass(*libraries: Path, timeout: float = 30) -> None:
    """One real daemon run: it starts, reads every library once (its first full pass), and stops."""
    before = {lib: snapshot_count(lib) for lib in libraries}
    cfg = config_module.Config(scan_roots=(), export_folders=())
    daemon = Daemon(cfg, RecordingNotifier(), extra=libraries, scan=False)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,), name="test-daemon")
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while any(snapshot_count(lib) <= before[lib] for lib in libraries):
            assert time.monotonic() < deadline, "the daemon did not read every library in time"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=15)


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def verdict_libraries(folder: Path, real_copy: Callable[[str], Path]) -> dict[str, Path]:
    """One library per verdict: real samples where one has that state, synthetic ones (the demo builder)
    for the rest, and a damaged and an unknown one made the way a disk or another program makes them."""
    now = datetime.now(UTC)
    libs = {"in-sync": real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl",
            "not-synced": real_copy("Zhentao010-Endnote/en20-unsynced") / "My EndNote Library.enl"}
    last = now - timedelta(hours=2)
    refs = synthetic_refs(6)
    refs[0].updated = ts(last) + 600
    libs["pending"] = build(folder / "pending", LibrarySpec(name="Grant proposal", refs=refs, last_sync=last))
    last = now - timedelta(hours=30)
    refs = synthetic_refs(6, seed=1)
    refs[0].updated = ts(last) + 600
    libs["stale"] = build(folder / "stale", LibrarySpec(name="Reading group", refs=refs, last_sync=last))
    last = now - timedelta(hours=1)
    refs = synthetic_refs(12, seed=2)
    for ref in refs[:3]:
        ref.synced, ref.added = False, ts(last) - 3600
    libs["diverged"] = build(folder / "diverged", LibrarySpec(name="Thesis", refs=refs, last_sync=last))
    damaged = build(folder / "damaged", LibrarySpec(name="Old project", refs=synthetic_refs(4), last_sync=last))
    (damaged.with_suffix(".Data") / "sdb" / "sdb.eni").write_bytes(b"this is not a database" * 100)
    libs["damaged"] = damaged
    unknown = build(folder / "unknown", LibrarySpec(name="Shared drive copy", refs=synthetic_refs(4), last_sync=last))
    database = unknown.with_suffix(".Data") / "sdb" / "sdb.eni"
    database.unlink()
    with sqlite3.connect(database) as other:
        other.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)")
    other.close()
    libs["unknown"] = unknown
    return {verdict: path.resolve() for verdict, path in libs.items()}


@dataclass
class Window:
    """A running `endnoted open --no-browser`: its process, its link, and when it was started."""

    process: subprocess.Popen[str]
    url: str
    port: int
    path: str
    token: str
    started: float
    output: list[str]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            rest, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest, _ = self.process.communicate()
        self.output.append(rest or "")
        return "".join(self.output)


@pytest.fixture
def open_window() -> Iterator[Callable[..., Window]]:
    """Start the real command in a subprocess and read its link from stdout."""
    started: list[Window] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Window:
        began = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "endnoted", "open", "--no-browser", *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        assert process.stdout is not None
        line = process.stdout.readline()
        match = URL_LINE.search(line)
        assert match, f"no link in the output: {line!r}"
        window = Window(process, match.group(1), int(match.group(2)), match.group(3) or "/", match.group(4),
                        began, [line])
        started.append(window)
        return window

    yield start
    for window in started:
        window.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium, driven through Debian's chromedriver (no Selenium Manager download)."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium and chromium-driver are missing: scripts/test installs them")
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver  # here, so that a machine without the browser still collects the tests
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1200,900", "--no-first-run", "--disable-extensions", "--lang=en-GB"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The shared browser, back to light mode and a normal window after each test."""
    yield chromium
    chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    chromium.set_window_size(1200, 900)


def screenshot(driver: Any, name: str) -> Path:
    """Save the whole page (not just the viewport) as build/web-screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.execute_script("return window.innerWidth")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": min(int(height), 6000), "deviceScaleFactor": 1, "mobile": False})
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # the page is between loads
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
