"""`endnoted check` against a floor measured in the same run: a bare sqlite3 pass over the same columns.

Goal (issue #2): ≤ 2× the floor at 100k references, and under 150 ms for 5k references.
Two figures: the first check of a file (with SQLite's structural check, quick_check) and a check
of an unchanged file (its structural check remembered, daemon/integrity.py).
Usage: python benchmarks/bench_check.py [--sizes 1000,5000,10000,100000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, library

from endnoted.judging.checker import check_library
from endnoted.reading.integrity import IntegrityMemo
from endnoted.reading.library import locate


def floor(database: Path) -> None:
    db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    db.execute("SELECT id, trash_state, title, year, author, electronic_resource_number, added_to_library, "
               "record_last_updated FROM refs").fetchall()
    db.execute("SELECT type, item_id, item_id2, usn, action, status FROM sync").fetchall()
    db.close()


def main() -> None:
    # Timed as installed: an installed endnoted has its .pyc files (pip writes them), so a build
    # machine's PYTHONDONTWRITEBYTECODE must not make every timed process compile its modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,5000,10000,100000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="endnoted-bench-") as scratch:
        print(f"{'refs':>8} {'floor ms':>9} {'first check':>12} {'ratio':>6} {'unchanged':>10} {'ratio':>6}")
        for size in (int(s) for s in args.sizes.split(",")):
            enl = library(Path(scratch), size)
            lib = locate(enl)[0]
            database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
            runs = 5 if size <= 10000 else 3
            memo_file = Path(scratch) / f"memo-{size}.json"
            check_library(lib, mounts=())  # warm the page cache for both
            floor_s = best_of(runs, lambda database=database: floor(database))

            def first(lib: object = lib, memo_file: Path = memo_file) -> None:
                memo_file.unlink(missing_ok=True)
                check_library(lib, mounts=(), memo=IntegrityMemo(memo_file))  # type: ignore[arg-type]

            first_s = best_of(runs, first)
            check_library(lib, mounts=(), memo=IntegrityMemo(memo_file))
            warm_s = best_of(runs, lambda lib=lib, m=memo_file: check_library(lib, mounts=(), memo=IntegrityMemo(m)))
            print(f"{size:>8} {floor_s * 1000:>9.1f} {first_s * 1000:>12.1f} {first_s / floor_s:>5.2f}x "
                  f"{warm_s * 1000:>10.1f} {warm_s / floor_s:>5.2f}x")


if __name__ == "__main__":
    main()
