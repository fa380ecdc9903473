"""Read what a user saves from EndNote Web or Desktop: EndNote XML, RIS or tab-delimited, sniffed from the content.

One bounded reader for all three formats (issue #12): whatever the file holds, memory stays
bounded by the limits below, never by the file's size, and anything an EndNote export never
holds (a DOCTYPE, a line or field of megabytes, a record cut off at the end, rows that do not
fit their header, XML of another program) is refused with one line (ExportError, exit 2) instead
of being read as "N references missing".

XML safety and speed (issue #16, the reasoning in docs/xml-safety.md): the records are parsed by
the standard library's C parser (expat with ElementTree's C tree builder). Every byte it is fed
was first fed, in the same order, to a second expat parser that only watches the prolog and
refuses a DOCTYPE declaration there. XML allows a DOCTYPE only in the prolog, and entities can
only be declared inside a DOCTYPE, so a document that passes has no entity declarations at all:
an `&name;` other than the five predefined ones is then a well-formedness error for expat, and
there is nothing to expand (billion laughs, quadratic blow-up) and nothing external to fetch.
The C parser reports no event per element: records are taken from `<records>` as they close.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import pyexpat
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

from endnoted.common.errors import ExportError
from endnoted.common.files import NotRegular, open_regular

SNIFF_BYTES = 64 * 1024
FIELD_LIMIT = 400  # longer than any real title; bounds memory on hostile or gigantic exports
# Refusal limits: far above anything in the real exports (the longest RIS line in the IEBH sample,
# an abstract, is under 3 KB), far below what could hurt memory.
LINE_LIMIT = 4 * 1024 * 1024          # characters in one RIS line or one tab-delimited row
XML_STRETCH_LIMIT = 8 * 1024 * 1024   # bytes of XML with no element closed (one giant text, tag or nesting)
RECORD_LIMIT = 2_000_000              # records in one export (the largest library endnoted is built for: 300k)
XML_CHUNK = 16 * 1024   # as iterparse: larger chunks build more of the tree before it is cleared (slower)
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One reference as an export shows it. `number` is the export's record number (not the Desktop id)."""

    number: str
    title: str
    year: str
    first_author: str
    doi: str
    db_id: str = ""
    database: str = ""   # EndNote XML `<database name=…>`: the file name of the library it was exported from


def _record(number: str, title: str, year: str, first_author: str, doi: str, db_id: str = "",
            database: str = "") -> ExportRecord:
    return ExportRecord(number[:64], title[:FIELD_LIMIT], year[:32], first_author[:FIELD_LIMIT], doi[:256],
                        db_id[:64], database[:FIELD_LIMIT])


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


def _open_binary(path: Path) -> IO[bytes]:
    """Open an export for reading: only a regular file (a FIFO would wait for ever, /dev/zero never ends)."""
    try:
        return os.fdopen(open_regular(path), "rb")
    except NotRegular as error:
        raise ExportError(f"export {path} {error}; name the export file") from error


def sniff(path: Path) -> str:
    """Given an export file, return 'endnote-xml', 'ris' or 'tab'; raise ExportError if it is none of them."""
    try:
        with _open_binary(path) as handle:
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
    reader = {"endnote-xml": _read_xml, "ris": _read_ris, "tab": _read_tab}[kind]
    return kind, _counted(path, reader(path))


def _counted(path: Path, records: Iterator[ExportRecord]) -> Iterator[ExportRecord]:
    for count, record in enumerate(records, start=1):
        if count > RECORD_LIMIT:
            raise ExportError(f"{path} holds more than {RECORD_LIMIT:,} records, more than any library endnoted "
                              "reads: it is not an export of one EndNote library")
        yield record


# --- EndNote XML ---------------------------------------------------------------------------

class _PrologGuard:
    """A second expat parser fed the same bytes until the root element opens; it refuses any DOCTYPE.

    It has no content handlers, so it costs nothing once the prolog is behind it (it is then no
    longer fed at all).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root: str | None = None
        self.first_child: str | None = None
        self._parser = pyexpat.ParserCreate()
        self._parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._parser.EntityDeclHandler = self._entity
        self._parser.ExternalEntityRefHandler = self._external
        self._parser.StartElementHandler = self._start

    @property
    def done(self) -> bool:
        return self.first_child is not None

    def _refuse(self, what: str) -> ExportError:
        return ExportError(f"{self.path} was refused: it {what}, which EndNote exports never do; "
                           "it may be hostile")

    def _doctype(self, *_args: object) -> None:
        raise self._refuse("declares a DTD (DOCTYPE)")

    def _entity(self, *_args: object) -> None:
        raise self._refuse("declares entities")

    def _external(self, *_args: object) -> int:
        raise self._refuse("refers to an external entity")

    def _start(self, name: str, _attributes: object) -> None:
        if self.root is None:
            self.root = name
        elif self.first_child is None:
            self.first_child = name

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.Parse(chunk, False)
        except pyexpat.ExpatError:
            pass  # the C parser, fed the same bytes, reports where the file is broken
        except (ValueError, LookupError) as error:
            raise _bad_encoding(self.path, error) from error


def _bad_encoding(path: Path, error: Exception) -> ExportError:
    """An XML declaration naming an encoding expat cannot use: shift_jis, big5, utf-7 ("multi-byte
    encodings are not supported"), or none Python knows (x-klingon, rot13: LookupError)."""
    return ExportError(f"{path} declares an encoding endnoted cannot read ({error}); EndNote exports are "
                       "UTF-8: export the references again from EndNote")


def _squeezed(text: str) -> str:
    """Given text, return " ".join(text.split()): white space runs made one space, none at either end.

    Most fields need no change: printable text holds no white space but the ASCII space (every
    other white space character is a control or separator character), so without a double space
    and a space at either end, splitting and joining would give it back unchanged.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _text_of(element: Element | None) -> str:
    """Given a field's element, return all its text (its `<style>` runs joined), white space squeezed."""
    if element is None:
        return ""
    if not len(element):
        text = element.text or ""
    elif len(element) == 1 and not len(child := element[0]):
        # The common shape, `<title><style …>Text</style></title>`: itertext's result without the iterator.
        text = (element.text or "") + (child.text or "") + (child.tail or "")
    else:
        text = "".join(element.itertext())
    return _squeezed(text)


def _child(element: Element | None, tag: str) -> Element | None:
    return None if element is None else element.find(tag)


def _xml_record(element: Element) -> ExportRecord | None:
    # Each field is the first child of that tag (the DTD puts each once, at this level). find()
    # with a plain tag runs in C: cheaper than one Python pass over the children.
    find = element.find
    number = find("rec-number")
    if number is None and find("ref-type") is None:
        return None   # EndNote writes both in every record
    key = _child(find("foreign-keys"), "key")
    return _record(
        number=_text_of(number),
        title=_text_of(_child(find("titles"), "title")),
        year=_text_of(_child(find("dates"), "year")),
        first_author=_text_of(_child(_child(find("contributors"), "authors"), "author")),
        doi=_text_of(find("electronic-resource-num")),
        db_id=key.get("db-id", "") if key is not None else "",
        database=_database_name(find("database")))


def _database_name(element: Element | None) -> str:
    """The library file name of `<database name="X.enl" path="…">X.enl</database>` (never the path: personal)."""
    if element is None:
        return ""
    return (element.get("name") or _text_of(element)).replace("\\", "/").rsplit("/", 1)[-1]


def _not_endnote(path: Path, why: str) -> ExportError:
    return ExportError(f"{path} is XML but not an EndNote XML export ({why}); in EndNote Web use "
                       "Format → Export References → XML")


class _TwoStarts:
    """The C parser's report of elements opening, asked for until <xml> and <records> have opened, then stopped.

    Records are then taken from <records> as they complete, with no event per element: an export
    of 100k references holds 2.5M elements, and an event for each (a tuple, a queue entry, a turn
    of a Python loop) cost about 0.3 s of a 2 s reading. `_setevents` is the hook the
    standard library's own XMLPullParser and iterparse use to ask the C parser for events.
    """

    def __init__(self, parser: XMLParser[Element]) -> None:
        self._parser = parser
        self._queue: deque[tuple[str, Element]] = deque()
        self._setevents(("start",))
        self.root: Element | None = None
        self.records: Element | None = None

    def _setevents(self, events: tuple[str, ...]) -> None:
        self._parser._setevents(self._queue, events)  # type: ignore[attr-defined]  # not in typeshed

    def after_feed(self) -> None:
        if self.records is None and len(self._queue) >= 2:
            self.root, self.records = self._queue.popleft()[1], self._queue.popleft()[1]
            self._setevents(())
            self._queue.clear()


def _xml_records(path: Path, handle: IO[bytes]) -> Iterator[ExportRecord]:
    guard = _PrologGuard(path)
    parser: XMLParser[Element] = XMLParser(target=TreeBuilder())
    opened = _TwoStarts(parser)
    count = 0
    stretch = 0   # bytes fed since a record last closed
    while chunk := handle.read(XML_CHUNK):
        if not guard.done:
            guard.feed(chunk)   # raises before the C parser sees a DOCTYPE
            if guard.root is not None and guard.root != "xml":
                raise _not_endnote(path, f"its root element is <{guard.root[:40]}>, not <xml>")
            if guard.first_child is not None and guard.first_child != "records":
                raise _not_endnote(path, f"<xml> opens with <{guard.first_child[:40]}>, not <records>")
        broken: ParseError | None = None
        try:
            parser.feed(chunk)
        except (ValueError, LookupError) as error:   # the guard sees the declaration first; kept as a net
            raise _bad_encoding(path, error) from error
        except ParseError as error:
            broken = error   # raised once the records closed before the break are read ("after record N")
        stretch += len(chunk)
        opened.after_feed()
        if (records := opened.records) is not None:
            # Every child of <records> but the last has closed: the next one opened after it.
            if (closed := len(records) - 1) > 0:
                for element in records[:closed]:
                    count += 1
                    yield _checked_record(path, element, count)
                del records[:closed]   # frees them: memory holds one chunk's records
                stretch = 0
            if opened.root is not None and len(opened.root) > 1:
                raise _not_endnote(path, "<xml> holds more than its <records>")
        if broken is not None:
            raise broken
        if stretch > XML_STRETCH_LIMIT:
            raise ExportError(f"{path} was refused: after record {count} it runs for more than "
                              f"{XML_STRETCH_LIMIT // _MB} MB without closing a record (no field or record that "
                              "size is in any EndNote export)")
    parser.close()
    if guard.root is None or guard.first_child is None or opened.records is None:
        raise _not_endnote(path, "it has no <xml><records> structure")
    for element in opened.records:
        count += 1
        yield _checked_record(path, element, count)


def _checked_record(path: Path, element: Element, number: int) -> ExportRecord:
    if element.tag != "record":
        raise _not_endnote(path, "<records> holds elements other than <record>")
    record = _xml_record(element)
    if record is None:
        raise _not_endnote(path, f"record {number} has neither a record number nor a type")
    return record


def _read_xml(path: Path) -> Iterator[ExportRecord]:
    count = 0
    try:
        with _open_binary(path) as handle:
            for record in _xml_records(path, handle):
                count += 1
                yield record
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise ExportError(f"{path} is not well-formed XML at line {line}, column {column} "
                          f"(after record {count}): the file may be truncated; export it again") from error
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error


# --- RIS and tab-delimited: bounded lines ---------------------------------------------------

def _open_text(path: Path) -> IO[str]:
    with _open_binary(path) as handle:
        head = handle.read(SNIFF_BYTES)
    return io.TextIOWrapper(_open_binary(path), encoding=text_encoding(head), errors="replace", newline=None)


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
                    yield _record(
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
                yield _record(number=cell("number") or str(number), title=cell("title"), year=cell("year"),
                              first_author=author.strip(), doi=cell("doi"))
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error
