"""`check`, `compare` and `demo`: one pass over libraries now, and Desktop against a Web export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from endnoted.cli import render
from endnoted.cli.app import _config, _locate_all, cli, emit_json, json_option, path_type, verbosity
from endnoted.common.errors import EndnotedError, ExitStatus, ExportError, LibraryNotFound, UsageError

# Function-local imports below are on purpose: each command imports the core it runs inside its
# body, so one run loads only its own stages (start-up time of `status` and `--help`, issue 16;
# benchmarks/bench_startup.py measures it).


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=path_type())
@click.option("--export", "export", type=path_type(),
              help="A Web export (EndNote XML, RIS or tab-delimited) to compare with the library.")
@click.option("--stale-after", type=click.FloatRange(0), metavar="HOURS",
              help="How old the last sync may be while changes wait (default from config: 24).")
@json_option
@click.option("-a", "--all-findings", is_flag=True, help="Show informational findings too.")
def check(paths: tuple[Path, ...], export: Path | None, stale_after: float | None, as_json: bool,
          all_findings: bool) -> None:
    """Check EndNote libraries once, now (no daemon needed).

    PATHS are .enl files, .Data folders, .enlx compressed libraries, or folders holding libraries
    (searched down to 4 levels of sub-folders). A path without a library, or a library moved away
    while it is read, is a warning while the others are still checked; exit 2 only if none is left.
    Exit 0: all in-sync, pending or not-synced; 3: stale or unknown; 4: diverged or damaged.

    \b
    Example:
      endnoted check ~/Documents
      endnoted check "My EndNote Library.enl" --json
    """
    from endnoted.judging.checker import check_libraries
    from endnoted.judging.findings import exit_status
    from endnoted.reading import prefs
    from endnoted.reading.library import find

    settings = _config()
    found: dict[Path, Any] = {}
    for path in paths:
        try:
            named = find(path)
        except LibraryNotFound as error:
            if len(paths) == 1:
                raise
            click.echo(f"Warning: {error}", err=True)   # the other paths are still checked
            continue
        found.update((library.path, library) for library in named.libraries)
        if (skipped := named.compressed) and verbosity() > render.QUIET:   # -q: the verdict lines only
            # A folder search leaves .enlx files out (mostly backups); say so rather than pass over them silently.
            click.echo(render.skipped_compressed(len(skipped), path), err=True)
    if not found:
        raise LibraryNotFound("no EndNote library in any of the paths given")
    libraries = list(found.values())
    if export is not None and not export.is_file():
        raise ExportError(f"export {export} is not a regular file (a FIFO, a device or a folder); name the export file"
                          if export.exists() else f"no export file at {export}")

    def went_away(error: EndnotedError) -> None:   # as a path without a library: the others are still checked
        click.echo(f"Warning: {error}", err=True)

    sync_pref = prefs.read().sync_library
    hours = stale_after if stale_after is not None else settings.stale_after_hours
    results = check_libraries(libraries, stale_after_seconds=hours * 3600, export=export, sync_library_pref=sync_pref,
                              vanished=went_away if len(libraries) > 1 else None)
    if as_json:
        emit_json({"schema": 1, "libraries": [item.to_json() for item in results]})
    else:
        click.echo(render.reports(results, verbosity=verbosity(), all_findings=all_findings))
    sys.exit(exit_status(item.verdict.state for item in results))


@cli.command()
@click.argument("library", type=path_type())
@click.argument("other", metavar="EXPORT_OR_LIBRARY", type=path_type())
@json_option
@click.option("--limit", default=50, show_default=True, help="How many references to list per section.")
@click.option("--force", is_flag=True, help="Compare even when the other side does not look like this library's.")
def compare(library: Path, other: Path, as_json: bool, limit: int, force: bool) -> None:
    """Compare a Desktop library with a Web export, or with a second library, reference by reference.

    The other side is an export saved on EndNote Web (All My References, Format → Export References,
    XML or RIS), or a library freshly synced from EndNote Web (a .enl, .Data folder or .enlx).
    An export of another library is refused (exit 2) unless --force is given.
    Exit 0: nothing missing; 3: only duplicates differ; 4: references missing on either side.

    \b
    Example:
      endnoted compare "My EndNote Library.enl" ~/Downloads/export.xml
      endnoted compare "My EndNote Library.enl" "From the Web.enl"
    """
    from endnoted.judging.compare import compare as run_compare
    from endnoted.judging.compare import compare_library
    from endnoted.reading import snapshot as snapshots
    from endnoted.reading.library import is_library_path

    libraries = _locate_all([library])
    if len(libraries) != 1:
        raise UsageError(f"{library} holds {len(libraries)} libraries; name one .enl")
    if not other.exists():
        raise ExportError(f"no export file or library at {other}")
    snap = snapshots.take(libraries[0], integrity=False)
    if not snap.ok:
        raise EndnotedError(f"cannot compare: {snap.problem}")
    if is_library_path(other):
        others = _locate_all([other])
        if len(others) != 1:
            raise UsageError(f"{other} holds {len(others)} libraries; name one .enl")
        other_snap = snapshots.take(others[0], integrity=False)
        if not other_snap.ok:
            raise EndnotedError(f"cannot compare: {other_snap.problem}")
        result = compare_library(snap, other_snap)
    elif not other.is_file():
        raise ExportError(f"{other} is a folder without an EndNote library; give an export file or a library"
                          if other.is_dir() else f"export {other} is not a regular file (a FIFO or a device); "
                          "name the export file")
    else:
        result = run_compare(snap, other)
    if not result.belongs and not force:
        what = "library" if result.format == "library" else "export"
        raise UsageError(f"this {what} does not look like it came from {libraries[0].path.name}: {result.trust}; "
                         "pass --force to compare anyway")
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo(render.comparison(result, limit=limit))
    if result.anything_missing:
        sys.exit(ExitStatus.DIVERGED)
    sys.exit(ExitStatus.ATTENTION if result.duplicates_web or result.duplicates_desktop else ExitStatus.SUCCESS)


def _demo_commands(enl: Path, keep: Path | None) -> list[tuple[str, str]]:
    """The commands the demo suggests, each with what it shows; a test runs every one of them."""
    where = f' --keep "{keep}"' if keep is not None else ""
    return [
        (f'endnoted check "{enl}"', "the same check again"),
        (f'endnoted backup "{enl}"', "a proven .enlx backup of it"),
        (f'endnoted reset "{enl}"', "the guided repair; it asks before every step, q stops"),
        (f"endnoted demo --clean{where}", "removes the demo library"),
    ]


@cli.command(short_help="Build a demo library with a sync problem, check it, and keep it to try commands on.")
@click.option("--keep", type=path_type(), metavar="DIR",
              help="Build (or with --clean, remove) the demo library in DIR instead of endnoted's data folder.")
@click.option("--clean", is_flag=True, help="Remove the demo library instead of building it.")
@json_option
def demo(keep: Path | None, clean: bool, as_json: bool) -> None:
    """Build a small EndNote library with a realistic sync problem, check it, and keep it.

    Nothing of yours is touched: the library is made in endnoted's data folder (or --keep DIR) and
    stays there, so that the commands the demo suggests work on it; --clean removes it again.

    \b
    Example:
      endnoted demo
      endnoted demo --clean
    """
    from endnoted.demo.sample import clean_demo, make_demo
    from endnoted.judging.checker import check_library
    from endnoted.reading.library import locate

    if clean:
        removed = clean_demo(keep)
        if as_json:
            emit_json({"schema": 1, "removed": str(removed) if removed else None})
        else:
            click.echo(render.demo_removed(removed))
        return
    enl = make_demo(keep)
    result = check_library(locate(enl)[0])
    commands = _demo_commands(enl, keep)
    if as_json:
        emit_json({"schema": 1, "libraries": [result.to_json()], "library": str(enl),
                   "commands": [command for command, _ in commands]})
        return
    click.echo(render.demo(enl, render.reports([result], all_findings=True), commands))
