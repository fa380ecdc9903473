"""Shared fixtures: real EndNote libraries copied into tmp_path, synthetic ones, and a hash of every file."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from endnoted.cli import cli

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = ROOT.parent / "shared" / "realworld"

# Every real SQLite-era library sample: (folder under realworld/, library file name).
REAL_LIBRARIES = [
    ("LamGaahou-CHS/en20-synced-macos", "My EndNote Library.enl"),
    ("SeanWang5868-Ramachandran_Plots/en20-macos-new-library", "My EndNote Library.enl"),
    ("Wanganlin00-EndNote/en21-synced", "My EndNote Library.enl"),
    ("Zhentao010-Endnote/en20-unsynced", "My EndNote Library.enl"),
    ("momonong-swim-apps-reviews-analysis/en21-synced", "My EndNote Library.enl"),
    ("utsmok-endnote-exporter/en21-synced", "MyLibrary.enl"),
    *[(f"tongtongtot-scperb-tutorial/en20-macos-history/{d.name}", "My EndNote Library.enl")
      for d in sorted((REALWORLD / "tongtongtot-scperb-tutorial/en20-macos-history").glob("*")) if d.is_dir()],
]
SYNCED_REAL = ["LamGaahou-CHS/en20-synced-macos", "Wanganlin00-EndNote/en21-synced",
               "momonong-swim-apps-reviews-analysis/en21-synced", "utsmok-endnote-exporter/en21-synced"]


def copy_real(folder: str, into: Path) -> Path:
    """Copy one realworld sample folder into `into` (writable) and return the copy's folder."""
    target = into / Path(folder).name
    shutil.copytree(REALWORLD / folder, target)
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
def real_copy(tmp_path: Path) -> Callable[[str], Path]:
    def make(folder: str) -> Path:
        return copy_real(folder, tmp_path / "real")
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
