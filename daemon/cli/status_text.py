"""The text of `endnoted status`, and the table helpers every text shares: part of `render.py` (which
re-exports them), kept apart so the lean `status` (cli/quick.py) renders through the same functions
without importing dataclasses, typing, pathlib or the judging stage's records (start-up time, issue 16
item 5; benchmarks/bench_startup.py).

`status` renders glance.view's plain rows, the same view `status --json` types (state/status.py).
"""

from __future__ import annotations

import os

from endnoted.common.timefmt import parse_iso, when, when_in
from endnoted.common.words import plural
from endnoted.judging.ranks import worst_first

TYPE_CHECKING = False
if TYPE_CHECKING:   # annotations only: typing costs `status` an import (start-up time)
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime
    from typing import Any

QUIET, NORMAL, VERBOSE = -1, 0, 1


def _parts(path: str) -> tuple[str, ...]:
    """A path's parts as PurePath gives them (the anchor, then each name), through os.path: no pathlib."""
    parts: list[str] = []
    head = path
    while head:
        rest, tail = os.path.split(head)
        if not tail:          # only the anchor ("/", "C:\\", "\\\\server\\share\\") is left
            parts.append(rest)
            break
        parts.append(tail)
        head = rest
    return tuple(reversed(parts))


def short_names(paths: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """Given library paths, name each by the shortest end of its path that no other one shares.

    Two `My EndNote Library.enl` in different folders become `Thesis/My EndNote Library.enl` and
    `Grant/My EndNote Library.enl`; a name no other library has stays just the file name.
    """
    parts = {str(path): _parts(os.fspath(path)) for path in paths}
    names: dict[str, str] = {}
    for key, mine in parts.items():
        depth = 1
        while depth < len(mine) and any(other[-depth:] == mine[-depth:] for k, other in parts.items() if k != key):
            depth += 1
        names[key] = os.path.join(*mine[-depth:]) if mine else key
    return names


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def reference_lines(refs: Sequence[Mapping[str, Any]], more: int, *, indent: str = "      ") -> list[str]:
    """Given the references behind a finding (record, title, year, first author), return one line each."""
    lines = [f"{indent}#{ref['record'] if ref.get('record') is not None else '?'}  {ref.get('year') or '----'}  {str(ref.get('title') or '(no title)')[:70]}"
             + (f"  ({ref['first_author']})" if ref.get("first_author") else "") for ref in refs]
    if more:
        lines.append(f"{indent}… and {more} more")
    return lines


def _alerts_line(data: Mapping[str, Any]) -> str | None:
    beat = data["beat"]
    if beat is None or beat.get("notifier_ready") is None or not data["running"]:
        return None   # a stopped daemon alerts nobody: the NOT running line says what to do
    if beat["notifier_ready"]:
        return f"Alerts reach you ({beat.get('notifier')})."
    why = f": {beat['notifier_why']}" if beat.get("notifier_why") else ""
    # Said inside `status` itself: the verdicts are the lines below, not another command to run.
    return (f"Alerts CANNOT reach you ({beat.get('notifier')}{why}). They are still recorded (endnoted history lists "
            "them); the current verdicts are below.")


def _library_lines(library: Mapping[str, Any], name: str, verbosity: int, now: datetime | None) -> list[str]:
    row, report = library["row"], library["report"]
    counts = report.get("counts")
    held = (f"{plural(counts['references'], 'reference')}, {counts['trashed']} in trash" if counts
            else "counts unknown")
    last_sync = parse_iso((report.get("sync") or {}).get("last_sync"))
    lines = ["", f"{report['verdict']:<10} {name}", f"  {report.get('reason') or ''}",
             f"  next: {report.get('next_action') or ''}",
             f"  last checked {when(parse_iso(row.get('last_checked')), now)}; last synced {when(last_sync, now)}; {held}"]
    findings = report.get("findings") or ()
    for finding in findings:
        if finding.get("references") and (finding.get("severity") in ("warning", "error")
                                          or finding.get("verdict") == report["verdict"]):
            lines.append(f"  {finding['code']}:")
            lines += reference_lines(finding["references"], int(finding.get("more") or 0))
    if verbosity >= VERBOSE:
        lines.append(f"  path: {row['path']}")
        lines += [f"  {finding.get('severity', '')}: {finding.get('code', '')}: {finding.get('message', '')}"
                  for finding in findings]
    return lines


def status(data: Mapping[str, Any], *, verbosity: int = NORMAL, now: datetime | None = None) -> str:
    """Given what `status` knows (glance.view), return its text: the daemon, alerts, a reset under way, each library."""
    beat = data["beat"]
    libraries = data["libraries"]
    names = short_names([library["row"]["path"] for library in libraries] + [run["library"] for run in data["resets"]])
    lines: list[str] = []
    if beat is None:
        lines.append("endnoted is NOT running: the daemon has never run on this computer, so nothing is known yet.")
        lines.append("  Check a library now:        endnoted check PATH")
        lines.append("  Watch libraries from now:   endnoted service install   (or: endnoted run, in a terminal)")
    elif data["running"]:
        lines.append(f"endnoted {beat['version']} is running (pid {beat['pid']}, since "
                     f"{when(parse_iso(beat['started_at']), now)}; last heartbeat {when(parse_iso(beat['beat_at']), now)}).")
    else:
        lines.append(f"endnoted is NOT running: {when_in(data['why'], now)}. What follows is the last state known. "
                     "Start it with: endnoted service install (or endnoted run).")
    if verbosity > QUIET and (alerts := _alerts_line(data)):
        lines.append(alerts)
    for run in data["resets"]:
        situation = f", situation {run['situation']}" if run.get("situation") else ""
        lines.append(f"A reset is under way for {names[run['library']]}: waiting on step {int(run.get('step') or 0)}"
                     f"{situation}, started {when(parse_iso(run.get('started_at')), now)}, last step "
                     f"{when(parse_iso(run.get('updated_at')), now)}. Continue it with: endnoted reset \"{run['library']}\"")
    if data["endnote"] and verbosity > QUIET:
        opened = ", ".join(lib for p in data["endnote"] for lib in p["open_libraries"]) or "no library known"
        lines.append(f"EndNote is running ({opened}).")
    if not libraries:
        if beat is not None:
            lines.append("No library checked yet.")
        return "\n".join(lines)
    # Those the live daemon no longer watches are shown apart, after the others: their verdicts are old.
    apart = sorted((library for library in libraries if library.get("watched") is False),
                   key=lambda library: (names[library["row"]["path"]], library["row"]["path"]))
    # Worst first, as in check.
    rows = sorted((library for library in libraries if library.get("watched") is not False),
                  key=lambda library: (worst_first(library["report"]["verdict"]),
                                       names[library["row"]["path"]], library["row"]["path"]))
    if verbosity <= QUIET:
        return "\n".join(lines + table([[library["report"]["verdict"], names[library["row"]["path"]]]
                                        for library in rows]
                                       + [[_not_watched(library, now), names[library["row"]["path"]]]
                                          for library in apart]))
    for library in rows:
        lines += _library_lines(library, names[library["row"]["path"]], verbosity, now)
    if apart:
        lines += ["", "The running daemon does not watch these now; their verdicts are the last seen and do not "
                      "count in the exit code:"]
        for library in apart:
            lines.append(f"  {names[library['row']['path']]}: {_not_watched(library, now)}, "
                         f"{library['report']['verdict']} then")
            if verbosity >= VERBOSE:
                lines.append(f"    path: {library['row']['path']}")
    return "\n".join(lines)


def _not_watched(library: Mapping[str, Any], now: datetime | None) -> str:
    return f"not watched now (last seen {when(parse_iso(library['row'].get('last_checked')), now)})"
