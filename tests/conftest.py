"""Shared fixtures: real EndNote libraries copied into tmp_path, synthetic ones, and a hash of every file."""

from __future__ import annotations

import functools
import hashlib
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from endnoted.cli import cli

ROOT = Path(__file__).resolve().parents[1]

# The corpus of real EndNote libraries lives beside the clone, at ../shared/realworld (as in CI);
# ENDNOTED_REALWORLD points elsewhere. Only the `realworld` fixture below looks for it, so that a
# bare clone runs every other test and skips these with one line saying what is missing.
REALWORLD_ENV = "ENDNOTED_REALWORLD"
REALWORLD_MARK = "SOURCES.md"        # the corpus's provenance file: its presence means the corpus is there


def realworld_dir() -> Path:
    """Given the environment, return where the real-library corpus should be (it may be absent)."""
    return Path(os.environ.get(REALWORLD_ENV) or ROOT.parent / "shared" / "realworld")


def _realworld_or_skip() -> Path:
    folder = realworld_dir()
    if (folder / REALWORLD_MARK).is_file():
        return folder
    message = (f"real-library corpus not found at {folder}: put the shared references at ../shared/realworld "
               f"beside the clone, or set {REALWORLD_ENV}=/path/to/realworld")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the corpus is required)", pytrace=False)
    pytest.skip(message)


# Every real SQLite-era library sample: (folder under realworld/, library file name).
_FIXED_LIBRARIES = [
    ("LamGaahou-CHS/en20-synced-macos", "My EndNote Library.enl"),
    ("SeanWang5868-Ramachandran_Plots/en20-macos-new-library", "My EndNote Library.enl"),
    ("Wanganlin00-EndNote/en21-synced", "My EndNote Library.enl"),
    ("Zhentao010-Endnote/en20-unsynced", "My EndNote Library.enl"),
    ("momonong-swim-apps-reviews-analysis/en21-synced", "My EndNote Library.enl"),
    ("utsmok-endnote-exporter/en21-synced", "MyLibrary.enl"),
]
_HISTORY = "tongtongtot-scperb-tutorial/en20-macos-history"


@functools.cache
def real_libraries() -> list[tuple[str, str]]:
    """The fixed samples plus every snapshot of the history series found in the corpus.

    Read when a test module parametrizes with it, not when conftest is imported; without the corpus
    the history series is simply absent and the fixed samples skip through `realworld`.
    """
    history = realworld_dir() / _HISTORY
    snapshots = sorted(d.name for d in history.glob("*") if d.is_dir()) if history.is_dir() else []
    return [*_FIXED_LIBRARIES, *[(f"{_HISTORY}/{name}", "My EndNote Library.enl") for name in snapshots]]


SYNCED_REAL = ["LamGaahou-CHS/en20-synced-macos", "Wanganlin00-EndNote/en21-synced",
               "momonong-swim-apps-reviews-analysis/en21-synced", "utsmok-endnote-exporter/en21-synced"]


def copy_real(folder: str, into: Path, realworld: Path) -> Path:
    """Copy one realworld sample folder into `into` (writable) and return the copy's folder."""
    target = into / Path(folder).name
    shutil.copytree(realworld / folder, target)
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            path = Path(root) / name
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    target.chmod(target.stat().st_mode | stat.S_IWUSR)
    return target


def tree_hash(*paths: Path) -> dict[str, str]:
    """Return the sha256 of every file below the given paths (to prove a command wrote nothing)."""
    hashes: dict[str, str] = {}
    for base in paths:
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@pytest.fixture
def realworld() -> Path:
    """The real-library corpus (read it only through copies); skips, or fails under CI=true, if absent."""
    return _realworld_or_skip()


@pytest.fixture
def real_copy(tmp_path: Path, realworld: Path) -> Callable[[str], Path]:
    def make(folder: str) -> Path:
        return copy_real(folder, tmp_path / "real", realworld)
    return make


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME, state and config: nothing of the developer's is read or written."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ENDNOTED_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ENDNOTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ENDNOTED_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("ENDNOTED_DEBUG", raising=False)
    return home


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """A test that leaves a thread running (observer, scheduler, notifier) fails: we run loops."""
    before = set(threading.enumerate())
    yield
    deadline = 50
    for _ in range(deadline):
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
        if not leaked:
            return
        threading.Event().wait(0.1)
    raise AssertionError(f"threads leaked: {leaked}")


def run(*args: str, input: str | None = None) -> Result:
    """Run the real CLI in-process; stdout and stderr stay separate."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


PROMPT_TIMEOUT = 60


def _as_in_a_terminal() -> None:
    """Ctrl-C at the default, as in a person's terminal. A suite started as a background job (`cmd &` in a
    script) inherits SIGINT ignored (POSIX), and Python then keeps ignoring it: the Ctrl-C test would
    pass a signal the wizard never sees."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Wizard:
    """The real `endnoted reset` in a subprocess, answered line by line like a person would."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "endnoted", "reset", *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=_as_in_a_terminal)
        self.seen = ""

    def expect(self, text: str, timeout: float = PROMPT_TIMEOUT) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no {text!r} within {timeout} s; the wizard said:\n{self.seen[-3000:]}")
            chunk = os.read(self.process.stdout.fileno(), 65536).decode()
            if not chunk:
                raise AssertionError(f"the wizard ended before {text!r}:\n{self.seen[-3000:]}")
            self.seen += chunk
        before, _, self.seen = self.seen.partition(text)
        return before + text

    def answer(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()

    def finish(self, timeout: float = 60) -> int:
        assert self.process.stdout is not None
        if self.process.stdin:
            self.process.stdin.close()
        self.seen += self.process.stdout.read().decode()
        return self.process.wait(timeout=timeout)


@pytest.fixture
def endnote(tmp_path: Path) -> Iterator[Callable[[Path | None], None]]:
    """Start (or restart) the stand-in EndNote, optionally holding a library's database open."""
    link = tmp_path / "bin" / "EndNote"
    link.parent.mkdir()
    link.symlink_to(Path(sys.executable).resolve())
    current: list[subprocess.Popen[bytes]] = []

    def restart(holding: Path | None = None) -> None:
        for process in current:
            process.kill()
            process.wait()
        current.clear()
        time.sleep(0.6)  # a new process start time, distinguishable from the old one
        code = "import sys, time\nf = open(sys.argv[1], 'rb') if sys.argv[1] else None\ntime.sleep(600)\n"
        current.append(subprocess.Popen([str(link), "-c", code, str(holding or "")]))
        time.sleep(0.3)

    yield restart
    for process in current:
        process.kill()
        process.wait()
