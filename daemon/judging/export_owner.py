"""Which watched library a Web export belongs to (the daemon's export folder watch, issue #3).

An export is compared with every library and given to the one whose references it matches best.
Never by database id alone: copies of a library share it (docs/ENDNOTE-RULES.md R3, R4). An export
that carries a library's id without matching its references still goes to that library, so the next
check says so (export.not-this-library); it never moves the verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from endnoted.common.errors import ExportError
from endnoted.judging.compare import compare
from endnoted.reading.exports import sniff
from endnoted.reading.library import Library
from endnoted.reading.model import Status
from endnoted.reading.snapshot import take


def export_owner(path: Path, libraries: Mapping[str, Library], *,
                 stopping: Callable[[], bool] = lambda: False) -> str | None:
    """Given a file and the watched libraries by key, return the key of the library it is a Web export of.

    None when it is not a Web export, matches no library, or `stopping` turns true meanwhile. Raise
    ExportError when it looks like an export but cannot be read.
    """
    try:
        sniff(path)
    except ExportError:
        return None   # not an export at all: any file may land in a downloads folder
    best: tuple[float, str] | None = None
    same_id: str | None = None   # a library whose database id the export carries, though it may be a copy's
    for key, library in libraries.items():
        if stopping():
            return None
        snap = take(library, integrity=False)
        if snap.status is not Status.OK:
            continue
        result = compare(snap, path)
        if result.export_db_id and result.export_db_id == snap.db_id and same_id is None:
            same_id = key
        score = result.matched / max(min(result.web, result.desktop), 1)
        if result.belongs and (best is None or score > best[0]):
            best = (score, key)
    if best is not None:
        return best[1]
    return same_id
