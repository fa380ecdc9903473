"""Start-up: `endnoted status` and `endnoted --help` as whole processes, against `python3 -c pass` measured in
the same run (issue 16, item 5; goal: status with the daemon's state of 10 libraries ≤ 3× the floor).

Run: python benchmarks/bench_startup.py [--runs N]
The state holds 10 checked libraries and the heartbeat of a live process (this one), renewed every
5 s with the EndNote processes seen as the daemon does (runner._beat), so `status` takes the path it
takes while the daemon runs. The state file is where a researcher's own terminal finds it (no
ENDNOTED_STATE_DIR: $XDG_STATE_HOME/endnoted, the Linux convention). The installed `endnoted` script is
timed, as users run it. Runs are interleaved (floor, status, help, floor, ...) so load on the machine
falls on all alike; the median of each is reported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.endnote_proc import find_endnote
from endnoted.reading.library import locate
from endnoted.state.records import StoredReport
from endnoted.state.store import Store

STARTED = time.time()


def _beat(store: Store, started_at: str) -> None:
    # As the daemon's heartbeat (runner._beat): its pid, and the EndNote processes it sees.
    store.beat(pid=os.getpid(), started_at=started_at, version="bench",
               endnote=[process.to_json() for process in find_endnote()])


def _db(folder: Path) -> Path:
    # Where a researcher's own terminal finds it on Linux: $XDG_STATE_HOME/endnoted (no ENDNOTED_STATE_DIR).
    return folder / "xdg" / "endnoted" / "state.db"


def _state(folder: Path, libraries: int) -> None:
    with Store(_db(folder)) as store:
        _beat(store, datetime.fromtimestamp(STARTED, UTC).isoformat())
        store.record_notifier("bench", True, "")
        for n in range(libraries):
            refs = synthetic_refs(20, seed=n)
            enl = build(folder / f"lib{n}", LibrarySpec(refs=refs, last_sync=days_ago(0.2)))
            store.record_pass(StoredReport.from_report(check_library(locate(enl)[0])))


def _heartbeat(folder: Path, stop: threading.Event) -> None:
    """Beat every 5 s (runner.HEARTBEAT_SECONDS) until `stop`, as the daemon does while `status` runs."""
    started_at = datetime.fromtimestamp(STARTED, UTC).isoformat()
    with Store(_db(folder)) as store:
        while not stop.wait(5.0):
            _beat(store, started_at)


def _time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--libraries", type=int, default=10)
    args = parser.parse_args()
    script = shutil.which("endnoted", path=str(Path(sys.executable).parent))
    endnoted = [script] if script else [sys.executable, "-m", "endnoted"]
    with tempfile.TemporaryDirectory(prefix="endnoted-bench-startup-") as scratch:
        folder = Path(scratch)
        _state(folder, args.libraries)
        # As typed by hand: no override, the state file where the platform's convention puts it.
        # PYTHONDONTWRITEBYTECODE (set on some build machines) would make every run compile endnoted's
        # modules again: an installed endnoted has its .pyc files (pip writes them at install).
        env = {key: value for key, value in os.environ.items()
               if key not in ("ENDNOTED_STATE_DIR", "STATE_DIRECTORY", "PYTHONDONTWRITEBYTECODE")}
        env.update({"XDG_STATE_HOME": str(folder / "xdg"), "HOME": str(folder),
                    "ENDNOTED_CONFIG": str(folder / "config.toml")})
        commands = {"python3 -c pass (floor)": [sys.executable, "-c", "pass"],
                    f"endnoted status ({args.libraries} libraries)": [*endnoted, "status"],
                    "endnoted status --json": [*endnoted, "status", "--json"],
                    "endnoted --help": [*endnoted, "--help"]}
        stop = threading.Event()
        beating = threading.Thread(target=_heartbeat, args=(folder, stop), daemon=True)
        beating.start()
        try:
            for command in commands.values():   # warm the page cache and .pyc files
                _time(command, env)
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(args.runs):
                for name, command in commands.items():
                    times[name].append(_time(command, env))
        finally:
            stop.set()
            beating.join()
    floor = statistics.median(times["python3 -c pass (floor)"])
    print(f"{'measure':<32} {'median':>9} {'ratio to floor':>15}   (goal for status: ≤ 3.0×; {args.runs} runs each)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<32} {median * 1000:>7.1f} ms {median / floor:>14.2f}×")


if __name__ == "__main__":
    main()
