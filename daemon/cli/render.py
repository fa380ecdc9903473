"""Every text the CLI prints, formatted here (the man pages' roff: `render_manpage`). Functions return strings;
commands print them.

Conventions (issue 14): times in local time with their offset and an age, never bare UTC; a
library is named by the shortest end of its path that tells it apart from the others shown; counts
agree with their nouns; `-q` keeps one verdict line per library, `-v` adds detail.

The text of `status` and the table helpers live in `status_text.py`, re-exported here: the lean
`status` renders through them without importing this module (start-up time, issue 16 item 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from endnoted.cli.status_text import NORMAL, QUIET, VERBOSE, reference_lines, short_names, status
from endnoted.cli.status_text import table as _table
from endnoted.common.timefmt import when
from endnoted.common.words import plural
from endnoted.judging.findings import Severity
from endnoted.judging.verdict import worst_first

if TYPE_CHECKING:
    from endnoted.judging.checker import LibraryReport
    from endnoted.judging.compare import Comparison, Ref
    from endnoted.state.history import Entry
    from endnoted.state.records import BackupRow, ResetRun
    from endnoted.support.doctor import Check

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "·"}

__all__ = ["NORMAL", "QUIET", "VERBOSE", "when", "plural", "short_names", "reference_lines", "reports", "comparison",
           "status", "history", "backups"]


def reports(items: Sequence[LibraryReport], *, verbosity: int = NORMAL, all_findings: bool = False,
            now: datetime | None = None) -> str:
    """Given check reports, return the table and, per library, the reason, next action and findings.

    Quiet: one verdict line per library. Verbose: informational findings too, and the references
    behind each finding.
    """
    names = short_names(str(item.library.path) for item in items)
    # Worst first (the verdict fold's order), then by name: the library that needs you tops the table.
    items = sorted(items, key=lambda item: (worst_first(item.verdict.state), names[str(item.library.path)],
                                            str(item.library.path)))
    if verbosity <= QUIET:
        return "\n".join(_table([[item.verdict.state.value, names[str(item.library.path)]] for item in items]))
    rows: list[list[str]] = [["VERDICT", "LIBRARY", "REFS", "TRASH", "LAST SYNC", "WAITING"]]
    for item in items:
        counts, ledger = item.snapshot.counts, item.snapshot.ledger
        waiting = "" if ledger is None or not ledger.configured else \
            str(ledger.pending + ledger.edited_after_sync + ledger.unsynced)
        rows.append([item.verdict.state.value, names[str(item.library.path)],
                     "" if counts is None else str(counts.references), "" if counts is None else str(counts.trashed),
                     "" if ledger is None else when(ledger.last_sync, now), waiting])
    lines = _table(rows)
    show_info = all_findings or verbosity >= VERBOSE
    for item in items:
        lines += ["", f"{item.library.path}", f"  {item.verdict.state.value}: {item.verdict.reason}",
                  f"  next: {item.verdict.next_action}"]
        # A finding the verdict is folded from is shown whatever its severity: the reason names it.
        shown = [f for f in item.findings
                 if show_info or f.severity >= Severity.WARNING or f.verdict is item.verdict.state]
        for finding in sorted(shown, key=lambda f: -f.severity):
            lines.append(f"  {_MARK[finding.severity]} {finding.code}: {finding.message}")
            lines += reference_lines([ref.to_json() for ref in finding.references], finding.more)
        hidden = len(item.findings) - len(shown)
        if hidden and not show_info:
            lines.append(f"  ({plural(hidden, 'informational finding')}: add -a to see {'it' if hidden == 1 else 'them'})")
    return "\n".join(lines)


def _ref_line(ref: Ref) -> str:
    number = f"#{ref.record}" if ref.side == "desktop" else f"record {ref.record or '(none)'}"
    doi = f"  doi:{ref.doi}" if ref.doi else ""
    author = f"  ({ref.first_author})" if ref.first_author else ""
    return f"    {number}  {ref.year or '----'}  {ref.title[:80]}{author}{doi}"


def comparison(result: Comparison, *, limit: int = 50) -> str:
    other = f"library {result.export.name}" if result.format == "library" else \
        f"Web export {result.export.name} ({result.format})"
    lines = [(f"Desktop {result.library.name}: {plural(result.desktop, 'reference')}; "
             f"{other}: {plural(result.web, 'record')}; {result.matched} matched.")]
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
        lines.append(f"{plural(explained, 'difference')} of these wait for the next sync "
                     "(the Desktop's sync ledger explains them).")
    if not result.synced and result.anything_missing:
        lines.append(f"{result.library.name} has never been synced with EndNote Web: no sync ledger explains "
                     "these differences, and no reset applies to it.")
    return "\n".join(lines)


def history(entries: Sequence[Entry], *, now: datetime | None = None) -> str:
    if not entries:
        return "Nothing recorded yet: the daemon records history while it runs."
    names = short_names({entry.path for entry in entries})
    return "\n".join(_table([[when(entry.at, now), entry.kind, entry.detail, names[entry.path]]
                             for entry in entries]))


def backups(items: Sequence[tuple[BackupRow, str | None]], *, now: datetime | None = None) -> str:
    """Given each recorded backup and why it fails to prove itself (None: it proves), the `backups` table."""
    if not items:
        return "No backups recorded yet. Make one with: endnoted backup LIBRARY"
    # Backups of two libraries that share a name share a file name too: the LIBRARY column tells them apart.
    names = short_names({row.library for row, _ in items})
    rows = [["MADE", "LIBRARY", "REFS", "PROOF", "BACKUP"]]
    for row, problem in items:
        state = "proven" if problem is None else f"FAILS: {problem}"
        rows.append([when(row.made_at, now), names[row.library], str(row.references), state, str(Path(row.path))])
    return "\n".join(_table(rows))


def backup_made(result: Any) -> str:
    """Given a proven BackupResult, what `backup` says."""
    lines = [f"Backup proven and saved: {result.path}",
             f"  {plural(result.counts.references, 'reference')}, {result.counts.trashed} in trash, "
             f"{plural(result.attachment_files, 'attachment file')}, {result.size / 1e6:.1f} MB, {result.seconds:.1f} s"]
    if result.enl_references is not None:
        lines.append(f"  with the library's .enl ({plural(result.enl_references, 'reference')}), proven too")
    lines += [f"  warning: {warning}" for warning in result.warnings]
    if result.retries:
        lines.append(f"  (EndNote was writing: the database copy was retried {plural(result.retries, 'time')})")
    return "\n".join(lines)


def proof(archive: Path, result: Any) -> str:
    """Given an archive's Proof, what `verify` says."""
    if result.counts is None:
        return f"{archive}: an X-era compressed library; all {plural(result.members, 'member')} read back intact."
    lines = [f"{archive}: proven. {plural(result.counts.references, 'reference')}, {result.counts.trashed} in trash, "
             f"{plural(len(result.attachments), 'attachment file')}, {plural(result.members, 'member')} intact."]
    if result.enl_references is not None:
        lines.append(f"  It carries the library's .enl, which opens and holds "
                     f"{plural(result.enl_references, 'reference')}.")
    return "\n".join(lines)


def restored(result: Any) -> str:
    line = (f"Restored and proven: {result.enl} ({plural(result.counts.references, 'reference')}, "
            f"{plural(result.attachment_files, 'attachment file')}). Open it in EndNote with File → Open Library.")
    if result.enl_references is not None:
        line += (f"\n  Its .enl is the library's own, carried by the backup and proven "
                 f"({plural(result.enl_references, 'reference')}, some the database lacked).")
    return line


def libraries(found: Sequence[Any]) -> str:
    """Given discovered libraries, what `libraries` says: each path and why it was found."""
    if not found:
        return "No EndNote library found. Name one in the config (libraries = [...]) or run endnoted check PATH."
    return "\n".join(f"{item.library.path}\n  " + "; ".join(item.reasons) for item in found)


def bundle_written(path: Path) -> str:
    return (f"Support bundle written: {path}\nIt holds no e-mail addresses, account ids or author names; "
            "your home folder is shown as ~.")


def reset_run(library: Path, run: ResetRun | None) -> str:
    """Given the run waiting on a library (None: none), what `reset --status` says: the steps seen so far."""
    if run is None:
        return f"No reset is running for {library}."
    lines = [f"Reset of {library}: situation {run.situation}, waiting on step {run.step}."]
    lines += [f"  step {item['step']:>2}  {item['how']:<12} {item['detail']}" for item in run.observed]
    return "\n".join(lines)


def service_report(report: Any) -> str:
    """Given an install/uninstall report, the actions taken and the commands run."""
    lines = list(report.actions)
    for result in report.commands:
        mark = "ok" if result.returncode == 0 else f"exit {result.returncode}"
        lines.append(f"ran: {' '.join(result.command)}  ({mark})")
    return "\n".join(lines)


CONFIG_VALUE_WIDTH = 48   # wider values sit on their own lines, so the FROM column stays in line


def config_table(file: str, exists: bool, location: str, settings: Sequence[tuple[str, Sequence[str], str]],
                 folders: Sequence[tuple[str, Sequence[str], str]]) -> str:
    """Given the config file and each (name, value lines, where from), the `config` tables.

    A list shows one item a line; a value wider than CONFIG_VALUE_WIDTH goes on its own line below its
    name, indented under VALUE, so a long path never pushes the FROM column out of line.
    """
    state = "read" if exists else "not there: every setting has its default"
    name_width = max(len(name) for name, _, _ in [*settings, *folders])
    value_width = min(CONFIG_VALUE_WIDTH, max(len(line) for _, lines, _ in [*settings, *folders] for line in lines))
    indent = " " * (name_width + 2)
    lines = [f"Config file: {file} ({state}; location: {location})"]
    for title, value_title, rows in (("SETTING", "VALUE", settings), ("FOLDER", "PATH", folders)):
        lines += ["", f"{title.ljust(name_width)}  {value_title.ljust(value_width)}  FROM"]
        for name, values, where in rows:
            short = [line for line in values if len(line) <= value_width]
            if len(short) == len(values):
                lines.append(f"{name.ljust(name_width)}  {values[0].ljust(value_width)}  {where}")
                lines += [f"{indent}{line}" for line in values[1:]]
            else:   # at least one line too wide: the name and FROM on one line, every value below
                lines.append(f"{name.ljust(name_width)}  {''.ljust(value_width)}  {where}")
                lines += [f"{indent}{line}" for line in values]
    return "\n".join(line.rstrip() for line in lines)


def uninstall_plan(report: Any, *, here: bool) -> str:
    """Given an uninstall dry run, what uninstall would do; on this computer, first whether anything is installed."""
    commands = ["# would run: " + " ".join(command) for command in report.would_run or ()]
    if here and not report.installed:
        return "\n".join([f"# nothing is installed: {report.path} does not exist, so uninstall would remove nothing.",
                          "# if the service were installed, uninstall would stop and unregister it:",
                          *commands, f"# and remove {report.path}"])
    return "\n".join([*commands, *(f"# {action}" for action in report.actions)])


def service_state(report: Any) -> str:
    def word(value: bool | None) -> str:
        return "unknown" if value is None else "yes" if value else "no"

    pid = report.daemon_pid
    daemon = ("not running" if pid is None else f"running (pid {pid})" if report.running
              else f"running (pid {pid}, not as a service: endnoted run; it stops with its terminal or at logout)")
    return (f"installed: {word(report.installed)} ({report.path})\nenabled:   {word(report.enabled)}\n"
            f"running:   {word(report.running)}\ndaemon:    {daemon}")


# --- doctor, demo, service, window and other one-off lines -------------------------------------

_DOCTOR_LABEL = {"ok": "ok", "warning": "warning", "problem": "PROBLEM"}


def doctor(checks: Sequence[Check], holds: bool) -> str:
    """Given doctor's checks, one row each (and the fix under what does not hold), then the outcome."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{_DOCTOR_LABEL[check.status]:<8} {check.name:<{width}}  {check.detail}")
        if check.fix and check.status != "ok":
            lines.append(f"{'':<8} {'':<{width}}  fix: {check.fix}")
    lines.append("All checks hold." if holds else "Something needs fixing (see PROBLEM above).")
    return "\n".join(lines)


def skipped_compressed(count: int, folder: Path) -> str:
    """What `check FOLDER` says of the .enlx files its search passed over."""
    return (f"Note: skipped {plural(count, 'compressed library', 'compressed libraries')} (.enlx) in {folder}: "
            "name one to check it.")


def demo(enl: Path, checked: str, commands: Sequence[tuple[str, str]]) -> str:
    """Given the demo library, its check as `check` prints it and the commands to try, what `demo` says."""
    width = max(len(command) for command, _ in commands)
    return "\n".join([f"Built a demo EndNote library at {enl}\n(last synced 3 days ago; some references never "
                      "reached EndNote Web). Checking it, exactly as the check command checks yours:\n",
                      checked, f"\nThe demo library stays at {enl.parent}. Try:",
                      *(f"  {command.ljust(width)}   {what}" for command, what in commands),
                      "\nOn your own libraries: endnoted check ~/Documents   (exit codes: README)"])


def demo_removed(removed: Path | None) -> str:
    return f"Removed the demo library at {removed}." if removed else "No demo library to remove."


def service_plan(planned: Any, other_platform: bool) -> str:
    """Given a dry run's plan, the file it would write (in full) and the commands it would run, as comments."""
    lines = ["# for another platform: replace the <PLACEHOLDERS> with that machine's values"] if other_platform else []
    lines += [f"# would write {planned.path}", planned.content]
    lines += ["# would run: " + " ".join(command) for command in planned.would_run or ()]
    return "\n".join(lines)


SERVICE_INSTALLED = "endnoted now runs in the background and alerts you when a library needs attention."


def window_opening(url: str, browser: bool) -> str:
    """What `open` says while its window serves: where, and when it stops."""
    first = (f"Opening endnoted's window in your browser. If nothing opens, visit {url}" if browser
             else f"endnoted's window is at {url}")
    return first + "\nIt stops after 30 minutes without use or when you press Close on the page (Ctrl-C stops it here)."


def window_stopped(why: str) -> str:
    return f"endnoted's window stopped: {why}."


def reset_abandoned(ended: ResetRun | None, library: Path) -> str:
    if ended is None:
        return f"No reset is running for {library}."
    if not ended.backup:
        return "Reset abandoned; no backup had been made."
    return f"Reset abandoned; its backup stays: {ended.backup.splitlines()[-1]}"


def manpages_written(count: int, folder: Path) -> str:
    return f"Wrote {plural(count, 'man page')} to {folder}."
