"""The bounded export reader: real exports read exactly, hostile or cut ones refused with one line (exit 2).

Hostile XML (billion laughs, quadratic blow-up, external and parameter entities, a DOCTYPE after
comments or without an internal subset) is refused before the C parser sees the DOCTYPE; the
reasoning is in docs/xml-safety.md. Oversized lines and fields are refused in bounded memory,
measured in a separate process (its own peak RSS).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as safe_et
import pytest

from endnoted.reading import exports
from endnoted.reading.export_record import make_record
from endnoted.reading.exports import ExportRecord, read_export
from tests.conftest import run, tree_hash

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" ?>'
RECORD = ("<record><rec-number>{n}</rec-number><ref-type name=\"Journal Article\">17</ref-type><contributors>"
          "<authors><author>Smith, J.</author></authors></contributors><titles><title>Paper {n}</title></titles>"
          "<dates><year>2020</year></dates></record>")


@pytest.fixture
def pair(realworld: Path) -> Path:
    """The real IEBH library and its own XML and RIS exports."""
    return realworld / "IEBH-RefLib"


@pytest.fixture
def blue_light(tmp_path: Path, pair: Path) -> Path:
    data = tmp_path / "lib" / "blue-light.Data"
    with zipfile.ZipFile(pair / "blue-light.enlx") as archive:
        archive.extractall(data)
    (tmp_path / "lib" / "blue-light.enl").write_bytes(b"Eds1")
    return tmp_path / "lib" / "blue-light.enl"


def _text(element: Any) -> str:
    return "" if element is None else " ".join("".join(element.itertext()).split())


def _plain_record(element: Any) -> ExportRecord | None:
    """A record's fields read the plain way (every text through itertext, split and joined), as before issue #16."""
    fields: dict[str, Any] = {}
    for child in element:
        fields.setdefault(child.tag, child)
    if "rec-number" not in fields and "ref-type" not in fields:
        return None

    def first(parent: Any, tag: str) -> Any:
        return None if parent is None else parent.find(tag)

    key = first(fields.get("foreign-keys"), "key")
    database = fields.get("database")
    return make_record(
        _text(fields.get("rec-number")), _text(first(fields.get("titles"), "title")),
        _text(first(fields.get("dates"), "year")),
        _text(first(first(fields.get("contributors"), "authors"), "author")),
        _text(fields.get("electronic-resource-num")), key.get("db-id", "") if key is not None else "",
        "" if database is None else (database.get("name") or _text(database)).replace("\\", "/").rsplit("/", 1)[-1])


def _oracle(path: Path) -> list[ExportRecord]:
    """The records as the previous reader (defusedxml's pure-Python parser, plain field reading) saw them."""
    records = []
    for _event, element in safe_et.iterparse(str(path), events=("end",), forbid_dtd=True):
        if element.tag == "record":
            record = _plain_record(element)
            assert record is not None
            records.append(record)
            element.clear()
    return records


_SPACES = ["", " ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2003", "\u3000", "\x85", "\u2028", "&#9;", "&#xA0;"]
_WORDS = ["Cell", "étude", "中文", "a&amp;b", "&lt;file.pdf&gt;", "x", "10.1/A"]


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_SPACES) + rng.choice(_WORDS) for _ in range(rng.randint(0, 4))) + rng.choice(_SPACES)


def _random_field(rng: random.Random, tag: str) -> str:
    """A field as EndNote writes it (text in one <style> run) or in any other shape: several runs, text
    around them, nested runs, empty elements, a run with a tail."""
    shape = rng.randrange(6)
    style = '<style face="normal">{}</style>'
    inner = {0: lambda: _random_text(rng),
             1: lambda: style.format(_random_text(rng)),
             2: lambda: style.format(_random_text(rng)) + _random_text(rng),
             3: lambda: _random_text(rng) + style.format(_random_text(rng)) + style.format(_random_text(rng)),
             4: lambda: style.format("<style>" + _random_text(rng) + "</style>" + _random_text(rng)),
             5: lambda: style.format("")}[shape]()
    return f"<{tag}>{inner}</{tag}>" if rng.random() < 0.9 else f"<{tag}/>"


@pytest.mark.parametrize("seed", range(3))
def test_fields_read_as_every_text_through_itertext_split_and_joined(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    records = []
    for n in range(300):
        parts = [_random_field(rng, "rec-number"), "<contributors><authors>" + _random_field(rng, "author") + _random_field(rng, "author")
                 + "</authors></contributors>", "<titles>" + _random_field(rng, "title") + "</titles>",
                 "<dates>" + _random_field(rng, "year") + "</dates>", _random_field(rng, "electronic-resource-num"),
                 f'<foreign-keys><key app="EN" db-id="db{n % 3}">{n}</key></foreign-keys>',
                 _random_field(rng, "database"), _random_field(rng, "titles")]   # a second <titles>: not read
        rng.shuffle(parts)
        parts = parts[: rng.randint(5, len(parts))] + ['<ref-type name="Journal Article">17</ref-type>']
        rng.shuffle(parts)
        records.append("<record>" + "".join(parts) + "</record>")
    path = tmp_path / "fields.xml"
    path.write_text(f"{XML_HEAD}<xml><records>{''.join(records)}</records></xml>", encoding="utf-8")
    read = list(read_export(path)[1])
    assert read == _oracle(path)
    assert len(read) == 300 and len({record.title for record in read}) > 50   # the fields vary


@pytest.mark.parametrize("name", ["blue-light.xml", "Dump-Converted test.xml", "SpiderCite demo.xml",
                                  "multipart.xml"])
def test_the_c_parser_reads_every_real_export_exactly_as_before(pair: Path, name: str) -> None:
    kind, records = read_export(pair / name)
    assert kind == "endnote-xml"
    assert list(records) == _oracle(pair / name)


def _refused(blue_light: Path, path: Path, words: str, seconds: float = 10.0) -> str:
    before = tree_hash(blue_light.parent)
    started = time.monotonic()
    result = run("compare", str(blue_light), str(path))
    assert time.monotonic() - started < seconds
    assert tree_hash(blue_light.parent) == before
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert words in result.stderr and path.name in result.stderr, result.stderr
    return result.stderr


LAUGHS = "".join(f'<!ENTITY lol{n + 1} "{f"&lol{n};" * 10}">' for n in range(1, 9))
HOSTILE_XML = {
    "billion-laughs": f'{XML_HEAD}<!DOCTYPE xml [<!ENTITY lol1 "lol">{LAUGHS}]>'
                      "<xml><records><record><rec-number>1</rec-number><titles><title>&lol9;</title></titles>"
                      "</record></records></xml>",
    "quadratic-blowup": f'{XML_HEAD}<!DOCTYPE xml [<!ENTITY a "{"x" * 50_000}">]><xml><records><record>'
                        f"<rec-number>1</rec-number><titles><title>{'&a;' * 50_000}</title></titles></record>"
                        "</records></xml>",
    "external-entity": f'{XML_HEAD}<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><records>'
                       "<record><rec-number>1</rec-number><titles><title>&e;</title></titles></record>"
                       "</records></xml>",
    "external-dtd": f'{XML_HEAD}<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><records><record>'
                    "<rec-number>1</rec-number></record></records></xml>",
    "parameter-entity": f'{XML_HEAD}<!DOCTYPE xml [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><xml/>',
    "doctype-after-comments": f"{XML_HEAD}<!-- an innocent comment --><!-- and another -->"
                              '<!DOCTYPE xml [<!ENTITY x "y">]><xml><records><record><rec-number>1</rec-number>'
                              "<titles><title>&x;</title></titles></record></records></xml>",
    "comment-first-doctype": '<!-- no declaration --><!DOCTYPE xml [<!ENTITY x "y">]><xml><records/></xml>',
    "empty-doctype": f"{XML_HEAD}<!DOCTYPE xml><xml><records></records></xml>",
    "utf16-doctype": None,   # filled below: the same bomb, in UTF-16 with a BOM
}


@pytest.mark.parametrize("case", sorted(HOSTILE_XML))
def test_a_doctype_or_entity_is_refused_before_anything_is_expanded(blue_light: Path, tmp_path: Path,
                                                                     case: str) -> None:
    path = tmp_path / f"{case}.xml"
    if case == "utf16-doctype":
        path.write_bytes(str(HOSTILE_XML["billion-laughs"]).replace("UTF-8", "UTF-16").encode("utf-16"))
    else:
        path.write_text(str(HOSTILE_XML[case]), encoding="utf-8")
    assert "refused" in _refused(blue_light, path, "refused", seconds=5)


def test_an_undeclared_entity_is_a_parse_error_not_an_expansion(blue_light: Path, tmp_path: Path) -> None:
    path = tmp_path / "undeclared.xml"
    path.write_text(f"{XML_HEAD}<xml><records><record><rec-number>1</rec-number><titles><title>&lol;</title>"
                    "</titles></record></records></xml>", encoding="utf-8")
    _refused(blue_light, path, "not well-formed")


@pytest.mark.parametrize(("body", "words"), [
    ("<html><body><p>Hello</p></body></html>", "root element is <html>"),
    ("<xml><library><record><rec-number>1</rec-number></record></library></xml>", "not <records>"),
    ("<xml><records><item>1</item><item>2</item></records></xml>", "other than <record>"),
    ("<xml><records><record><title>No number, no type</title></record></records></xml>",
     "neither a record number nor a type"),
    ("<xml/>", "no <xml><records> structure"),
    # Records are read from the one <records> as they close: a second one would be read as nothing.
    ("<xml><records>" + RECORD.format(n=1) + "</records><records>" + RECORD.format(n=2) + "</records></xml>",
     "more than its <records>"),
    ("<xml><records>" + RECORD.format(n=1) + "</records><notes>x</notes></xml>", "more than its <records>"),
])
def test_well_formed_xml_that_is_not_an_endnote_export_is_refused(blue_light: Path, tmp_path: Path,
                                                                   body: str, words: str) -> None:
    path = tmp_path / "other.xml"
    path.write_text(XML_HEAD + body, encoding="utf-8")
    assert "not an EndNote XML export" in _refused(blue_light, path, words)


def test_an_empty_but_well_formed_export_is_read_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "none.xml"
    path.write_text(f"{XML_HEAD}<xml><records></records></xml>", encoding="utf-8")
    assert list(read_export(path)[1]) == []


@pytest.mark.parametrize(("cut", "words"), [
    (lambda text: text[:text.rstrip().rindex("ER  -")], "cut off"),           # last ER missing
    (lambda text: text[:text.rstrip().rindex("ER  -") + 2], "cut off"),       # last ER cut to "ER"
    (lambda text: text[:text.rstrip().rindex("ER  -") - 40], "cut off"),      # cut inside the last record
    (lambda text: text.replace("ER  - ", "", 1), "no ER line before the next TY"),   # one ER lost mid-file
])
def test_a_ris_export_cut_off_is_refused_not_read_short(blue_light: Path, pair: Path, tmp_path: Path,
                                                          cut: object, words: str) -> None:
    path = tmp_path / "cut.ris"
    path.write_text(cut((pair / "blue-light.ris").read_text(encoding="utf-8-sig")),  # type: ignore[operator]
                    encoding="utf-8")
    _refused(blue_light, path, words)


def test_the_whole_ris_export_still_reads_all_102(pair: Path) -> None:
    assert len(list(read_export(pair / "blue-light.ris")[1])) == 102


def _tab_lines(pair: Path) -> list[str]:
    _, records = read_export(pair / "blue-light.xml")
    lines = ["Reference Type\tAuthor\tYear\tTitle\tDOI\tRecord Number"]
    return lines + [f"Journal Article\t{r.first_author}\t{r.year}\t{r.title}\t{r.doi}\t{r.number}"
                    for r in records]


def test_tab_rows_that_lack_the_headers_first_column_are_refused(blue_light: Path, pair: Path,
                                                                  tmp_path: Path) -> None:
    lines = _tab_lines(pair)
    path = tmp_path / "shifted.txt"
    path.write_text("\n".join(lines[:1] + [line.split("\t", 1)[1] for line in lines[1:]]) + "\n", encoding="utf-8")
    _refused(blue_light, path, "does not fit its own header")


def test_a_tab_export_cut_off_in_its_last_row_is_refused(blue_light: Path, pair: Path, tmp_path: Path) -> None:
    text = "\n".join(_tab_lines(pair)) + "\n"
    path = tmp_path / "cut.txt"
    path.write_text(text[:text.rstrip("\n").rindex("\t") - 5], encoding="utf-8")
    assert "cut off" in _refused(blue_light, path, "does not fit its own header")


def test_a_tab_export_with_trailing_empty_cells_still_reads(pair: Path, tmp_path: Path) -> None:
    path = tmp_path / "trailing.txt"
    path.write_text("\n".join(line + "\t" for line in _tab_lines(pair)), encoding="utf-8")
    assert len(list(read_export(path)[1])) == 102


_PEAK = """
import sys
from pathlib import Path
from endnoted.common.errors import ExportError
from endnoted.reading.exports import read_export
try:
    sum(1 for _ in read_export(Path(sys.argv[1]))[1])
    print("read")
except ExportError as error:
    print("refused:", error)
# VmHWM, not ru_maxrss: a forked child's ru_maxrss starts at its parent's (pytest's) peak.
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) // 1024)
"""


def _write_giant(path: Path, head: str, tail: str, megabytes: int) -> None:
    block = ("A long line of filler text. " * 40)[:1024] * 1024
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        for _ in range(megabytes):
            out.write(block)
        out.write(tail)


@pytest.mark.parametrize(("kind", "head", "tail"), [
    ("ris", "TY  - JOUR\nAB  - ", "\nER  - \n"),
    ("tab", "Title\tAuthor\tYear\n", "\tSmith, J.\t2020\n"),
    ("xml", f"{XML_HEAD}<xml><records><record><rec-number>1</rec-number><abstract>",
     "</abstract></record></records></xml>"),
    ("xml-tag", f"{XML_HEAD}<xml><records><record><rec-number>1</rec-number><abstract a=\"",
     "\"/></record></records></xml>"),
])
def test_a_giant_line_or_field_is_refused_in_bounded_memory(tmp_path: Path, kind: str, head: str,
                                                            tail: str) -> None:
    path = tmp_path / f"giant.{kind}"
    _write_giant(path, head, tail, 48)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True)
    verdict, peak_mb = done.stdout.strip().splitlines()
    assert verdict.startswith("refused:") and ("longer than" in verdict or "without closing" in verdict), verdict
    assert int(peak_mb) < 80, f"refusing a 48 MB {kind} line took {peak_mb} MB"
    assert time.monotonic() - started < 20


def test_a_record_of_many_small_elements_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    # Each element closes, but the record does not: memory would hold them all until it did.
    path = tmp_path / "giant-record.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"{XML_HEAD}<xml><records>{RECORD.format(n=1)}<record><rec-number>2</rec-number><authors>")
        for _ in range(48 * 1024):
            out.write("<author>Smith, J.</author>" * 40)
        out.write("</authors></record></records></xml>")
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True)
    verdict, peak_mb = done.stdout.strip().splitlines()
    assert verdict.startswith("refused:") and "after record 1" in verdict and "without closing a record" in verdict
    assert int(peak_mb) < 80, f"refusing a {path.stat().st_size >> 20} MB record took {peak_mb} MB"


def test_a_large_valid_xml_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "many.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"{XML_HEAD}<xml><records>")
        for n in range(60_000):
            out.write(RECORD.format(n=n).replace("</titles>", "</titles><abstract>" + "words " * 300 + "</abstract>"))
        out.write("</records></xml>")
    assert path.stat().st_size > 100_000_000
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True)
    verdict, peak_mb = done.stdout.strip().splitlines()
    assert verdict == "read" and int(peak_mb) < 80, (verdict, peak_mb)


def test_more_records_than_any_library_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The limit is a module constant (2M records); a smaller one here keeps the test fast. The
    # constant is data, not one of our functions, so patching it does not bypass the code under test.
    monkeypatch.setattr(exports, "RECORD_LIMIT", 50)
    path = tmp_path / "many.ris"
    path.write_text("TY  - JOUR\nTI  - x\nER  - \n" * 51, encoding="utf-8")
    with pytest.raises(exports.ExportError, match="more than 50 records"):
        list(read_export(path)[1])


@pytest.mark.parametrize("encoding", ["shift_jis", "x-klingon"])
def test_an_undecodable_xml_declaration_is_an_export_error_not_a_crash(tmp_path: Path, encoding: str) -> None:
    # The daemon logs an ExportError as one warning line; any other exception as a traceback.
    export = tmp_path / "web.xml"
    export.write_text(f'<?xml version="1.0" encoding="{encoding}"?><xml><records/></xml>', encoding="ascii")
    with pytest.raises(exports.ExportError, match="encoding"):
        list(read_export(export)[1])
