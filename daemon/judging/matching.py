"""How one reference is recognised on both sides without record numbers (they differ between Desktop and Web).

Key 1: the DOI, normalised (case, `https://doi.org/` and `doi:` prefixes, white space).
Key 2: normalised title + year + first author's surname (Unicode NFKC, case-folded, inline HTML
tags such as `<i>` and HTML entities removed, punctuation and white space collapsed).

Angle brackets are part of real titles: EndNote names a reference made from a dropped PDF
`<file name.pdf>` (docs/ENDNOTE-RULES.md R2, sample Wanganlin00-EndNote), so only known inline
markup tags are removed, never `<…>` as such. EndNote XML's `<style>` runs are already removed by
the XML reader.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from endnoted.reading.model import RefRow, Snapshot

T = TypeVar("T")

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|https?://)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"10\.\d{3,9}/\S+")
# Inline markup only (an export may carry <i>Drosophila</i>); `<any text>` stays part of the title.
_TAGS = re.compile(r"</?(?:i|b|u|em|strong|sup|sub|span|font|style|br|p|small|smallcaps)(?:\s[^<>]{0,200})?/?>",
                   re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# ASCII fast path: most titles are plain ASCII and need neither NFKC nor html unescaping.
_ASCII_PUNCT = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\r\n"})


def normalise_doi(value: str) -> str:
    """Given a DOI as typed anywhere, return its canonical lower-case `10.x/…` form, or '' if none."""
    if not value:
        return ""
    if value.startswith("10.") and value.isascii() and " " not in value and "\t" not in value:
        return value.lower().rstrip(".")  # the common case, already canonical but for case
    text = "".join(value.split()).lower()
    text = _DOI_PREFIX.sub("", text)
    match = _DOI_SHAPE.search(text)
    return match.group(0).rstrip(".") if match else ""


def normalise_text(value: str) -> str:
    """Given a title or name, return it folded for comparison: no markup, case, accents of width, punctuation."""
    if not value:
        return ""
    if value.isascii() and "<" not in value and "&" not in value:
        return " ".join(value.translate(_ASCII_PUNCT).lower().split())
    text = _TAGS.sub(" ", value) if "<" in value else value
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def surname(author: str) -> str:
    """Given an author as EndNote writes it ('Surname, A. B.' or 'A. B. Surname'), return the surname folded.

    A CR-separated author list (as in the refs table) gives the first author's surname.
    """
    author = author.split("\r", 1)[0].strip()
    if not author:
        return ""
    if "," in author:
        return normalise_text(author.split(",", 1)[0])
    parts = normalise_text(author).split()
    return parts[-1] if parts else ""


def year_of(value: str) -> str:
    if len(value) == 4 and value.isdigit():
        return value
    match = re.search(r"\d{4}", value or "")
    return match.group(0) if match else ""


def title_key(title: str, year: str, first_author: str, *, untitled: bool = False) -> str:
    """Given a reference's title, year and first author, return key 2.

    An empty title gives '' (no key), unless `untitled` is set: then year + surname still make a
    key, so an untitled reference can be found on the other side of a comparison.
    """
    folded = normalise_text(title)
    if not folded:
        name = surname(first_author)
        return f"|{year_of(year)}|{name}" if untitled and name else ""
    return f"{folded}|{year_of(year)}|{surname(first_author)}"


class RecordKeys:
    """The two match keys of one record, computed once."""

    __slots__ = ("doi", "key")

    def __init__(self, doi: str, key: str) -> None:
        self.doi = doi
        self.key = key

    @classmethod
    def of(cls, doi: str, title: str, year: str, first_author: str, *, untitled: bool = False) -> RecordKeys:
        return cls(normalise_doi(doi), title_key(title, year, first_author, untitled=untitled))


_COARSE_DELETE = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))
_COARSE_DELETE_BYTES = bytes(c for c in range(1, 128) if not chr(c).isalnum())   # all but the separator
_LOWER_BYTES = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def coarse_title(title: str) -> str:
    """Given a title, return a key that is equal whenever the title parts of two title keys are equal.

    Cheaper than normalise_text (one translate for ASCII) and strictly coarser: it deletes what
    normalise_text turns into single spaces. Used to skip full normalisation of titles that
    cannot collide with any other.
    """
    if title.isascii() and "<" not in title and "&" not in title:
        return title.lower().translate(_COARSE_DELETE)
    return normalise_text(title).replace(" ", "")


def find_extra_copies(items: Sequence[T], fields: Callable[[T], tuple[str, str, str, str]]) -> list[T]:
    """Given records and a function giving (doi, title, year, first author), return every extra copy."""
    if not items:
        return []
    dois, titles, years, authors = zip(*map(fields, items), strict=True)
    return extra_copies_of(items, dois, titles, years, authors)


def extra_copies_of(items: Sequence[T], dois: Sequence[str], titles: Sequence[str], years: Sequence[str],
                    authors: Sequence[str]) -> list[T]:
    """Given records and their aligned (raw) DOIs, titles, years and first authors, return every extra copy.

    Same answer as extra_copies over all records (tests/judging/test_matching.py), but only the
    records that can match another are looked at, and only those whose title key can decide a match
    are normalised in full. A title key decides only between two records of which at least one
    lacks a DOI, and equal keys have equal coarse titles; so the records that need their key are
    those whose coarse title is shared by two or more records, one of which lacks a DOI. A record
    with a DOI shared by no other and a key that decides nothing is no one's copy.
    Written as comprehensions, sets and Counters: this runs on every pass over every library.
    """
    folded = normalise_dois(dois)
    coarse = coarse_titles(titles)
    doi_count = Counter(folded)
    coarse_count = Counter(coarse)
    shared_dois = {doi for doi, count in doi_count.items() if count > 1 and doi}
    deciding = {title for doi, title in zip(folded, coarse, strict=True)
                if not doi and title and coarse_count[title] > 1}
    keyed = [n for n, title in enumerate(coarse) if title in deciding]
    keys = dict(zip(keyed, title_keys([titles[n] for n in keyed], [years[n] for n in keyed],
                                      [authors[n] for n in keyed]), strict=True))
    chosen = [n for n, (doi, title) in enumerate(zip(folded, coarse, strict=True))
              if doi in shared_dois or title in deciding]
    return extra_copies_keyed([items[n] for n in chosen], [folded[n] for n in chosen],
                              [keys.get(n, "") for n in chosen])


def coarse_titles(titles: Sequence[str]) -> list[str]:
    """Given many titles, return [coarse_title(t) for t in titles]; plain ASCII ones in one translate."""
    coarse = [""] * len(titles)
    plain, wide, other = _split_kinds(titles)
    if plain:
        # As bytes: one C translate lowers and deletes at once, several times faster than str.translate.
        joined = _SEPARATOR.join([titles[n] for n in plain]).encode("ascii").translate(
            _LOWER_BYTES, _COARSE_DELETE_BYTES).decode("ascii")
        for n, text in zip(plain, joined.split(_SEPARATOR), strict=True):
            coarse[n] = text
    for n, text in zip(wide, fold_all([titles[n] for n in wide]), strict=True):
        coarse[n] = text.replace(" ", "")
    for n in other:
        coarse[n] = coarse_title(titles[n])
    return coarse


def extra_copies(items: Sequence[T], keys: Sequence[RecordKeys]) -> list[T]:
    """Given records and their keys, return every copy beyond the first of each reference.

    Two records are one reference when both have a DOI and the DOIs match, or when at least one
    lacks a DOI and their title keys match. Three copies give two entries.
    """
    return extra_copies_keyed(items, [record.doi for record in keys], [record.key for record in keys])


def extra_copies_keyed(items: Sequence[T], dois: Sequence[str], keys: Sequence[str]) -> list[T]:
    """extra_copies, given each record's normalised DOI and title key as two aligned lists."""
    seen_doi: set[str] = set()
    seen_key: set[str] = set()          # keys of every record so far
    seen_key_no_doi: set[str] = set()   # keys of records without a DOI
    extras: list[T] = []
    for item, doi, key in zip(items, dois, keys, strict=True):
        if doi:
            duplicate = doi in seen_doi or (bool(key) and key in seen_key_no_doi)
            seen_doi.add(doi)
        else:
            duplicate = bool(key) and key in seen_key
            if key:
                seen_key_no_doi.add(key)
        if key:
            seen_key.add(key)
        if duplicate:
            extras.append(item)
    return extras


# --- every reference's keys at once (issue #16) ----------------------------------------------

_SEPARATOR = "\x00"   # joins values for one bulk fold; a value holding it takes the per-value path
# normalise_text's ASCII table, plus every other ASCII character str.split() counts as white space,
# so that collapsing runs of spaces over the joined text equals " ".join(value.split()) per value.
_BULK_FOLD = {**_ASCII_PUNCT, **{c: " " for c in range(128) if chr(c).isspace()}}
_NON_WORD_BUT_SEPARATOR = re.compile(r"(?:[^\w\x00]|_)+")


def _split_kinds(values: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
    """Given values, return the positions of (plain ASCII, other text without markup, the rest)."""
    plain: list[int] = []
    wide: list[int] = []
    other: list[int] = []
    for n, value in enumerate(values):
        if not value:
            continue
        if "<" in value or "&" in value or _SEPARATOR in value:
            other.append(n)   # markup, entities: normalise_text one by one
        elif value.isascii():
            plain.append(n)
        else:
            wide.append(n)
    return plain, wide, other


def _fold_joined(values: Sequence[str], positions: list[int], fold: Callable[[str], str], into: list[str]) -> None:
    """Fold the values at `positions` as one text (joined by the separator) and put each result in `into`."""
    if not positions:
        return
    joined = fold(_SEPARATOR.join([values[n] for n in positions]))
    # After the fold the only white space left is " ". Collapse its runs over the whole text (each
    # pass halves them: a few passes of a C replace, cheaper than splitting a million words), then
    # drop the single space left on either side of a separator: as " ".join(v.split()) per value.
    while "  " in joined:
        joined = joined.replace("  ", " ")
    joined = joined.strip(" ").replace(" " + _SEPARATOR, _SEPARATOR).replace(_SEPARATOR + " ", _SEPARATOR)
    for n, text in zip(positions, joined.split(_SEPARATOR), strict=True):
        into[n] = text


def _fold_plain(text: str) -> str:
    return text.translate(_BULK_FOLD).lower()


def _fold_wide(text: str) -> str:
    # normalise_text's steps for text without markup or entities. NFKC and case folding act on each
    # character and its combining marks; U+0000 composes with nothing, so each value folds as alone.
    return _NON_WORD_BUT_SEPARATOR.sub(" ", unicodedata.normalize("NFKC", text).casefold())


def fold_all(values: Sequence[str]) -> list[str]:
    """Given many titles or names, return [normalise_text(v) for v in values], folded in bulk.

    Values without markup or entities (almost every real title) are joined and folded as one text:
    one translate and one lower for ASCII, one NFKC, casefold and regex pass for the rest. Values
    with markup or entities go through normalise_text one by one.
    """
    folded = [""] * len(values)
    plain, wide, other = _split_kinds(values)
    _fold_joined(values, plain, _fold_plain, folded)
    _fold_joined(values, wide, _fold_wide, folded)
    for n in other:
        folded[n] = normalise_text(values[n])
    return folded


def surnames_all(authors: Sequence[str]) -> list[str]:
    """Given many authors (or CR-separated author lists), return [surname(a) for a in authors]."""
    firsts = [author.split("\r", 1)[0].strip() for author in authors]   # as surname(): strip first
    comma = [first.split(",", 1)[0] if "," in first else None for first in firsts]
    folded = fold_all([first if part is None else part for first, part in zip(firsts, comma, strict=True)])
    return [name if part is not None else (name.rsplit(" ", 1)[-1] if name else "")
            for name, part in zip(folded, comma, strict=True)]


def title_keys(titles: Sequence[str], years: Sequence[str], authors: Sequence[str], *,
               untitled: bool = False) -> list[str]:
    """Given aligned titles, years and first authors, return [title_key(t, y, a, untitled=…) …], computed in bulk."""
    folded = fold_all(titles)
    names = surnames_all(authors)
    keys = []
    for title, year, name in zip(folded, years, names, strict=True):
        year = year if len(year) == 4 and year.isdigit() else year_of(year)
        if title:
            keys.append(f"{title}|{year}|{name}")
        else:
            keys.append(f"|{year}|{name}" if untitled and name else "")
    return keys


def normalise_dois(values: Sequence[str]) -> list[str]:
    """Given many DOIs, return [normalise_doi(v) for v in values]; normalise_doi's common case inline."""
    return [value.lower().rstrip(".") if value[:3] == "10." and value.isascii() and " " not in value
            and "\t" not in value else normalise_doi(value) if value else "" for value in values]


@dataclass(frozen=True, slots=True)
class LibraryKeys:
    """Every reference's match keys, aligned with `snapshot.rows`: computed once per reading, then shared."""

    dois: list[str]
    titles: list[str]     # title_key(title, year, first author); '' for an untitled reference
    hashed: bool = False  # the daemon's keys: one-way hashes of both (key_hash), as its state file keeps them

    def comparable(self, key: str) -> str:
        """Given a key computed from a record, return it in the form these keys are held (hashed or not)."""
        return key_hash(key) if self.hashed else key


def key_hash(key: str) -> str:
    """Given a match key, return a one-way hash of it ('' for no key): enough to group duplicates.

    The daemon keeps every reference's keys in its state file between readings (state/refcache.py);
    a title key holds the first author's surname, personal data that must not be stored there.
    """
    return hashlib.blake2b(key.encode(), digest_size=8, person=b"endnoted-key").hexdigest() if key else ""


def hashed_keys(rows: Sequence[RefRow]) -> tuple[list[str], list[str]]:
    """Given refs rows as read, return their (DOI, title) keys hashed with key_hash, aligned with the rows."""
    dois = normalise_dois([row[5] for row in rows])
    titles = title_keys([row[2] for row in rows], [row[3] for row in rows], [row[4] for row in rows])
    return [key_hash(doi) for doi in dois], [key_hash(title) for title in titles]


def library_keys(snapshot: Snapshot) -> LibraryKeys:
    """Given a snapshot, return its references' keys, computing them on first use only (kept in `snapshot.memo`)."""
    keys = snapshot.memo.get("keys")
    if not isinstance(keys, LibraryKeys):
        rows = snapshot.rows
        keys = LibraryKeys(normalise_dois([row[5] for row in rows]),
                           title_keys([row[2] for row in rows], [row[3] for row in rows], [row[4] for row in rows]))
        snapshot.memo["keys"] = keys
    return keys


def known_keys(snapshot: Snapshot) -> LibraryKeys | None:
    """The snapshot's keys if this reading has computed (or carried) them already, else None."""
    keys = snapshot.memo.get("keys")
    return keys if isinstance(keys, LibraryKeys) else None
