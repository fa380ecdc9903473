"""Hostile conditions for backups: a file under a backup's name is always proven, and a failure leaves nothing.

The full-disk case mounts a small tmpfs (root only: CI runs as root; elsewhere it is skipped with
the reason). Permission cases run without root's file-mode override (see common.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
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


def test_a_full_backup_disk_leaves_no_partial_file(tmp_path: Path, small_disk: Path) -> None:
    enl = _library(tmp_path, attachments=8)
    untouched = Untouched(enl.parent)
    outcome = endnoted("backup", "--to", str(small_disk), str(enl), timeout=120)
    assert "nothing was kept" in one_line_error(outcome, 1)
    assert list(small_disk.iterdir()) == []
    untouched.check()


def test_a_backup_disk_already_full_is_named_never_the_library(tmp_path: Path, small_disk: Path) -> None:
    # The database copy itself meets the full disk: SQLite says "database or disk is full" while
    # writing the copy, which once came out as the library "cannot be read".
    enl = _library(tmp_path, attachments=0)
    untouched = Untouched(enl.parent)
    filler = small_disk / "filler"
    filler.write_bytes(bytes(max(0, shutil.disk_usage(small_disk).free - (24 << 10))))   # ~24 KB left
    line = one_line_error(endnoted("backup", "--to", str(small_disk), str(enl), timeout=120), 1)
    assert f"the disk holding {small_disk} is full" in line and "cannot be read" not in line, line
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
    untouched.check()


def test_a_pdf_folder_linked_outside_the_library_is_not_followed(tmp_path: Path) -> None:
    # Data/PDF a link to elsewhere (here a folder holding someone else's file; a link to / walked the
    # whole disk): the backup never reads outside the library, and says what it left out.
    enl = _library(tmp_path, attachments=0)
    outside = tmp_path / "elsewhere"
    (outside / "123").mkdir(parents=True)
    (outside / "123" / "secret.pdf").write_bytes(b"%PDF-1.4 not the library's")
    pdf = enl.with_suffix(".Data") / "PDF"
    pdf.symlink_to(outside, target_is_directory=True)
    untouched = Untouched(enl.parent)
    outcome = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=120)
    assert outcome.code == 0, outcome.stderr
    assert "link" in outcome.stdout and "not followed" in outcome.stdout, outcome.stdout
    (backup,) = (tmp_path / "out").glob("*.enlx")
    with zipfile.ZipFile(backup) as archive:
        assert not [name for name in archive.namelist() if "secret" in name]
    untouched.check()


def test_a_pdf_folder_linked_to_the_root_is_not_walked(tmp_path: Path) -> None:
    enl = _library(tmp_path, attachments=0)
    (enl.with_suffix(".Data") / "PDF").symlink_to("/", target_is_directory=True)
    outcome = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=60)
    assert outcome.code == 0 and "not followed" in outcome.stdout, outcome.stderr
    assert outcome.seconds < 30


def test_a_link_inside_the_pdf_folder_is_not_followed(tmp_path: Path) -> None:
    enl = _library(tmp_path, attachments=2)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(b"%PDF-1.4 not the library's")
    (enl.with_suffix(".Data") / "PDF" / "linked").symlink_to(outside, target_is_directory=True)
    (enl.with_suffix(".Data") / "PDF" / "linked.pdf").symlink_to(outside / "secret.pdf")
    outcome = endnoted("backup", "--to", str(tmp_path / "out"), str(enl), timeout=120)
    assert outcome.code == 0, outcome.stderr
    assert "2 links" in outcome.stdout and "not followed" in outcome.stdout, outcome.stdout
    (backup,) = (tmp_path / "out").glob("*.enlx")
    with zipfile.ZipFile(backup) as archive:
        names = archive.namelist()
    assert not [name for name in names if "secret" in name or "linked" in name]
    assert len([name for name in names if name.startswith("PDF/")]) == 2


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
