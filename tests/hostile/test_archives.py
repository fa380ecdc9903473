"""Hostile archives: one bounded reader behind check X.enlx, verify and restore; restore never overwrites.

Archives are real zips: made by the real backup command, or laid out byte by byte where zipfile
cannot write what an attacker can (a name twice, Deflate64, the encrypted flag).
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from endnoted.common.files import rename_noreplace
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.hostile.common import (
    Untouched,
    deflated,
    endnoted,
    endnoted_racing,
    members_of,
    no_traceback,
    one_line_error,
    raw_zip,
)

ZEROS = bytes(int(9.9 * (1 << 20)))


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real proven backup of a small synced library."""
    root = tmp_path_factory.mktemp("proven")
    enl = build(root / "lib", LibrarySpec(refs=synthetic_refs(20, attachments=2), last_sync=days_ago(0.1)))
    done = endnoted("backup", "--to", str(root / "out"), str(enl), timeout=120,
                    env={"ENDNOTED_STATE_DIR": str(root / "state"), "HOME": str(root)})
    assert done.code == 0, done.stderr
    return next((root / "out").glob("*.enlx"))


def _hostile(tmp_path: Path, proven: Path, kind: str) -> Path:
    archive = tmp_path / f"{kind}.enlx"
    members = members_of(proven)
    if kind == "duplicate-database":
        database = next(m for m in members if m[0] == "sdb/sdb.eni")
        bad = b"SQLite format 3\x00" + bytes(4096 - 16)
        members = [("sdb/sdb.eni", deflated(bad), 8, zlib.crc32(bad), len(bad), 0),
                   *[m for m in members if m[0] != "sdb/sdb.eni"], database]
    elif kind == "encrypted":
        name, payload, method, crc, size, _flags = members[0]
        members[0] = (name, payload, method, crc, size, 0x1)
    elif kind == "deflate64":
        name, payload, _method, crc, size, flags = members[-1]
        members[-1] = (name, payload, 9, crc, size, flags)
    elif kind == "aes":
        name, payload, _method, crc, size, flags = members[-1]
        members[-1] = (name, payload, 99, crc, size, flags | 0x1)
    elif kind == "200-zero-members":
        block = deflated(ZEROS)
        members += [(f"PDF/{n:04d}/zeros.pdf", block, 8, zlib.crc32(ZEROS), len(ZEROS), 0) for n in range(200)]
    elif kind == "bomb-database":
        big = bytes(200 << 20)
        members = [m for m in members if m[0] != "sdb/sdb.eni"] + [
            ("sdb/sdb.eni", deflated(big), 8, zlib.crc32(big), len(big), 0)]
    raw_zip(archive, members)
    return archive


KINDS = ["duplicate-database", "encrypted", "deflate64", "aes", "200-zero-members", "bomb-database"]


@pytest.mark.parametrize("kind", KINDS)
def test_verify_refuses_a_hostile_archive_in_one_line(tmp_path: Path, proven: Path, kind: str) -> None:
    archive = _hostile(tmp_path, proven, kind)
    outcome = endnoted("verify", str(archive), timeout=60)
    message = one_line_error(outcome, 4)
    assert "refused" in message or "cannot be read" in message
    assert outcome.seconds < 30


@pytest.mark.parametrize("kind", KINDS)
def test_restore_refuses_a_hostile_archive_and_writes_nothing(tmp_path: Path, proven: Path, kind: str) -> None:
    archive = _hostile(tmp_path, proven, kind)
    target = tmp_path / "restored"
    target.mkdir()
    outcome = endnoted("restore", "--to", str(target), str(archive), timeout=60)
    one_line_error(outcome, 4)
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("kind", KINDS)
def test_check_of_a_hostile_archive_is_damaged_within_bounds(tmp_path: Path, proven: Path, kind: str) -> None:
    archive = _hostile(tmp_path, proven, kind)
    (tmp_path / "tmp").mkdir()
    untouched = Untouched(tmp_path)
    outcome = endnoted("check", "--json", str(archive), timeout=60, env={"TMPDIR": str(tmp_path / "tmp")})
    no_traceback(outcome, 4)
    assert json.loads(outcome.stdout)["libraries"][0]["verdict"] == "damaged"
    assert list((tmp_path / "tmp").iterdir()) == []   # nothing unpacked was left, and nothing big was unpacked
    untouched.check()


def test_the_proven_archive_itself_still_passes_every_reader(tmp_path: Path, proven: Path) -> None:
    # The bounds refuse the hostile, not the real: a real backup verifies, checks and restores.
    assert endnoted("verify", str(proven), timeout=60).code == 0
    assert endnoted("check", str(proven), timeout=60).code == 0
    assert endnoted("restore", "--to", str(tmp_path / "r"), str(proven), timeout=60).code == 0


def test_restore_to_an_existing_file_is_a_usage_error(tmp_path: Path, proven: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("mine")
    assert "is a file" in one_line_error(endnoted("restore", "--to", str(target), str(proven), timeout=60), 2)
    assert target.read_text() == "mine"


def test_restore_with_a_300_character_name_is_a_usage_error(tmp_path: Path, proven: Path) -> None:
    outcome = endnoted("restore", "--to", str(tmp_path / "r"), "--name", "n" * 300, str(proven), timeout=60)
    assert "shorter --name" in one_line_error(outcome, 2)


@pytest.mark.parametrize("existing", ["enl", "Data", "empty-Data"])
def test_restore_never_writes_over_what_is_there(tmp_path: Path, proven: Path, existing: str) -> None:
    target = tmp_path / "r"
    target.mkdir()
    if existing == "enl":
        (target / "Mine.enl").write_text("someone else's")
    else:
        (target / "Mine.Data").mkdir()
        if existing == "Data":
            (target / "Mine.Data" / "keep.txt").write_text("keep")
    untouched = Untouched(target)
    outcome = endnoted("restore", "--to", str(target), "--name", "Mine", str(proven), timeout=60)
    assert "already exists" in one_line_error(outcome, 2)
    untouched.check()


@pytest.mark.parametrize("native", [True, False])
def test_the_final_rename_refuses_a_name_another_program_took(tmp_path: Path, native: bool) -> None:
    # What restore and backup use for their last step. POSIX rename() would silently replace an
    # empty folder, and a file: both are refused here, by the platform primitive (renameat2
    # RENAME_NOREPLACE on Linux) and by the portable fallback (exclusive mkdir, hard link).
    staged = tmp_path / "staged.Data"
    (staged / "sdb").mkdir(parents=True)
    (staged / "sdb" / "sdb.eni").write_bytes(b"ours")
    taken = tmp_path / "Taken.Data"
    taken.mkdir()
    with pytest.raises(FileExistsError):
        rename_noreplace(staged, taken, native=native)
    assert list(taken.iterdir()) == [] and (staged / "sdb" / "sdb.eni").read_bytes() == b"ours"
    (tmp_path / "staged.enl").write_bytes(b"Eds1")
    (tmp_path / "Taken.enl").write_bytes(b"theirs")
    with pytest.raises(FileExistsError):
        rename_noreplace(tmp_path / "staged.enl", tmp_path / "Taken.enl", native=native)
    assert (tmp_path / "Taken.enl").read_bytes() == b"theirs"
    rename_noreplace(staged, tmp_path / "Free.Data", native=native)
    assert (tmp_path / "Free.Data" / "sdb" / "sdb.eni").read_bytes() == b"ours" and not staged.exists()


def test_a_zip_that_is_not_an_archive_at_all_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.enlx"
    fake.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    one_line_error(endnoted("verify", str(fake), timeout=30), 4)
    one_line_error(endnoted("restore", "--to", str(tmp_path / "r"), str(fake), timeout=30), 4)


def test_verify_of_a_file_that_is_no_zip_at_all_is_a_usage_error_a_truncated_one_is_not(tmp_path: Path,
                                                                                         proven: Path) -> None:
    # No zip signature anywhere: the wrong file was named (exit 2, README "Exit codes").
    notes = tmp_path / "notes.xml"
    notes.write_text("<?xml version='1.0'?><xml><records/></xml>\n" * 50, encoding="utf-8")
    line = one_line_error(endnoted("verify", str(notes), timeout=30), 2)
    assert line == f"Error: {notes} is not a .enlx (compressed library): it holds no zip data", line
    # A real backup cut short keeps its zip signatures: it is a backup that does not prove itself (exit 4).
    data = proven.read_bytes()
    for keep in (len(data) // 2, len(data) - 30):
        cut = tmp_path / f"cut-{keep}.enlx"
        cut.write_bytes(data[:keep])
        line = one_line_error(endnoted("verify", str(cut), timeout=30), 4)
        assert "is not a .enlx" not in line, line


def test_members_named_to_escape_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "escape.enlx"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("sdb/sdb.eni", b"x")
        out.writestr("../../outside.txt", b"escape")
    one_line_error(endnoted("verify", str(archive), timeout=30), 4)
    assert not (tmp_path.parent / "outside.txt").exists()


@pytest.mark.skipif(sys.platform.startswith("win"), reason="FIFOs")
def test_a_fifo_named_enlx_never_blocks_verify_restore_or_check(tmp_path: Path) -> None:
    fifo = tmp_path / "Backup.enlx"
    os.mkfifo(fifo)
    assert "FIFO" in one_line_error(endnoted("verify", str(fifo), timeout=30), 4)
    assert "FIFO" in one_line_error(endnoted("restore", "--to", str(tmp_path / "r"), str(fifo), timeout=30), 4)
    assert "is a FIFO, not a regular file" in one_line_error(endnoted("check", str(fifo), timeout=30), 2)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="/dev/zero")
def test_an_enlx_linked_to_dev_zero_is_refused_at_once_never_read(tmp_path: Path) -> None:
    # An attacker saw verify grow to 16 GB on `ln -s /dev/zero x.enlx`; the bounded reader's
    # regular-file test (common/files.py open_regular) refuses it before a byte is read.
    link = tmp_path / "x.enlx"
    link.symlink_to("/dev/zero")
    verified = endnoted("verify", str(link), timeout=20)
    assert "not a regular file" in one_line_error(verified, 4) and verified.seconds < 20
    restored = endnoted("restore", "--to", str(tmp_path / "r"), str(link), timeout=20)
    assert "not a regular file" in one_line_error(restored, 4)
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    assert "is a character device, not a regular file" in one_line_error(endnoted("check", str(link), timeout=20), 2)


# Member names restore would read differently from verify: one shared rule (reading/archive.py)
# refuses each before a byte is unpacked, for verify, check and restore alike.
_ODD_NAMES = {
    "dot-slash": lambda names: [("./sdb/sdb.eni" if n == "sdb/sdb.eni" else n) for n in names],
    "double-slash-twice": lambda names: [*names, "sdb//sdb.eni"],
    "file-and-folder-pdf": lambda names: [*names, "PDF"],
    "file-and-folder-sdb": lambda names: ["sdb", *names],
    "long-name": lambda names: [*names, "PDF/" + "a" * 5000 + ".pdf"],
    "deep-path": lambda names: [*names, "PDF/" + "d/" * 2000 + "f.pdf"],
    # One file on macOS, whose filesystems normalise names (APFS compares them normalised, HFS+ stores NFD).
    "unicode-twins": lambda names: [*names, "PDF/1/\u00e9.pdf", "PDF/1/e\u0301.pdf"],
    # Names that disguise themselves in a terminal: a line break, an escape sequence, a right-to-left override.
    "newline": lambda names: [*names, "PDF/1/a\nsdb/sdb.eni"],
    "escape": lambda names: [*names, "PDF/1/\x1b[2Kpaper.pdf"],
    "bidi-override": lambda names: [*names, "PDF/1/report\u202efdp.exe"],
}


@pytest.mark.parametrize("kind", sorted(_ODD_NAMES))
def test_member_names_restore_would_misread_are_refused_alike_by_verify_check_and_restore(
        tmp_path: Path, proven: Path, kind: str) -> None:
    members = {m[0]: m for m in members_of(proven)}
    database = members["sdb/sdb.eni"]
    laid = []
    for name in _ODD_NAMES[kind]([m for m in members if not m.endswith("/")]):
        source = members.get(name) or (database if name.endswith("sdb.eni") else
                                       (name, deflated(b"%PDF-1.4 x"), 8, zlib.crc32(b"%PDF-1.4 x"), 10, 0))
        laid.append((name, *source[1:-1], 0x800 if not name.isascii() else source[-1]))   # 0x800: names in UTF-8
    archive = tmp_path / f"{kind}.enlx"
    raw_zip(archive, laid)
    verified = one_line_error(endnoted("verify", str(archive), timeout=60), 4)
    target = tmp_path / "r"
    restored = one_line_error(endnoted("restore", "--to", str(target), str(archive), timeout=60), 4)
    assert verified == restored, (verified, restored)   # the same rule said the same thing
    assert len(verified) < 600 and "maximum recursion" not in verified
    assert not target.exists() or list(target.iterdir()) == []
    checked = endnoted("check", "--json", str(archive), timeout=60)
    no_traceback(checked, 4)
    assert json.loads(checked.stdout)["libraries"][0]["verdict"] == "damaged"


def test_a_restored_library_is_private_whatever_the_umask(tmp_path: Path, proven: Path) -> None:
    # Files endnoted writes are 0600 and folders 0700 (README, privacy): a library holds the account e-mail.
    target = tmp_path / "r"
    target.mkdir()
    done = endnoted("restore", "--to", str(target), "--name", "Mine", str(proven), umask=0o022, timeout=120)
    assert done.code == 0, done.stderr
    made = [target / "Mine.enl", target / "Mine.Data", *(target / "Mine.Data").rglob("*")]
    assert any(p.suffix == ".pdf" for p in made)
    for path in made:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX permissions")
def test_restore_into_a_folder_it_may_not_write_is_one_line(tmp_path: Path, proven: Path) -> None:
    target = tmp_path / "read-only"
    target.mkdir()
    target.chmod(0o555)
    try:
        outcome = endnoted("restore", "--to", str(target), str(proven), no_dac=True, timeout=60)
    finally:
        target.chmod(0o755)
    one_line_error(outcome, 1)
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("name", ["a/b", "..", ".", " padded ", "a\nb", "tab\there", "bell\x07", "c1\x85"])
def test_restore_refuses_a_name_that_is_no_file_name(tmp_path: Path, proven: Path, name: str) -> None:
    outcome = endnoted("restore", "--to", str(tmp_path / "r"), "--name", name, str(proven), timeout=60)
    assert "not a usable library name" in one_line_error(outcome, 2)
    assert not (tmp_path / "r").exists() or list((tmp_path / "r").iterdir()) == []


def test_verify_of_a_folder_named_enlx_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "Backup.enlx"
    folder.mkdir()
    one_line_error(endnoted("verify", str(folder), timeout=30), 4)


def test_restore_leaves_alone_a_library_another_program_creates_while_it_extracts(tmp_path: Path,
                                                                                  proven: Path) -> None:
    # The race itself, with a real process: the moment restore makes its scratch folder (its checks
    # have passed), "another program" creates Mine.Data, empty, which POSIX rename() would replace.
    # The moment is chosen by an audit hook on the child's own mkdir (endnoted_racing), so the race
    # is met on every run; it once depended on a poll loop winning and was skipped when it lost.
    target = tmp_path / "r"
    target.mkdir()
    outcome, acted = endnoted_racing("os.mkdir", ".endnoted-restoring-", f"os.mkdir({str(target / 'Mine.Data')!r})",
                                     "restore", "--to", str(target), "--name", "Mine", str(proven))
    assert acted
    assert outcome.code == 2, outcome.stderr
    assert "another program created" in outcome.stderr and "Traceback" not in outcome.stderr
    assert list((target / "Mine.Data").iterdir()) == [] and not (target / "Mine.enl").exists()
    assert not list(target.glob(".endnoted-restoring-*"))


@pytest.mark.parametrize("name", ["PDF/1/CON", "PDF/1/aux.txt", "PDF/nul/paper.pdf", "PDF/1/COM1.pdf"])
def test_restore_refuses_a_name_windows_cannot_create_and_writes_nothing(tmp_path: Path, proven: Path, name: str) -> None:
    # Verify judges the archive (sound as a zip); restore would write files EndNote on Windows could not open.
    laid = [*members_of(proven), (name, deflated(b"%PDF-1.4 x"), 8, zlib.crc32(b"%PDF-1.4 x"), 10, 0)]
    archive = tmp_path / "reserved.enlx"
    raw_zip(archive, laid)
    verified = endnoted("verify", str(archive), timeout=60)
    assert verified.code == 0, verified.stderr
    target = tmp_path / "r"
    line = one_line_error(endnoted("restore", "--to", str(target), str(archive), timeout=60), 4)
    assert "Windows" in line and repr(name) in line, line
    assert not target.exists() or list(target.iterdir()) == []
