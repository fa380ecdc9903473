"""Peak memory and time of the export reader on 1 GB files (issue #12): refused or read, never held whole.

Four files are generated in a temp folder at run time and deleted after each measurement:
- a 1 GB single-line RIS field, a 1 GB single tab-delimited row, a 1 GB XML text node: each must be
  refused with one line (a line or field over the limit), in bounded memory;
- 1 GB of valid RIS records (real-sized records cloned from the IEBH sample): read to the end.
Each is read by `read_export` in its own process; its peak RSS (VmHWM) and time are printed, against
a floor of the same run: `wc -l` of the same file (reading 1 GB once).

Needs about 1.1 GB free in the temp folder (checked first). Usage:
python benchmarks/bench_exports.py [--megabytes 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
READ = """
import sys, time
from pathlib import Path
from endnoted.common.errors import ExportError
from endnoted.reading.exports import read_export
started = time.perf_counter()
try:
    count = sum(1 for _ in read_export(Path(sys.argv[1]))[1])
    outcome = f"read {count} records"
except ExportError as error:
    outcome = "refused: " + str(error).replace(sys.argv[1], "FILE")[:110]
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) // 1024
print(f"{time.perf_counter() - started:.2f}|{peak}|{outcome}")
"""
BLOCK = ("A field that goes on and on without ever ending, as a hostile file would. " * 15)[:1024] * 1024


def write(path: Path, head: str, tail: str, megabytes: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        for _ in range(megabytes):
            out.write(BLOCK)
        out.write(tail)


def write_valid_ris(path: Path, megabytes: int) -> None:
    sample = (REALWORLD / "IEBH-RefLib" / "blue-light.ris").read_text(encoding="utf-8-sig")
    records = [part + "ER  - \n" for part in sample.split("ER  - ")[:-1] if "TY  -" in part]
    block = "".join(records)
    with path.open("w", encoding="utf-8") as out:
        written = 0
        round_ = 0
        while written < megabytes << 20:
            round_ += 1
            # Distinct references, as in a real export: each copy gets its own title and DOI.
            chunk = block.replace("TI  - ", f"TI  - (copy {round_}) ").replace("\nDO  - 10.", f"\nDO  - 10.{round_}")
            out.write(chunk)
            written += len(chunk.encode())


def measure(label: str, path: Path) -> None:
    started = time.perf_counter()
    subprocess.run(["wc", "-l", str(path)], check=True, stdout=subprocess.DEVNULL)
    floor = time.perf_counter() - started
    done = subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True, check=True)
    seconds, peak, outcome = done.stdout.strip().split("|", 2)
    size = path.stat().st_size / 2**30
    print(f"  {label:<28} {size:5.2f} GB  peak RSS {peak:>5} MB  {float(seconds):6.2f} s "
          f"(floor wc -l {floor:5.2f} s, ratio {float(seconds) / floor:5.1f}x)  {outcome}")


def compare_whole(scratch: Path, export: Path) -> None:
    """`endnoted compare` of the real blue-light library with the 1 GB RIS: every record is matched."""
    data = scratch / "blue-light.Data"
    with zipfile.ZipFile(REALWORLD / "IEBH-RefLib" / "blue-light.enlx") as archive:
        archive.extractall(data)
    (scratch / "blue-light.enl").write_bytes(b"Eds1")
    env = {**os.environ, "ENDNOTED_STATE_DIR": str(scratch / "state"), "HOME": str(scratch)}
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "endnoted", "compare", "--json",
                           str(scratch / "blue-light.enl"), str(export)], env=env, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    web = json.loads(done.stdout)["web"] if done.stdout.strip() else "?"
    peak = int(done.stderr.strip().splitlines()[-1]) // 1024
    said = "" if done.returncode in (0, 3, 4) else " - " + done.stderr.strip().splitlines()[0][:140]
    print(f"  {'endnoted compare, that RIS':<28} exit {done.returncode}, {web} Web records, peak RSS {peak} MB, "
          f"{seconds:.1f} s (GNU time){said}")


def main() -> None:
    # Timed as installed: an installed endnoted has its .pyc files (pip writes them), so a build
    # machine's PYTHONDONTWRITEBYTECODE must not make every timed process compile its modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=1024)
    args = parser.parse_args()
    folder = os.environ.get("BENCH_DIR") or tempfile.gettempdir()
    free = shutil.disk_usage(folder).free
    if free < (args.megabytes + 200) << 20:
        raise SystemExit(f"{folder} has {free >> 20} MB free; {args.megabytes + 200} MB are needed")
    cases = [
        ("single-line RIS field", "ris", "TY  - JOUR\nAB  - ", "\nER  - \n"),
        ("single tab-delimited row", "txt", "Title\tAuthor\tYear\n", "\tSmith, J.\t2020\n"),
        ("single XML text node", "xml", '<?xml version="1.0" encoding="UTF-8" ?><xml><records><record>'
         "<rec-number>1</rec-number><abstract>", "</abstract></record></records></xml>"),
    ]
    print(f"export reader, {args.megabytes} MB files (one process each):")
    with tempfile.TemporaryDirectory(prefix="endnoted-bench-exports-", dir=folder) as scratch:
        for label, suffix, head, tail in cases:
            path = Path(scratch) / f"giant.{suffix}"
            write(path, head, tail, args.megabytes)
            measure(label, path)
            path.unlink()
        path = Path(scratch) / "valid.ris"
        write_valid_ris(path, args.megabytes)
        measure("valid RIS records", path)
        compare_whole(Path(scratch), path)
        path.unlink()


if __name__ == "__main__":
    main()
