"""Helpers for benchmark scripts: timing with a best-of, and synthetic libraries cached per size."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs


def best_of(runs: int, work: Callable[[], object]) -> float:
    """Return the fastest of `runs` timings of `work`, in seconds (the least disturbed by the machine)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def library(folder: Path, size: int, **spec: object) -> Path:
    enl = folder / f"lib{size}" / "Bench.enl"
    if not enl.exists():
        refs = synthetic_refs(size, seed=size)
        for ref in refs:
            ref.abstract = "An abstract of moderate length that makes rows realistic. " * 8
        build(enl.parent, LibrarySpec(name="Bench", refs=refs, last_sync=days_ago(0.5), **spec))  # type: ignore[arg-type]
    return enl
