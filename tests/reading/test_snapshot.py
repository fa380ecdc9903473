"""The reader on every real library: counts equal an independent SQL query, verdicts are right, nothing is written."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from tests.conftest import real_libraries, run, tree_hash

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def independent_counts(database: Path) -> dict[str, object]:
    """The issue's definitions, written again as plain SQL (no endnoted code)."""
    db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}

        def one(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])

        result: dict[str, object] = {
            "references": one("SELECT count(*) FROM refs WHERE trash_state = 0"),
            "trashed": one("SELECT count(*) FROM refs WHERE trash_state != 0"),
            "attachments": one("SELECT count(*) FROM file_res"),
            "groups": one("SELECT count(*) FROM groups"),
        }
        last = db.execute("SELECT CAST(CAST(value AS TEXT) AS INTEGER) FROM misc WHERE code=6 AND subcode=41").fetchone()
        usn = db.execute("SELECT CAST(CAST(value AS TEXT) AS INTEGER) FROM misc WHERE code=6 AND subcode=42").fetchone()
        result["configured"] = "sync" in tables and last is not None
        result["last_usn"] = usn[0] if usn else None
        if "sync" in tables:
            result["pending"] = one("SELECT count(*) FROM sync WHERE action != 0 OR status != 0")
            result["unsynced"] = one("SELECT count(*) FROM refs WHERE id NOT IN (SELECT item_id FROM sync WHERE type = 1)")
        else:
            result["pending"] = 0
            result["unsynced"] = one("SELECT count(*) FROM refs")
        if last and "sync" in tables:
            ms = last[0]
            result["edited_after_sync"] = one(
                f"SELECT count(*) FROM refs WHERE trash_state = 0 AND record_last_updated > {ms} / 1000.0 + 5 "
                "AND id IN (SELECT item_id FROM sync WHERE type = 1) "
                "AND id NOT IN (SELECT item_id FROM sync WHERE type = 1 AND (action != 0 OR status != 0))")
            result["missed"] = one(
                "SELECT count(*) FROM refs WHERE id NOT IN (SELECT item_id FROM sync WHERE type = 1) "
                f"AND added_to_library < {ms} / 1000.0 - 60")
        else:
            result["edited_after_sync"] = 0
            result["missed"] = 0
        return result
    finally:
        db.close()


EXPECTED_VERDICT = {
    "LamGaahou-CHS/en20-synced-macos": "stale",        # one reference edited after its 2023 sync
    "SeanWang5868-Ramachandran_Plots/en20-macos-new-library": "not-synced",
    "Wanganlin00-EndNote/en21-synced": "in-sync",       # two refs stamped 1 s after sync: within slack
    "Zhentao010-Endnote/en20-unsynced": "not-synced",
    "momonong-swim-apps-reviews-analysis/en21-synced": "in-sync",
    "utsmok-endnote-exporter/en21-synced": "stale",     # six pending sync rows since 2025
}


@pytest.mark.parametrize(("folder", "name"), real_libraries(), ids=[f for f, _ in real_libraries()])
def test_real_library_counts_match_independent_sql(folder: str, name: str,
                                                   real_copy: Callable[[str], Path]) -> None:
    copy = real_copy(folder)
    before = tree_hash(copy)
    report = check_library(locate(copy / name)[0], now=NOW, mounts=())
    assert tree_hash(copy) == before
    expected = independent_counts(copy / name.replace(".enl", ".Data") / "sdb" / "sdb.eni")
    data = report.to_json()
    assert data["format"] == "sqlite"
    assert data["counts"] == {k: expected[k] for k in ("references", "trashed", "attachments", "groups")}
    for key in ("configured", "last_usn", "pending", "edited_after_sync", "unsynced", "missed"):
        assert data["sync"][key] == expected[key], key
    assert data["verdict"] == EXPECTED_VERDICT.get(folder, "not-synced")
    assert data["verdict"] != "damaged"


def test_real_enlx_is_read_through_a_private_copy(realworld: Path, tmp_path: Path) -> None:
    enlx = tmp_path / "blue-light.enlx"
    enlx.write_bytes((realworld / "IEBH-RefLib/blue-light.enlx").read_bytes())
    before = tree_hash(tmp_path)
    result = run("check", "--json", str(enlx))
    assert tree_hash(tmp_path) == before
    data = json.loads(result.stdout)["libraries"][0]
    assert (data["verdict"], data["counts"]["references"], data["sync"]["configured"]) == ("not-synced", 102, False)
    assert result.exit_code == 0


def test_x_era_libraries_are_legacy_and_unknown(realworld: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(realworld / "utsmok-endnote-exporter/x-era-macos-package/RefsEnschede.enlp.zip") as z:
        z.extractall(tmp_path / "pkg")
    enl = next((tmp_path / "pkg").rglob("*.enl"))
    (tmp_path / "x9").mkdir()
    dingpx = realworld / "Dingpx-Endnote/x9-synced-macos"
    for target in (enl, dingpx / "My EndNote Library.enl", dingpx / "My EndNote Library.enlx"):
        result = run("check", "--json", str(target))
        data = json.loads(result.stdout)["libraries"][0]
        assert (data["format"], data["verdict"], data["counts"]) == ("legacy-myisam", "unknown", None), target
        assert "library.legacy-myisam" in {f["code"] for f in data["findings"]}
        assert result.exit_code == 3


def test_check_json_has_the_documented_shape(real_copy: Callable[[str], Path]) -> None:
    copy = real_copy("Wanganlin00-EndNote/en21-synced")
    result = run("check", "--json", str(copy))
    data = json.loads(result.stdout)
    assert data["schema"] == 1
    library = data["libraries"][0]
    assert set(library) >= {"path", "format", "verdict", "reason", "next_action", "counts", "sync", "findings"}
    assert set(library["sync"]) >= {"configured", "last_sync", "last_usn", "pending", "edited_after_sync",
                                    "unsynced", "missed"}
    assert library["sync"]["last_sync"] == "2024-04-16T07:24:20.048000Z"
    for finding in library["findings"]:
        assert finding["severity"] in ("info", "warning", "error") and finding["code"] and finding["message"]


def test_a_folder_of_libraries_is_checked_whole(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    real_copy("Wanganlin00-EndNote/en21-synced")
    real_copy("Zhentao010-Endnote/en20-unsynced")
    result = run("check", "--json", str(tmp_path / "real" / "en21-synced"), str(tmp_path / "real" / "en20-unsynced"))
    assert [lib["verdict"] for lib in json.loads(result.stdout)["libraries"]] == ["in-sync", "not-synced"]
    assert result.exit_code == 0


def test_personal_data_never_reaches_the_output(real_copy: Callable[[str], Path]) -> None:
    copy = real_copy("utsmok-endnote-exporter/en21-synced")
    db = sqlite3.connect(copy / "MyLibrary.Data/sdb/sdb.eni")
    secrets = [bytes(v).decode() for (v,) in db.execute("SELECT value FROM misc WHERE code=6 AND subcode IN (39, 53)")]
    db.close()
    result = run("check", "--json", "-a", str(copy / "MyLibrary.enl"))
    for secret in filter(None, (s.strip() for s in secrets)):
        for piece in secret.split(";"):
            if len(piece) > 6:
                assert piece not in result.stdout


@pytest.mark.parametrize("odd", ["'abc'", "NULL", "5.5", "x'05'"])
def test_a_refs_table_rebuilt_without_endnotes_integer_key_is_not_judged(real_copy: Callable[[str], Path],
                                                                        odd: str) -> None:
    # EndNote's refs.id is INTEGER PRIMARY KEY (ENDNOTE-FORMAT.md). Rebuilt without it, an id of text
    # or NULL matched no sync row and read as a reference never sent: a false "diverged" proposing the
    # reset, and a traceback from the deletions probe. Now: not EndNote's table, unknown, no reset.
    from tests.conftest import run, tree_hash
    enl = real_copy("utsmok-endnote-exporter/en21-synced") / "MyLibrary.enl"
    db = sqlite3.connect(enl.with_suffix(".Data") / "sdb" / "sdb.eni")
    for name in ("ENCI_Base", "ENCIN_Base"):
        db.create_collation(name, lambda a, b: (a > b) - (a < b))
    db.create_function("EN_MAKE_SORT_KEY", 3, lambda v, a, b: str(v))
    schema = db.execute("SELECT sql FROM sqlite_master WHERE name = 'refs'").fetchone()[0]
    db.executescript("ALTER TABLE refs RENAME TO refs_old;")
    db.execute(schema.replace("id INTEGER PRIMARY KEY AUTOINCREMENT", "id", 1))
    db.executescript(f"INSERT INTO refs SELECT * FROM refs_old; DROP TABLE refs_old; "
                     f"UPDATE refs SET id = {odd} WHERE id = (SELECT min(id) FROM refs);")
    db.commit()
    db.close()
    before = tree_hash(enl.parent)
    result = run("check", "--json", str(enl))
    data = json.loads(result.stdout)["libraries"][0]
    assert (result.exit_code, data["verdict"]) == (3, "unknown"), result.stdout
    assert "library.not-endnote" in {f["code"] for f in data["findings"]}
    assert "endnoted reset" not in data["next_action"] and "Traceback" not in result.stderr
    assert tree_hash(enl.parent) == before


def test_a_library_found_without_its_database_while_it_moved_is_gone_not_missing(tmp_path: Path) -> None:
    # Found mid-move (its .enl seen, its .Data not yet): by the reading, either the .enl is gone too, or
    # the folder is back with its database. Neither is "a library without a database" (damaged).
    from endnoted.common.errors import LibraryVanished
    from endnoted.demo.builder import LibrarySpec, build, synthetic_refs
    from endnoted.reading.library import Layout, Library
    from endnoted.reading.snapshot import take
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3)))
    found_mid_move = Library(enl, enl.stem, enl, enl.with_suffix(".Data"), Layout.MISSING)
    with pytest.raises(LibraryVanished):
        take(found_mid_move)                 # the folder is back, database and all
    enl.rename(tmp_path / "elsewhere.enl")
    with pytest.raises(LibraryVanished):
        take(found_mid_move)                 # the .enl is gone
    empty = tmp_path / "empty"
    (empty / "Empty.Data").mkdir(parents=True)
    (empty / "Empty.enl").write_bytes(b"Eds1")
    truly = Library(empty / "Empty.enl", "Empty", empty / "Empty.enl", empty / "Empty.Data", Layout.MISSING)
    assert take(truly).status.value == "missing"   # a .Data without a database is still said as such
