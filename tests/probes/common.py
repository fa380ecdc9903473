"""What every probe test shares: a fixed clock, a synthetic library, and the codes a check finds in it
(with the library's files hashed before and after, so no probe ever writes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, RefSpec, build, synthetic_refs
from endnoted.judging.checker import check_library
from endnoted.reading.library import locate
from tests.conftest import tree_hash

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
LAST = NOW - timedelta(hours=2)


def codes(enl: Path, **kwargs: object) -> set[str]:
    before = tree_hash(enl.parent)
    report = check_library(locate(enl)[0], now=NOW, **kwargs)  # type: ignore[arg-type]
    assert tree_hash(enl.parent) == before
    return {finding.code for finding in report.findings}


def library(tmp_path: Path, refs: list[RefSpec] | None = None, name: str = "lib", **spec: object) -> Path:
    return build(tmp_path / name, LibrarySpec(refs=refs if refs is not None else synthetic_refs(8),
                                              last_sync=spec.pop("last_sync", LAST), **spec))  # type: ignore[arg-type]

