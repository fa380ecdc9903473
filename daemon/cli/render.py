"""Plain-text rendering of reports for a terminal. Returns strings; the CLI prints them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from endnoted.judging.checker import LibraryReport
from endnoted.judging.compare import Comparison, Ref
from endnoted.judging.findings import Severity

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "·"}


def when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def reports(items: Sequence[LibraryReport], *, verbose: bool = False) -> str:
    """Given check reports, return the table and, per library, the reason, next action and findings."""
    rows: list[list[str]] = [["VERDICT", "LIBRARY", "REFS", "TRASH", "LAST SYNC", "WAITING"]]
    for item in items:
        counts, ledger = item.snapshot.counts, item.snapshot.ledger
        waiting = "" if ledger is None or not ledger.configured else \
            str(ledger.pending + ledger.edited_after_sync + ledger.unsynced)
        rows.append([item.verdict.state.value, item.library.path.name,
                     "" if counts is None else str(counts.references), "" if counts is None else str(counts.trashed),
                     "" if ledger is None else when(ledger.last_sync), waiting])
    lines = _table(rows)
    for item in items:
        lines += ["", f"{item.library.path}", f"  {item.verdict.state.value}: {item.verdict.reason}",
                  f"  next: {item.verdict.next_action}"]
        for finding in sorted(item.findings, key=lambda f: -f.severity):
            if verbose or finding.severity >= Severity.WARNING:
                lines.append(f"  {_MARK[finding.severity]} {finding.code}: {finding.message}")
                lines += reference_lines([item.to_json() for item in finding.references], finding.more)
        hidden = sum(1 for f in item.findings if f.severity < Severity.WARNING)
        if hidden and not verbose:
            lines.append(f"  ({hidden} informational findings: add -v to see them)")
    return "\n".join(lines)


def reference_lines(refs: Sequence[Mapping[str, Any]], more: int, *, indent: str = "      ") -> list[str]:
    """Given the references behind a finding (record, title, year, first author), return one line each."""
    lines = [f"{indent}#{ref['record']}  {ref.get('year') or '----'}  {str(ref.get('title') or '(no title)')[:70]}"
             + (f"  ({ref['first_author']})" if ref.get("first_author") else "") for ref in refs]
    if more:
        lines.append(f"{indent}… and {more} more")
    return lines


def _ref_line(ref: Ref) -> str:
    number = f"#{ref.record}" if ref.side == "desktop" else f"record {ref.record}"
    doi = f"  doi:{ref.doi}" if ref.doi else ""
    author = f"  ({ref.first_author})" if ref.first_author else ""
    return f"    {number}  {ref.year or '----'}  {ref.title[:80]}{author}{doi}"


def comparison(result: Comparison, *, limit: int = 50) -> str:
    other = f"library {result.export.name}" if result.format == "library" else \
        f"Web export {result.export.name} ({result.format})"
    lines = [(f"Desktop {result.library.name}: {result.desktop} references; "
             f"{other}: {result.web} records; {result.matched} matched.")]
    if not result.belongs:
        lines.append(f"Warning: the other side does not look like it came from this library ({result.trust}); "
                     "compared anyway (--force).")
    for title, refs in (("Missing on Web (on Desktop only)", result.missing_on_web),
                        ("Missing on Desktop (on Web only)", result.missing_on_desktop),
                        ("Extra copies on Web", result.duplicates_web),
                        ("Extra copies on Desktop", result.duplicates_desktop)):
        lines.append(f"{title}: {len(refs)}")
        lines += [_ref_line(ref) for ref in refs[:limit]]
        if len(refs) > limit:
            lines.append(f"    … and {len(refs) - limit} more (use --json for the full list)")
    explained = len(result.missing_on_web) - result.unexplained_missing_on_web + \
        len(result.missing_on_desktop) - result.unexplained_missing_on_desktop
    if explained:
        lines.append(f"{explained} of the differences wait for the next sync (the Desktop's sync ledger explains them).")
    return "\n".join(lines)
