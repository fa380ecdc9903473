"""Hostile conditions for backups: a file under a backup's name is always proven, and a failure leaves nothing.

The full-disk case mounts a small tmpfs (root only: CI runs as root; elsewhere it is skipped with
the reason). Permission cases run without root's file-mode override (see common.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.hostile.common import Untouched, endnoted, one_line_error

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX permissions and mounts")


def _library(tmp_path: Path, name: str = "My EndNote Library", attachments: int = 3) -> Path:
    return build(tmp_path / "lib", LibrarySpec(name=name, refs=synthetic_refs(25, attachments=attachments,
                                                                          attachment_bytes=300_000),
                                               last_sync=days_ago(0.1)))


def _partials(folder: Path) -> list[Path]:
    return list(folder.glob(".endnoted-partial-*")) if folder.exists() else []


def test_an_unreadable_pdf_is_left_out_with_a_warning_and_the_backup_is_proven(tmp_path: Path) -> None:
    enl = _library(tmp_path)
    pdf = next(enl.with_suffix(".Data").joinpath("PDF").rglob("*.pdf"))
    untouched = Untouched(enl.parent)
    pdf.chmod(0)
    try:
        outcome = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), no_dac=True, timeout=120)
    finally:
        pdf.chmod(0o644)
    assert outcome.code == 0, outcome.stderr
    assert "could not be read" in outcome.stdout and "Traceback" not in outcome.stderr
    (backup,) = (tmp_path / "out").glob("*.enlx")
    assert endnoted("verify", str(backup), timeout=60).code == 0
    untouched.check()


def test_a_library_name_too_long_for_a_backup_file_name_is_shortened(tmp_path: Path) -> None:
    enl = _library(tmp_path, name="N" * 240, attachments=0)
    outcome = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=120)
    assert outcome.code == 0, outcome.stderr
    (backup,) = (tmp_path / "out").glob("*.enlx")
    assert len(os.fsencode(backup.name)) <= 255
    assert not _partials(tmp_path / "out")


def test_a_destination_inside_the_librarys_own_data_folder_is_refused(tmp_path: Path) -> None:
    enl = _library(tmp_path, attachments=0)
    untouched = Untouched(enl.parent)
    inside = enl.with_suffix(".Data") / "backups"
    outcome = endnoted("backup", "--to", str(inside), str(enl), timeout=60)
    assert "inside the library's own" in one_line_error(outcome, 2)
    untouched.check()


def test_a_backup_proven_with_an_unwritable_state_folder_exits_0_with_a_warning(tmp_path: Path) -> None:
    enl = _library(tmp_path, attachments=0)
    locked = tmp_path / "read-only"   # the state folder cannot even be created in it
    locked.mkdir()
    locked.chmod(0o500)
    try:
        outcome = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), no_dac=True, timeout=120,
                           env={"ENDNOTED_STATE_DIR": str(locked / "state")})
    finally:
        locked.chmod(0o700)
    assert outcome.code == 0, outcome.stderr
    assert "not recorded" in outcome.stdout and "Traceback" not in outcome.stderr
    assert len(list((tmp_path / "out").glob("*.enlx"))) == 1


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_backup_disk_leaves_no_partial_file(tmp_path: Path, small_disk: Path) -> None:
    enl = _library(tmp_path, attachments=8)
    untouched = Untouched(enl.parent)
    outcome = endnoted("backup", "--to", str(small_disk), str(enl), timeout=120)
    assert "nothing was kept" in one_line_error(outcome, 1)
    assert list(small_disk.iterdir()) == []
    untouched.check()


def test_a_full_temp_folder_during_the_proof_leaves_no_partial_file(tmp_path: Path, small_disk: Path) -> None:
    # The database is bigger than the temp folder the proof unpacks it into.
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3000), last_sync=days_ago(0.1)))
    assert (enl.with_suffix(".Data") / "sdb" / "sdb.eni").stat().st_size > 1 << 20
    out = tmp_path / "out"
    outcome = endnoted("backup", "--to", str(out), str(enl), timeout=120, env={"TMPDIR": str(small_disk)})
    one_line_error(outcome, 1)
    assert not _partials(out) and not list(out.glob("*.enlx"))


def test_a_destination_folder_it_may_not_write_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    enl = _library(tmp_path, attachments=0)
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o555)
    try:
        outcome = endnoted("backup", "--to", str(out), str(enl), no_dac=True, timeout=60)
    finally:
        out.chmod(0o755)
    assert "nothing was kept" in one_line_error(outcome, 1)
    assert list(out.iterdir()) == []


def test_a_destination_folder_the_user_already_has_keeps_its_mode(tmp_path: Path) -> None:
    enl = _library(tmp_path, attachments=0)
    documents = tmp_path / "Documents"
    documents.mkdir()
    documents.chmod(0o755)
    assert endnoted("backup", "--to", str(documents), str(enl), timeout=120).code == 0
    assert documents.stat().st_mode & 0o777 == 0o755            # not ours to change
    (backup,) = documents.glob("*.enlx")
    assert backup.stat().st_mode & 0o777 == 0o600               # ours: private
