"""`endnoted check` against a floor measured in the same run: a bare sqlite3 pass over the same columns.

Goal (issue #2): ≤ 2× the floor at 100k references, and under 150 ms for 5k references.
Usage: python benchmarks/bench_check.py [--sizes 1000,5000,10000,100000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, library

from endnoted.checker import check_library
from endnoted.library import locate


def floor(database: Path) -> None:
    db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    db.execute("SELECT id, trash_state, title, year, author, electronic_resource_number, added_to_library, "
               "record_last_updated FROM refs").fetchall()
    db.execute("SELECT type, item_id, item_id2, usn, action, status FROM sync").fetchall()
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,5000,10000,100000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="endnoted-bench-") as scratch:
        print(f"{'refs':>8} {'floor ms':>9} {'check ms':>9} {'ratio':>6}")
        for size in (int(s) for s in args.sizes.split(",")):
            enl = library(Path(scratch), size)
            lib = locate(enl)[0]
            database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
            runs = 5 if size <= 10000 else 3
            check_library(lib, mounts=())  # warm the page cache for both
            floor_s = best_of(runs, lambda database=database: floor(database))
            check_s = best_of(runs, lambda lib=lib: check_library(lib, mounts=()))
            print(f"{size:>8} {floor_s * 1000:>9.1f} {check_s * 1000:>9.1f} {check_s / floor_s:>6.2f}x")


if __name__ == "__main__":
    main()
