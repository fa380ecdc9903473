"""`endnoted compare` on 100k references against a floor measured in the same run: one streaming parse of
the same EndNote XML doing nothing else. Also the `check` time of the library and compare's peak RSS.

Goal (issue #3): compare ≤ 1.5× the floor + the check time; peak RSS ≤ 300 MB.
Usage: python benchmarks/bench_compare.py [--refs 100000]
"""

from __future__ import annotations

import argparse
import html
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import defusedxml.ElementTree as safe_et

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, library  # noqa: E402

from endnoted.judging.checker import check_library  # noqa: E402
from endnoted.reading.library import locate  # noqa: E402


def style(text: str) -> str:
    return f'<style face="normal" font="default" size="100%">{html.escape(text)}</style>'


def write_export(enl: Path, path: Path, refs: int) -> None:
    """An EndNote XML export of the library with 200 dropped, 100 Web-only and 100 duplicated records."""
    import sqlite3
    db = sqlite3.connect(f"{(enl.with_suffix('.Data') / 'sdb' / 'sdb.eni').as_uri()}?mode=ro", uri=True)
    rows = db.execute("SELECT id, title, year, author, electronic_resource_number, abstract FROM refs").fetchall()
    db.close()
    rows = rows[200:] + rows[1000:1100] + [(refs + n, f"Only on the Web {n}", "2024", "Web, W.", "", "")
                                           for n in range(100)]
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8" ?><xml><records>')
        for ref_id, title, year, author, doi, abstract in rows:
            authors = "".join(f"<author>{style(a)}</author>" for a in author.split("\r"))
            out.write(f'<record><database name="Bench.enl" path="Bench.enl">Bench.enl</database>'
                      f'<source-app name="EndNote" version="21.3">EndNote</source-app><rec-number>{ref_id}</rec-number>'
                      f'<ref-type name="Journal Article">17</ref-type><contributors><authors>{authors}</authors>'
                      f'</contributors><titles><title>{style(title)}</title><secondary-title>{style("Journal")}'
                      f'</secondary-title></titles><dates><year>{style(year)}</year></dates>'
                      f'<abstract>{style(abstract)}</abstract><electronic-resource-num>{style(doi)}'
                      f'</electronic-resource-num></record>')
        out.write("</records></xml>")


def floor(path: Path) -> None:
    for _event, element in safe_et.iterparse(str(path), events=("end",)):
        if element.tag == "record":
            element.clear()


def main() -> None:
    # Timed as installed: an installed endnoted has its .pyc files (pip writes them), so a build
    # machine's PYTHONDONTWRITEBYTECODE must not make every timed process compile its modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser()
    parser.add_argument("--refs", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="endnoted-bench-compare-", dir=os.environ.get("BENCH_DIR")) as scratch:
        root = Path(scratch)
        enl = library(root, args.refs)
        export = root / "web.xml"
        write_export(enl, export, args.refs)
        lib = locate(enl)[0]
        floor_s = best_of(3, lambda: floor(export))
        check_s = best_of(3, lambda: check_library(lib, mounts=()))
        env = {**os.environ, "ENDNOTED_STATE_DIR": str(root / "state")}
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "endnoted", "compare", "--json", str(enl), str(export)],
                                  stdout=subprocess.DEVNULL, env=env, check=False)
            timings.append(time.perf_counter() - started)
            assert done.returncode == 4, done.returncode
        compare_s = min(timings)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        budget = 1.5 * floor_s + check_s
        print(f"{args.refs} references; export {export.stat().st_size / 1e6:.0f} MB, 200 missing on Web, "
              "100 missing on Desktop, 100 duplicated")
        print(f"  floor (streaming parse only) {floor_s:6.2f} s")
        print(f"  check of the library        {check_s:6.2f} s")
        print(f"  endnoted compare (process)   {compare_s:6.2f} s   goal <= 1.5 x floor + check = {budget:.2f} s "
              f"-> {compare_s / budget:.2f} of the budget")
        print(f"  peak RSS of compare          {rss_mb:6.0f} MB  (goal <= 300 MB)")


if __name__ == "__main__":
    main()
