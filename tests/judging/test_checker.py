"""One pass over one library: every probe runs, a clean library has no warnings, a crashing probe is contained."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

from endnoted.demo.builder import synthetic_refs
from endnoted.judging.checker import check_libraries, check_library, run_probes
from endnoted.judging.findings import Finding
from endnoted.probes import builtin_probes
from endnoted.probes.base import Context
from endnoted.reading.library import locate
from endnoted.reading.model import Snapshot
from endnoted.reading.snapshot import take
from tests.probes.common import NOW, library


def test_a_clean_library_has_no_warnings(tmp_path: Path) -> None:
    enl = library(tmp_path, synthetic_refs(8, attachments=2))
    report = check_library(locate(enl)[0], now=NOW, mounts=())
    assert [f.code for f in report.findings if f.severity >= 20] == []


class _Exploding:
    name = "exploding"

    def check(self, snapshot: Snapshot, context: Context) -> Iterable[Finding]:
        raise RuntimeError("boom")


def test_a_crashing_probe_becomes_a_finding_and_the_rest_still_run(tmp_path: Path) -> None:
    refs = synthetic_refs(3)
    refs[0].action = 1
    enl = library(tmp_path, refs)
    snap = take(locate(enl)[0])
    found = run_probes([_Exploding(), *builtin_probes()], snap, Context(now=NOW))
    assert found[0].code == "probe.crashed" and "boom" in found[0].message
    assert any(f.probe == "sync-ledger" for f in found)



class _CollectorWatch:
    """A probe that notes whether the cyclic garbage collector runs while probes run."""

    name = "collector-watch"

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def check(self, snapshot: Snapshot, context: Context) -> Iterable[Finding]:
        self.seen.append(gc.isenabled())
        raise RuntimeError("a probe that fails must not leave the collector paused")


def test_the_collector_is_paused_during_a_pass_and_restored_after_it(tmp_path: Path) -> None:
    enl = library(tmp_path, synthetic_refs(5))
    watch = _CollectorWatch()
    assert gc.isenabled()
    check_library(locate(enl)[0], now=NOW, mounts=(), probes=[watch])
    check_libraries([locate(enl)[0]], now=NOW, mounts=(), probes=[watch])
    assert watch.seen == [False, False]
    assert gc.isenabled()
