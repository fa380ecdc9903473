"""`endnoted backup` (proof included) against `zip -r -q` and `cp -r` of the same folder, in the same run.

Goals: ≤ 1.0× zip, ≤ 6× cp -r (issue #5); ≤ 2.0× a durable copy, cp -r + sync of every file (#16). A synthetic library with ~1 GB of attachments (PDF-sized,
incompressible like real PDFs). Usage: python benchmarks/bench_backup.py [--files 3000 --size 350000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    subprocess.run(["sync"], check=False)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    # Timed as installed: an installed endnoted has its .pyc files (pip writes them), so a build
    # machine's PYTHONDONTWRITEBYTECODE must not make every timed process compile its modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--size", type=int, default=350_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="endnoted-bench-backup-", dir=os.environ.get("BENCH_DIR")) as scratch:
        root = Path(scratch)
        enl = build(root / "lib", LibrarySpec(name="Bench", last_sync=days_ago(1), refs=synthetic_refs(
            args.files, attachments=args.files, attachment_bytes=args.size)))
        data = enl.with_suffix(".Data")
        total = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        env = {**os.environ, "ENDNOTED_STATE_DIR": str(root / "state")}
        results = {}
        for label, command in (
            ("cp -r", ["cp", "-r", str(data), str(root / "copy")]),
            # The durable floor (issue #16): the same copy, then every copied file synced to disk.
            ("cp -r + sync", ["sh", "-c", f'cp -r "{data}" "{root}/copy" && find "{root}/copy" -type f '
                              "-exec sync {} +"]),
            ("zip -r -q", ["sh", "-c", f'cd "{data}" && zip -r -q "{root}/plain.zip" .']),
            ("endnoted backup", [sys.executable, "-m", "endnoted", "backup", "--to", str(root / "out"), str(enl)]),
        ):
            results[label] = timed(command, env)
            shutil.rmtree(root / "copy", ignore_errors=True)
        print(f"library: {args.files} attachments, {total / 1e9:.2f} GB")
        for label, seconds in results.items():
            print(f"{label:>16}: {seconds:7.2f} s  ({total / 1e6 / seconds:6.0f} MB/s)")
        print(f"backup / zip = {results['endnoted backup'] / results['zip -r -q']:.2f}x (goal <= 1.0)")
        print(f"backup / cp  = {results['endnoted backup'] / results['cp -r']:.2f}x (goal <= 6)")
        print(f"backup / durable copy = {results['endnoted backup'] / results['cp -r + sync']:.2f}x (goal <= 2.0)")


if __name__ == "__main__":
    main()
