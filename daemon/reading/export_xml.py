"""Read an EndNote XML export fast and safely (issue #16; the reasoning in docs/xml-safety.md).

The records are parsed by the standard library's C parser (expat with ElementTree's C tree
builder). Every byte it is fed was first fed, in the same order, to a second expat parser that
only watches the prolog and refuses a DOCTYPE declaration there. XML allows a DOCTYPE only in the
prolog, and entities can only be declared inside a DOCTYPE, so a document that passes has no
entity declarations at all: an `&name;` other than the five predefined ones is then a
well-formedness error for expat, and there is nothing to expand (billion laughs, quadratic
blow-up) and nothing external to fetch. The C parser reports no event per element: records are
taken from `<records>` as they close.
"""

from __future__ import annotations

import pyexpat
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

from endnoted.common.errors import ExportError
from endnoted.reading.export_record import ExportRecord, make_record, open_export

# Refusal limit: far above any record in the real exports, far below what could hurt memory.
XML_STRETCH_LIMIT = 8 * 1024 * 1024   # bytes in which no record closes (a giant text, tag, nesting or record)
XML_CHUNK = 16 * 1024   # as iterparse: larger chunks build more of the tree before it is cleared (slower)
_MB = 1024 * 1024


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
    return make_record(
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


def read_xml(path: Path) -> Iterator[ExportRecord]:
    count = 0
    try:
        with open_export(path) as handle:
            for record in _xml_records(path, handle):
                count += 1
                yield record
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise ExportError(f"{path} is not well-formed XML at line {line}, column {column} "
                          f"(after record {count}): the file may be truncated; export it again") from error
    except OSError as error:
        raise ExportError(f"cannot read export {path}: {error.strerror or error}") from error
