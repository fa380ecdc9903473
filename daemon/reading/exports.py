"""Read what a user saves from EndNote Web or Desktop: EndNote XML, RIS or tab-delimited, sniffed from the content.

One bounded reader for all three formats (issue #12): whatever the file holds, memory stays
bounded by the limits below, never by the file's size, and anything an EndNote export never
holds (a DOCTYPE, a line or field of megabytes, a record cut off at the end, rows that do not
fit their header, XML of another program) is refused with one line (ExportError, exit 2) instead
of being read as "N references missing".

EndNote XML is read by export_xml.py (fast and safe: docs/xml-safety.md); records of every
format are export_record.ExportRecord.
"""

from __future__ import annotations

import codecs
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from endnoted.common.errors import ExportError
from endnoted.reading.export_record import ExportRecord as ExportRecord  # the records' type, for every reader
from endnoted.reading.export_record import make_record, open_export
from endnoted.reading.export_xml import read_xml

SNIFF_BYTES = 64 * 1024
# Refusal limits: far above anything in the real exports (the longest RIS line in the IEBH sample,
# an abstract, is under 3 KB), far below what could hurt memory.
LINE_LIMIT = 4 * 1024 * 1024          # characters in one RIS line or one tab-delimited row
RECORD_LIMIT = 2_000_000              # records in one export (the largest library endnoted is built for: 300k)
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_MB = 1024 * 1024


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
        with open_export(path) as handle:
            head = handle.read(SNIFF_BYTES)
    except IsADirectoryError as error:
        raise ExportError(f"{path} is a folder, not an export file") from error
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error
    if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE + codecs.BOM_UTF16_BE):
        raise ExportError(f"export {path} is empty: export the references again from EndNote Web")
    encoding = text_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith(("<?xml", "<xml", "<records", "<!DOCTYPE", "<!--")):
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
    reader = {"endnote-xml": read_xml, "ris": _read_ris, "tab": _read_tab}[kind]
    return kind, _counted(path, reader(path))


def _counted(path: Path, records: Iterator[ExportRecord]) -> Iterator[ExportRecord]:
    for count, record in enumerate(records, start=1):
        if count > RECORD_LIMIT:
            raise ExportError(f"{path} holds more than {RECORD_LIMIT:,} records, more than any library endnoted "
                              "reads: it is not an export of one EndNote library")
        yield record


# --- RIS and tab-delimited: bounded lines ---------------------------------------------------

def _open_text(path: Path) -> IO[str]:
    with open_export(path) as handle:
        head = handle.read(SNIFF_BYTES)
    return io.TextIOWrapper(open_export(path), encoding=text_encoding(head), errors="replace", newline=None)


def _lines(path: Path, handle: IO[str]) -> Iterator[str]:
    """Every line of a text export, each read with a bound: a line over LINE_LIMIT is refused, not read."""
    number = 0
    while line := handle.readline(LINE_LIMIT + 1):
        number += 1
        if len(line) > LINE_LIMIT:
            raise ExportError(f"{path} was refused: line {number} is longer than {LINE_LIMIT // _MB} M characters, "
                              "which no EndNote export holds")
        yield line


def _read_ris(path: Path) -> Iterator[ExportRecord]:
    fields: dict[str, str] = {}
    count = 0
    open_record = False
    try:
        with _open_text(path) as handle:
            for raw in _lines(path, handle):
                match = _RIS_LINE.match(raw.rstrip("\n").lstrip("\ufeff"))
                if not match:
                    continue
                tag, value = match.group(1), (match.group(2) or "").strip()
                if tag == "TY":
                    if open_record:
                        raise ExportError(f"{path} is cut or damaged: record {count + 1} has no ER line before "
                                          "the next TY; export it again")
                    fields = {}
                    open_record = True
                elif tag == "ER":
                    count += 1
                    open_record = False
                    yield make_record(
                        number=fields.get("ID", ""), title=fields.get("TI") or fields.get("T1", ""),
                        year=fields.get("PY") or fields.get("Y1") or fields.get("DA", ""),
                        first_author=fields.get("AU") or fields.get("A1", ""), doi=fields.get("DO", ""))
                    fields = {}
                elif tag not in fields:  # first AU is the first author
                    fields[tag] = value
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error
    if open_record:
        raise ExportError(f"{path} is cut off: its last record (after record {count}) has no ER line; "
                          "the file may be truncated; export it again")


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
            lines = _lines(path, handle)
            first = list(itertools.islice(lines, 2))
            columns = _tab_header([line.rstrip("\n") for line in first])
            if columns is None:
                raise ExportError(f"{path} has no tab-delimited header row naming Title and Author or Year")
            header = first[0] if _tab_header([first[0].rstrip("\n")]) else first[1]
            width = header.rstrip("\n").count("\t") + 1
            rows = first[1:] if header is first[0] else []
            for number, line in enumerate(itertools.chain(rows, lines), start=1):
                text = line.rstrip("\n")
                if not text.strip():
                    continue
                cells = text.split("\t")
                if len(cells) != width and not (len(cells) > width and not "".join(cells[width:]).strip()):
                    cut = "" if line.endswith("\n") else " (the file may be cut off)"
                    raise ExportError(f"{path} does not fit its own header: row {number} has {len(cells)} columns, "
                                      f"the header names {width}{cut}; export it again")

                def cell(key: str, cells: list[str] = cells) -> str:
                    index = columns.get(key)
                    return cells[index].strip() if index is not None else ""

                author = re.split(r";|//", cell("author"), maxsplit=1)[0]
                yield make_record(number=cell("number") or str(number), title=cell("title"), year=cell("year"),
                              first_author=author.strip(), doi=cell("doi"))
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error
