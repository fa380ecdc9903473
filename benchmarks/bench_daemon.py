"""The idle daemon watching 3 libraries: RSS and CPU over 60 s; and from a write to the new verdict in the store.

Goals (issue #4): RSS ≤ 60 MB, CPU ≤ 0.5 % over 60 s, write → verdict ≤ 3 s.
Usage: python benchmarks/bench_daemon.py [--idle 60] [--writes 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from endnoted.demo.builder import LibrarySpec, build, days_ago, register_stand_ins, synthetic_refs


def snapshot_count(state: Path, enl: Path) -> int:
    try:
        db = sqlite3.connect(f"{(state / 'state.db').as_uri()}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT count(*) FROM snapshots WHERE path = ?", (str(enl),)).fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def main() -> None:
    # Timed as installed: an installed endnoted has its .pyc files (pip writes them), so a build
    # machine's PYTHONDONTWRITEBYTECODE must not make every timed process compile its modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--writes", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="endnoted-bench-daemon-") as scratch:
        root = Path(scratch)
        libraries = [build(root / f"lib{n}", LibrarySpec(name=f"Library {n}", last_sync=days_ago(0.2),
                                                          refs=synthetic_refs(2000, seed=n, attachments=50)))
                     for n in range(3)]
        libraries = [enl.resolve() for enl in libraries]
        state = root / "state"
        env = {**os.environ, "ENDNOTED_STATE_DIR": str(state), "HOME": str(root / "home"),
               "ENDNOTED_CONFIG": str(root / "none.toml")}
        (root / "home").mkdir()
        daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", *map(str, libraries)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not all(snapshot_count(state, enl) for enl in libraries):
                time.sleep(0.1)
            time.sleep(3)
            process = psutil.Process(daemon.pid)
            cpu_before = process.cpu_times()
            started = time.monotonic()
            peak = 0
            while time.monotonic() - started < args.idle:
                peak = max(peak, process.memory_info().rss)
                time.sleep(1)
            cpu_after = process.cpu_times()
            elapsed = time.monotonic() - started
            cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / elapsed * 100
            latencies = []
            database = libraries[0].with_suffix(".Data") / "sdb" / "sdb.eni"
            for n in range(args.writes):
                before = snapshot_count(state, libraries[0])
                writer = sqlite3.connect(database)
                register_stand_ins(writer)
                with writer:
                    writer.execute("UPDATE refs SET record_last_updated = ? WHERE id = 1", (n,))
                writer.close()
                written = time.monotonic()
                while snapshot_count(state, libraries[0]) == before:
                    time.sleep(0.01)
                latencies.append(time.monotonic() - written)
                time.sleep(3)
            print(f"idle {elapsed:.0f} s, 3 libraries of 2,000 references:")
            print(f"  peak RSS      {peak / 1e6:6.1f} MB   (goal <= 60 MB)")
            print(f"  CPU           {cpu:6.2f} %    (goal <= 0.5 %)")
            print(f"  write→verdict median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s "
                  f"over {len(latencies)} writes (goal <= 3 s; 2 s of it is the debounce's quiet window)")
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=10)


if __name__ == "__main__":
    main()
