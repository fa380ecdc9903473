"""The bulk key functions give exactly the keys of the one-at-a-time ones (truth's semantics), only faster.

They are checked on every real library's titles and authors and on random strings built from
what makes normalisation hard: markup, entities, `<file.pdf>` titles, non-ASCII, every kind of
ASCII white space, CR-separated author lists, and the bulk path's own separator.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from endnoted.judging.matching import (
    RecordKeys,
    coarse_title,
    coarse_titles,
    extra_copies,
    find_extra_copies,
    fold_all,
    library_keys,
    normalise_doi,
    normalise_dois,
    normalise_text,
    surname,
    surnames_all,
    title_key,
    title_keys,
)
from endnoted.reading.library import locate
from endnoted.reading.snapshot import take
from tests.conftest import real_libraries

PIECES = [*"abcXYZ  ,.;:-'\"<>&\r\n\t\x00\x0b\x0c\x1c\x1f_!?()[]0123456789", "é", "中", "ﬁ", "–", "ß", "İ",
          "\u0301", "\u3000", "\xa0", "Ａ", "’", "“", "—", "…", "\u2011", "\x01", "\x7f", "\x1b", "<i>", "</i>", "<sup>2</sup>", "&amp;", "&lt;", "&#233;", "<file name.pdf>", "   ", "van der ", "O'"]


def _random(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, longest)))


@pytest.mark.parametrize("seed", range(4))
def test_bulk_keys_equal_single_keys_on_hostile_strings(seed: int) -> None:
    rng = random.Random(seed)
    titles = [_random(rng, 30) for _ in range(3000)]
    years = [rng.choice(["2020", "", "1999a", "c. 2001", _random(rng, 6)]) for _ in range(3000)]
    authors = [_random(rng, 25) for _ in range(3000)]
    assert fold_all(titles) == [normalise_text(title) for title in titles]
    assert coarse_titles(titles) == [coarse_title(title) for title in titles]
    assert surnames_all(authors) == [surname(author) for author in authors]
    for untitled in (False, True):
        assert title_keys(titles, years, authors, untitled=untitled) == [
            title_key(title, year, author, untitled=untitled)
            for title, year, author in zip(titles, years, authors, strict=True)]
    dois = [rng.choice(["", "10.1000/ABC.", " doi: 10.1/x y", "https://doi.org/10.5/Q", "10.1/x y", "10.1/x\t",
                        "10.1/É..", "10.", "10.1/a\x00b", _random(rng, 12)])
            for _ in range(3000)]
    assert normalise_dois(dois) == [normalise_doi(doi) for doi in dois]


def test_bulk_keys_equal_single_keys_on_every_real_library(realworld: Path) -> None:
    checked = 0
    for folder, name in real_libraries():
        database = realworld / folder / name.replace(".enl", ".Data") / "sdb" / "sdb.eni"
        db = sqlite3.connect(f"{database.as_uri()}?mode=ro&immutable=1", uri=True)
        db.text_factory = lambda raw: raw.decode("utf-8", "replace")
        rows = db.execute("SELECT coalesce(title, ''), coalesce(year, ''), coalesce(author, '') FROM refs").fetchall()
        db.close()
        titles, years, authors = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
        assert title_keys(titles, years, authors) == [title_key(*row) for row in rows]
        checked += len(rows)
    assert checked > 1000


def test_a_snapshots_keys_are_computed_once_and_shared(real_copy: object) -> None:
    folder = real_copy("utsmok-endnote-exporter/en21-synced")  # type: ignore[operator]
    snap = take(locate(folder / "MyLibrary.enl")[0])
    keys = library_keys(snap)
    assert library_keys(snap) is keys
    assert keys.titles == [title_key(row[2], row[3], row[4]) for row in snap.rows]
    assert keys.dois == [normalise_doi(row[5]) for row in snap.rows]


@pytest.mark.parametrize("seed", range(6))
def test_finding_extra_copies_gives_the_answer_of_comparing_every_record(seed: int) -> None:
    # Few distinct titles, DOIs and authors, so that copies of every kind are common: same DOI,
    # same title without DOIs, a DOI on one side only, titles equal only once normalised.
    rng = random.Random(seed)
    titles = ["", "A Study", "a study.", "A  study", "<i>A</i> study", "Étude", "ETUDE", "étude", "A stu dy",
              "The Cell", "the cell!", "ﬁsh", "fish", "Fish &amp; chips", "fish & chips", "中文", "<file.pdf>",
              *(f"Title {n}" for n in range(rng.randint(1, 60))), _random(rng, 8), _random(rng, 8)]
    dois = ["", "", "", "10.1/a", "10.1/A", "doi: 10.1/a", "10.2/b", "https://doi.org/10.2/B", "10.3/c"]
    records = [(rng.choice(dois), rng.choice(titles), rng.choice(["2020", "2021", ""]),
                rng.choice(["Smith, J.", "J. Smith", "Jones, K.", ""])) for _ in range(rng.randint(50, 400))]
    every = extra_copies(records, [RecordKeys.of(*record) for record in records])
    assert find_extra_copies(records, lambda record: record) == every
    assert every   # the data makes copies: the comparison above is not between two empty lists
    # Each way a title key alone decides, with no third record sharing the title.
    for pair in ([("10.9/x", "Lone title", "2020", "Smith, J."), ("", "lone  title.", "2020", "J. Smith")],
                 [("", "Lone title", "2020", "Smith, J."), ("10.9/x", "lone  title.", "2020", "J. Smith")],
                 [("", "Lone title", "2020", "Smith, J."), ("", "LONE TITLE", "2020", "Smith")]):
        assert find_extra_copies(pair, lambda record: record) == [pair[1]]
    different = [("10.9/x", "Lone title", "2020", "Smith, J."), ("10.9/y", "lone title", "2020", "Smith, J.")]
    assert find_extra_copies(different, lambda record: record) == []
