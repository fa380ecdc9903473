"""Does the other side belong to this library? An export of another library never leads to "reset" (issue #11)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.reading.exports import read_export
from tests.conftest import run, tree_hash


def _blue_light_export(realworld: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(realworld / "IEBH-RefLib" / "blue-light.xml", tmp_path / "blue-light.xml"))


def test_compare_refuses_an_export_of_another_library(real_copy: Callable[[str], Path], realworld: Path,
                                                       tmp_path: Path) -> None:
    folder = real_copy("Wanganlin00-EndNote/en21-synced")
    enl = folder / "My EndNote Library.enl"
    export = _blue_light_export(realworld, tmp_path)
    before = tree_hash(folder)
    result = run("compare", str(enl), str(export))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "does not look like it came from My EndNote Library.enl: 0 of 102 records match" in lines[0]
    assert "--force" in lines[0]
    forced = run("compare", "--force", "--json", str(enl), str(export))
    assert forced.exit_code == 4
    data = json.loads(forced.stdout)
    assert (data["belongs"], data["matched"], data["web"]) == (False, 0, 102)
    assert tree_hash(folder) == before


def test_check_reports_an_export_of_another_library_and_keeps_the_verdict(
        real_copy: Callable[[str], Path], realworld: Path, tmp_path: Path) -> None:
    folder = real_copy("Wanganlin00-EndNote/en21-synced")
    enl = folder / "My EndNote Library.enl"
    export = _blue_light_export(realworld, tmp_path)
    plain = json.loads(run("check", "--json", str(enl)).stdout)["libraries"][0]
    result = run("check", "--json", "--export", str(export), str(enl))
    data = json.loads(result.stdout)["libraries"][0]
    assert data["verdict"] == plain["verdict"] == "in-sync"
    assert result.exit_code == 0
    codes = {f["code"]: f for f in data["findings"]}
    assert codes["export.not-this-library"]["severity"] == "warning"
    assert "verdict" not in codes["export.not-this-library"]
    assert not {"compare.missing-on-web", "compare.missing-on-desktop"} & set(codes)
    assert "reset" not in data["next_action"]


def test_compare_takes_a_library_freshly_synced_from_the_web(tmp_path: Path) -> None:
    """The wizard's Web-is-right advice: Desktop against a new library synced from EndNote Web."""
    refs = synthetic_refs(12)
    desktop = build(tmp_path / "desk", LibrarySpec(name="Thesis", refs=refs, last_sync=days_ago(1)))
    from_web = build(tmp_path / "web", LibrarySpec(name="From Web", refs=refs[:10], last_sync=days_ago(0.1),
                                                   db_id="another-db"))
    before = tree_hash(desktop.parent, from_web.parent)
    result = run("compare", "--json", str(desktop), str(from_web))
    assert tree_hash(desktop.parent, from_web.parent) == before
    assert result.exit_code == 4
    data = json.loads(result.stdout)
    assert (data["format"], data["matched"], len(data["missing_on_web"]), data["belongs"]) == ("library", 10, 2, True)
    text = run("compare", str(desktop), str(from_web.with_suffix(".Data")))
    assert "library From Web.enl" in text.stdout and "Missing on Web (on Desktop only): 2" in text.stdout
    # A library that is not this one is refused like an export of it.
    stranger = build(tmp_path / "other", LibrarySpec(name="Stranger", refs=synthetic_refs(9, seed=7),
                                                     last_sync=days_ago(1)))
    refused = run("compare", str(desktop), str(stranger))
    assert refused.exit_code == 2 and "this library does not look like it came from" in refused.stderr


def test_a_shared_database_id_alone_does_not_make_an_export_belong(tmp_path: Path) -> None:
    """Copies share the database id: an XML export carrying it but matching nothing is still not this library's."""
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(10), last_sync=days_ago(1), db_id="shared-id"))
    records = "".join(f'<record><rec-number>{n}</rec-number><foreign-keys><key app="EN" db-id="shared-id">{n}'
                      f"</key></foreign-keys><titles><title>Unrelated title number {n}</title></titles>"
                      f"<dates><year>1999</year></dates></record>" for n in range(1, 9))
    export = tmp_path / "copy.xml"
    export.write_text(f'<?xml version="1.0" encoding="UTF-8" ?><xml><records>{records}</records></xml>')
    result = run("compare", str(enl), str(export))
    assert result.exit_code == 2 and "0 of 8 records match" in result.stderr


def _spider(realworld: Path, tmp_path: Path) -> tuple[Path, Path]:
    """blue-light.enlx (never synced) and SpiderCite demo.xml, a Desktop XML export of another library
    (another database id and name) that shares 8 of its 10 references with blue-light."""
    folder = tmp_path / "IEBH"
    folder.mkdir()
    enlx = Path(shutil.copy(realworld / "IEBH-RefLib" / "blue-light.enlx", folder))
    export = Path(shutil.copy(realworld / "IEBH-RefLib" / "SpiderCite demo.xml", folder))
    return enlx, export


def test_a_desktop_export_naming_another_database_and_id_is_another_library(realworld: Path,
                                                                             tmp_path: Path) -> None:
    # 8 of 10 records match (over half of the smaller side), but the export's db-id and database
    # name both differ from the library's: it was written from another library.
    enlx, export = _spider(realworld, tmp_path)
    before = tree_hash(enlx.parent)
    refused = run("compare", str(enlx), str(export))
    assert refused.exit_code == 2 and refused.stdout == ""
    line = refused.stderr.strip()
    assert "\n" not in line and "another EndNote library (SpiderCite demo.enl" in line and "--force" in line
    forced = json.loads(run("compare", "--json", "--force", str(enlx), str(export)).stdout)
    assert (forced["belongs"], forced["matched"], forced["web"]) == (False, 8, 10)
    checked = run("check", "--json", str(enlx), "--export", str(export))
    data = json.loads(checked.stdout)["libraries"][0]
    codes = [finding["code"] for finding in data["findings"]]
    assert "export.not-this-library" in codes and not any(code.startswith("compare.") for code in codes)
    assert data["verdict"] == "not-synced" and checked.exit_code == 0
    # Its own export (same db-id, although the database name differs: the library was renamed) belongs.
    own = Path(shutil.copy(realworld / "IEBH-RefLib" / "blue-light.xml", tmp_path / "own.xml"))
    kept = json.loads(run("compare", "--json", str(enlx), str(own)).stdout)
    assert (kept["belongs"], kept["matched"]) == (True, 102)
    assert tree_hash(enlx.parent) == before


def test_a_never_synced_library_is_not_told_of_a_ledger_or_a_reset(realworld: Path, tmp_path: Path) -> None:
    enlx, export = _spider(realworld, tmp_path)
    forced = run("compare", "--force", str(enlx), str(export))
    assert "wait for the next sync" not in forced.stdout and "sync ledger explains them" not in forced.stdout
    assert "has never been synced with EndNote Web: no sync ledger explains these differences" in forced.stdout
    data = json.loads(run("compare", "--json", "--force", str(enlx), str(export)).stdout)
    assert data["synced"] is False
    assert data["unexplained_missing_on_web"] == len(data["missing_on_web"]) == 94
    # An export that belongs (blue-light's own references as tab-delimited text, less one, plus one
    # it lacks): check lists both differences, with neither a ledger's excuse nor a reset.
    _, records = read_export(realworld / "IEBH-RefLib" / "blue-light.xml")
    rows = [f"{r.title}\t{r.first_author}\t{r.year}" for r in list(records)[1:]]
    tab = tmp_path / "web.txt"
    tab.write_text("\n".join(["Title\tAuthor\tYear", *rows, "A title only the Web holds\tNobody, N.\t2001"]) + "\n",
                   encoding="utf-8")
    before = tree_hash(enlx.parent)
    result = run("check", "-a", str(enlx), "--export", str(tab))
    assert result.exit_code == 0 and "not-synced" in result.stdout
    assert "compare.missing-on-web" in result.stdout and "compare.missing-on-desktop" in result.stdout
    assert "reset" not in result.stdout and "wait for the next sync" not in result.stdout
    assert "compare.explained-by-pending-sync" not in result.stdout
    assert "never been synced" in result.stdout
    assert tree_hash(enlx.parent) == before


def test_a_library_and_an_identical_copy_of_it_match_duplicates_and_all(real_copy: Callable[[str], Path],
                                                                         tmp_path: Path) -> None:
    # utsmok's library holds 69 extra copies of its own references; a backup restored beside it holds
    # the same 69. Duplicates held equally on both sides are no difference.
    folder = real_copy("utsmok-endnote-exporter/en21-synced")
    enl = folder / "MyLibrary.enl"
    before = tree_hash(folder)
    backup = json.loads(run("backup", "--json", "--to", str(tmp_path / "backups"), str(enl)).stdout)
    restored = tmp_path / "restored"
    made = run("restore", backup["backup"]["path"], "--to", str(restored), "--name", "Restored")
    assert made.exit_code == 0, made.stderr
    result = run("compare", "--json", str(enl), str(restored / "Restored.enl"))
    data = json.loads(result.stdout)
    assert (data["desktop"], data["web"], data["matched"]) == (240, 240, 240)
    assert data["duplicates_web"] == data["duplicates_desktop"] == []
    assert result.exit_code == 0
    assert tree_hash(folder) == before
