"""Does the other side belong to this library? An export of another library never leads to "reset" (issue #11)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
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
