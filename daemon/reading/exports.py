"""Read what a user saves from EndNote Web or Desktop: EndNote XML, RIS or tab-delimited, sniffed from the content.

XML is parsed streaming through defusedxml: entity declarations, external entities and DTD
fetches are refused, and each record is dropped from memory once read, so a file of hundreds of
MB keeps a small, flat footprint.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from endnoted.common.errors import ExportError

SNIFF_BYTES = 64 * 1024
FIELD_LIMIT = 400  # longer than any real title; bounds memory on hostile or gigantic exports
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One reference as an export shows it. `number` is the export's record number (not the Desktop id)."""

    number: str
    title: str
    year: str
    first_author: str
    doi: str
    db_id: str = ""


def _record(number: str, title: str, year: str, first_author: str, doi: str, db_id: str = "") -> ExportRecord:
    return ExportRecord(number[:64], title[:FIELD_LIMIT], year[:32], first_author[:FIELD_LIMIT], doi[:256],
                        db_id[:64])


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def text_encoding(head: bytes) -> str:
    """Given the first bytes of a text export, return the encoding to read it with."""
    if bom := _bom_encoding(head):
        return bom
    if head[:200].count(b"\x00") > 20:  # UTF-16 without a BOM: every other byte is NUL
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut in half at the end of the sample
            return "cp1252"
    return "utf-8"


def sniff(path: Path) -> str:
    """Given an export file, return 'endnote-xml', 'ris' or 'tab'; raise ExportError if it is none of them."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except IsADirectoryError as error:
        raise ExportError(f"{path} is a folder, not an export file") from error
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error
    if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE + codecs.BOM_UTF16_BE):
        raise ExportError(f"export {path} is empty: export the references again from EndNote Web")
    encoding = text_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith(("<?xml", "<xml", "<records", "<!DOCTYPE")):
        return "endnote-xml"
    lines = [line for line in text.splitlines()[:5] if line.strip()]
    if lines and _RIS_LINE.match(lines[0].lstrip("\ufeff")) and lines[0].lstrip("\ufeff").startswith("TY"):
        return "ris"
    if lines and _tab_header(lines):
        return "tab"
    raise ExportError(f"{path} is not an export endnoted can read: expected EndNote XML, RIS or tab-delimited "
                      "text (in EndNote Web: Format → Export References → XML)")


def read_export(path: Path) -> tuple[str, Iterator[ExportRecord]]:
    """Given an export file, return its format and a stream of its records (errors raise ExportError)."""
    kind = sniff(path)
    reader = {"endnote-xml": _read_xml, "ris": _read_ris, "tab": _read_tab}[kind]
    return kind, reader(path)


# --- EndNote XML ---------------------------------------------------------------------------

def _text_of(element: Element | None) -> str:
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _first(element: Element | None, tag: str) -> Element | None:
    return None if element is None else element.find(tag)


def _xml_record(element: Element) -> ExportRecord:
    # One pass over the record's children (the DTD puts each field once, at this level).
    fields: dict[str, Element] = {}
    for child in element:
        fields.setdefault(child.tag, child)
    key = _first(fields.get("foreign-keys"), "key")
    return _record(
        number=_text_of(fields.get("rec-number")),
        title=_text_of(_first(fields.get("titles"), "title")),
        year=_text_of(_first(fields.get("dates"), "year")),
        first_author=_text_of(_first(_first(fields.get("contributors"), "authors"), "author")),
        doi=_text_of(fields.get("electronic-resource-num")),
        db_id=key.get("db-id", "") if key is not None else "")


def _read_xml(path: Path) -> Iterator[ExportRecord]:
    count = 0
    try:
        with path.open("rb") as handle:
            # End events only, as cheap as a bare parse; each record is emptied once read, so memory
            # stays flat (an empty shell per record is all that is left).
            events: Any = safe_et.iterparse(handle, events=("end",), forbid_dtd=True)
            for _event, element in events:
                if element.tag == "record":
                    count += 1
                    yield _xml_record(element)
                    element.clear()
    except DefusedXmlException as error:
        raise ExportError(f"{path} was refused: it declares a DTD or entities ({type(error).__name__}), "
                          "which EndNote exports never do; it may be hostile") from error
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise ExportError(f"{path} is not well-formed XML at line {line}, column {column} "
                          f"(after record {count}): the file may be truncated; export it again") from error
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error


# --- RIS -----------------------------------------------------------------------------------

def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    return path.open("r", encoding=text_encoding(head), errors="replace", newline=None)


def _read_ris(path: Path) -> Iterator[ExportRecord]:
    fields: dict[str, str] = {}
    count = 0
    try:
        with _open_text(path) as handle:
            for raw in handle:
                match = _RIS_LINE.match(raw.rstrip("\n").lstrip("\ufeff"))
                if not match:
                    continue
                tag, value = match.group(1), (match.group(2) or "").strip()
                if tag == "TY":
                    fields = {}
                elif tag == "ER":
                    count += 1
                    yield _record(
                        number=fields.get("ID", ""), title=fields.get("TI") or fields.get("T1", ""),
                        year=fields.get("PY") or fields.get("Y1") or fields.get("DA", ""),
                        first_author=fields.get("AU") or fields.get("A1", ""), doi=fields.get("DO", ""))
                    fields = {}
                elif tag not in fields:  # first AU is the first author
                    fields[tag] = value
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error


# --- tab-delimited -------------------------------------------------------------------------

_TAB_COLUMNS = {
    "title": ("title",), "year": ("year", "publication year"), "author": ("author", "authors"),
    "doi": ("doi", "electronic resource number"), "number": ("record number", "rec number", "id"),
}


def _tab_header(lines: list[str]) -> dict[str, int] | None:
    for line in lines[:2]:  # an EndNote import file may start with a "*Journal Article" line
        names = [name.strip().lower() for name in line.split("\t")]
        columns = {key: names.index(alias) for key, aliases in _TAB_COLUMNS.items()
                   for alias in aliases if alias in names}
        if "\t" in line and "title" in columns and ("author" in columns or "year" in columns):
            return columns
    return None


def _read_tab(path: Path) -> Iterator[ExportRecord]:
    try:
        with _open_text(path) as handle:
            first = [handle.readline(), handle.readline()]
            columns = _tab_header([line.rstrip("\n") for line in first])
            if columns is None:
                raise ExportError(f"{path} has no tab-delimited header row naming Title and Author or Year")
            rows = first[1:] if _tab_header([first[0].rstrip("\n")]) else []
            for number, line in enumerate(itertools.chain(rows, handle), start=1):
                cells = line.rstrip("\n").split("\t")
                if len(cells) < 2:
                    continue

                def cell(key: str, cells: list[str] = cells) -> str:
                    index = columns.get(key)
                    return cells[index].strip() if index is not None and index < len(cells) else ""

                author = re.split(r";|//", cell("author"), maxsplit=1)[0]
                yield _record(number=cell("number") or str(number), title=cell("title"), year=cell("year"),
                                   first_author=author.strip(), doi=cell("doi"))
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error
