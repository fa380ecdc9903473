"""Backups take what the library holds: the `.enl` that holds references the live database lacks (issue #11 item 10)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

from endnoted.reading.enlx import ENL_MEMBER_DIR
from tests.conftest import run, tree_hash


def test_a_full_enl_holding_more_is_carried_and_proven(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    """utsmok-endnote-exporter: MyLibrary.enl is a full database with 6 references sdb.eni lacks (270 in all)."""
    folder = real_copy("utsmok-endnote-exporter/en21-synced")
    enl = folder / "MyLibrary.enl"
    before = tree_hash(folder)
    result = run("backup", "--json", "--no-attachments", "--to", str(tmp_path / "out"), str(enl))
    assert result.exit_code == 0, result.stderr
    backup = json.loads(result.stdout)["backup"]
    assert tree_hash(folder) == before
    assert backup["enl_references"] == 270 - 19   # its non-trashed references (19 of 270 are in its trash)
    with zipfile.ZipFile(backup["path"]) as archive:
        assert f"{ENL_MEMBER_DIR}/MyLibrary.enl" in archive.namelist()
    proof = json.loads(run("verify", "--json", backup["path"]).stdout)
    assert (proof["verified"], proof["enl_references"], proof["counts"]["references"]) == (True, 251, 240)
    assert "carries the library's .enl" in run("verify", backup["path"]).stdout


def test_an_enl_copy_with_nothing_more_is_not_carried(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    folder = real_copy("Wanganlin00-EndNote/en21-synced")
    result = run("backup", "--json", "--no-attachments", "--to", str(tmp_path / "out"),
                 str(folder / "My EndNote Library.enl"))
    backup = json.loads(result.stdout)["backup"]
    assert backup["enl_references"] is None
    with zipfile.ZipFile(backup["path"]) as archive:
        assert not [name for name in archive.namelist() if name.startswith(ENL_MEMBER_DIR)]


def test_a_folder_backup_copies_the_real_enl(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    folder = real_copy("Wanganlin00-EndNote/en21-synced")
    source = folder / "My EndNote Library.enl"
    result = run("backup", "--json", "--folder", "--no-attachments", "--to", str(tmp_path / "out"), str(source))
    backup = json.loads(result.stdout)["backup"]
    copied = next(Path(backup["path"]).glob("*.enl"))
    assert copied.stat().st_size > 4                      # not the 4-byte Eds1 stub
    db = sqlite3.connect(f"{copied.as_uri()}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT count(*) FROM enl_refs").fetchone()[0] == 48
    finally:
        db.close()
    assert backup["enl_references"] == 48


def test_a_carried_enl_that_does_not_open_fails_verify(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    folder = real_copy("utsmok-endnote-exporter/en21-synced")
    made = json.loads(run("backup", "--json", "--no-attachments", "--to", str(tmp_path / "out"),
                          str(folder / "MyLibrary.enl")).stdout)["backup"]["path"]
    broken = tmp_path / "broken.enlx"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, b"not a database" if info.filename.startswith(ENL_MEMBER_DIR) else data)
    result = run("verify", str(broken))
    assert result.exit_code == 4 and "does not open as a copy of references" in result.stderr


def test_restore_puts_the_carried_enl_back_as_the_library_s_enl(real_copy: Callable[[str], Path],
                                                                 tmp_path: Path) -> None:
    # It used to write a 4-byte stub as Restored.enl and leave the carried one inside
    # Restored.Data/endnoted-enl/, without a word: the 6 references only the .enl held were hidden.
    folder = real_copy("utsmok-endnote-exporter/en21-synced")
    before = tree_hash(folder)
    backup = json.loads(run("backup", "--json", "--no-attachments", "--to", str(tmp_path / "out"),
                            str(folder / "MyLibrary.enl")).stdout)["backup"]
    text = run("restore", backup["path"], "--to", str(tmp_path / "text"), "--name", "Restored")
    assert text.exit_code == 0, text.stderr
    assert "Its .enl is the library's own, carried by the backup and proven (251 references" in text.stdout
    result = run("restore", "--json", backup["path"], "--to", str(tmp_path / "r"), "--name", "Restored")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["enl_references"] == 251 and data["counts"]["references"] == 240
    restored = tmp_path / "r" / "Restored.enl"
    assert restored.stat().st_size > 4 and not (tmp_path / "r" / "Restored.Data" / ENL_MEMBER_DIR).exists()
    with sqlite3.connect(f"file:{restored}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM refs WHERE trash_state = 0").fetchone()[0] == 251
    check = json.loads(run("check", "--json", str(restored)).stdout)["libraries"][0]
    assert "enl.holds-missing-references" in {finding["code"] for finding in check["findings"]}
    assert tree_hash(folder) == before
