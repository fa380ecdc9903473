"""Matching holds on real libraries: exports written from a library's own rows match it 100 % (issue #11).

For every real library in ../shared/realworld, the test reads the library's live references with
plain SQL (not endnoted's reader), writes them as EndNote XML, RIS and tab-delimited text the way
EndNote writes them, and compares. Every record must match, in every form; the library's files are
hashed before and after. The real EndNote XML and RIS exports of blue-light.enlx must match it too.
Nothing of the samples is printed: assertions name counts and record numbers only.
"""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from endnoted.judging.compare import Comparison, compare
from endnoted.judging.matching import title_key
from endnoted.reading.library import locate
from endnoted.reading.snapshot import take
from tests.conftest import real_libraries, tree_hash

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
Row = tuple[int, str, str, str, str]


def own_rows(database: Path) -> tuple[list[Row], str]:
    """The live references (id, title, year, author list, DOI) and the database id, by plain SQL."""
    db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, title, year, author, electronic_resource_number FROM refs "
                          "WHERE trash_state = 0 ORDER BY id").fetchall()
        found = db.execute("SELECT CAST(value AS TEXT) FROM misc WHERE code = 14").fetchone()
    finally:
        db.close()
    return [(int(i), t or "", y or "", a or "", d or "") for i, t, y, a, d in rows], (found[0] if found else "")


def _authors(author: str) -> list[str]:
    return [name.strip() for name in author.split("\r") if name.strip()]


def _flat(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).replace("\t", " ").split())


def write_xml(rows: list[Row], db_id: str, path: Path, name: str) -> Path:
    style = '<style face="normal" font="default" size="100%">{}</style>'
    parts = ['<?xml version="1.0" encoding="UTF-8" ?><xml><records>']
    for ref_id, title, year, author, doi in rows:
        authors = "".join(f"<author>{style.format(escape(_CONTROL.sub(' ', a)))}</author>" for a in _authors(author))
        parts.append(
            f"<record><database name={quoteattr(name)}>{escape(name)}</database>"
            '<source-app name="EndNote" version="21.0">EndNote</source-app>'
            f"<rec-number>{ref_id}</rec-number>"
            f'<foreign-keys><key app="EN" db-id={quoteattr(db_id)}>{ref_id}</key></foreign-keys>'
            '<ref-type name="Journal Article">17</ref-type>'
            f"<contributors><authors>{authors}</authors></contributors>"
            f"<titles><title>{style.format(escape(_CONTROL.sub(' ', title)))}</title></titles>"
            f"<dates><year>{style.format(escape(year))}</year></dates>"
            f"<electronic-resource-num>{style.format(escape(doi))}</electronic-resource-num></record>")
    parts.append("</records></xml>")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def write_ris(rows: list[Row], path: Path) -> Path:
    lines: list[str] = []
    for _ref_id, title, year, author, doi in rows:
        lines.append("TY  - JOUR")
        lines += [f"AU  - {_flat(name)}" for name in _authors(author)]
        if title:
            lines.append(f"TI  - {_flat(title)}")
        if year:
            lines.append(f"PY  - {_flat(year)}")
        if doi:
            lines.append(f"DO  - {_flat(doi)}")
        lines += ["ER  - ", ""]
    path.write_text("\ufeff" + "\r\n".join(lines), encoding="utf-8")
    return path


def write_tab(rows: list[Row], path: Path) -> Path:
    lines = ["Reference Type\tAuthor\tYear\tTitle\tDOI"]
    lines += [f"Journal Article\t{'; '.join(_flat(a) for a in _authors(author))}\t{_flat(year)}\t{_flat(title)}\t"
              f"{_flat(doi)}" for _ref_id, title, year, author, doi in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_full_match(result: Comparison) -> None:
    assert result.belongs, result.trust
    assert [ref.record for ref in result.missing_on_web] == []
    assert [ref.record for ref in result.missing_on_desktop] == []
    assert len(result.duplicates_web) == len(result.duplicates_desktop)
    assert result.matched == result.web - len(result.duplicates_web) == result.desktop - len(result.duplicates_desktop)


@pytest.mark.parametrize("form", ["xml", "ris", "tab"])
@pytest.mark.parametrize(("folder", "name"), real_libraries(), ids=[f for f, _ in real_libraries()])
def test_every_real_library_matches_its_own_export(folder: str, name: str, form: str,
                                                   real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    copy = real_copy(folder)
    before = tree_hash(copy)
    library = locate(copy / name)[0]
    assert library.database is not None
    rows, db_id = own_rows(library.database)
    export = tmp_path / f"self.{form}"
    if form == "xml":
        write_xml(rows, db_id, export, name)
    elif form == "ris":
        write_ris(rows, export)
    else:
        write_tab(rows, export)
    result = compare(take(library, integrity=False), export)
    assert tree_hash(copy) == before
    assert result.web == len(rows)
    assert_full_match(result)


def test_titles_in_angle_brackets_match(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    """Wanganlin00-EndNote holds titles like `<name of a dropped PDF.pdf>`: they are titles, not markup."""
    library = locate(real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl")[0]
    assert library.database is not None
    rows, db_id = own_rows(library.database)
    bracketed = [row for row in rows if row[1].startswith("<") and row[1].endswith(">")]
    assert len(bracketed) >= 15
    keys = {title_key(row[1], row[2], row[3]) for row in bracketed}
    assert len(keys) == len(bracketed), "bracketed titles collapse"
    assert "" not in keys   # each is its own reference, none is "untitled"
    # An export where three of them are other PDFs names exactly those three on each side.
    dropped = {row[0] for row in bracketed[::5][:3]}
    kept = [row if row[0] not in dropped else (row[0] + 1000, f"<another file {row[0]}.pdf>", row[2], row[3], "")
            for row in rows]
    for form, writer in (("xml", lambda p: write_xml(kept, db_id, p, "x.enl")), ("ris", lambda p: write_ris(kept, p)),
                         ("tab", lambda p: write_tab(kept, p))):
        result = compare(take(library, integrity=False), writer(tmp_path / f"w.{form}"))
        assert {int(ref.record) for ref in result.missing_on_web} == dropped, form
        assert (len(result.missing_on_desktop), result.matched) == (3, len(rows) - 3), form


@pytest.mark.parametrize("export", ["blue-light.xml", "blue-light.ris"])
def test_the_real_exports_of_blue_light_match_its_compressed_library(export: str, tmp_path: Path,
                                                                     realworld: Path) -> None:
    """EndNote's own XML and RIS exports of the 102 references in blue-light.enlx (IEBH-RefLib, MIT)."""
    enlx = tmp_path / "blue-light.enlx"
    enlx.write_bytes((realworld / "IEBH-RefLib" / "blue-light.enlx").read_bytes())
    with zipfile.ZipFile(enlx) as archive:
        assert "sdb/sdb.eni" in archive.namelist()
    result = compare(take(locate(enlx)[0], integrity=False), realworld / "IEBH-RefLib" / export)
    assert result.web == 102
    assert_full_match(result)
