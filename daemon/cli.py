"""The command line: a thin click shell over the core. The only module that imports click.

Every expected failure is an EndnotedError and becomes one line on stderr with its exit status
here, in `_Group.invoke`; nothing below this module prints or exits.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from endnoted import __version__
from endnoted.errors import EndnotedError, ExitStatus

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("endnoted")


class _Group(click.Group):
    """Turn our expected errors into one clean line and the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EndnotedError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_status)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(ExitStatus.INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as error:  # a bug: say so in one line unless asked for the traceback
            if os.environ.get("ENDNOTED_DEBUG"):
                raise
            click.echo(f"Error: endnoted failed unexpectedly ({type(error).__name__}: {error}); "
                       "run again with ENDNOTED_DEBUG=1 for details and report it.", err=True)
            ctx.exit(ExitStatus.ERROR)


def _setup_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(max(-1, min(verbosity, 2)), logging.DEBUG)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable shape with a schema number).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="endnoted")
@click.option("-v", "--verbose", count=True, help="More detail (repeat for debug logs).")
@click.option("-q", "--quiet", count=True, help="Less output.")
def cli(verbose: int, quiet: int) -> None:
    """endnoted: is your EndNote library still in sync with EndNote Web?

    It reads libraries read-only, tells you the sync state (in-sync, pending, stale, diverged,
    damaged, not-synced, unknown) and walks you through the repair with a proven backup first.
    """
    _setup_logging(verbose - quiet)


def _config() -> Any:
    from endnoted import config
    return config.load()


def _locate_all(paths: Sequence[Path]) -> list[Any]:
    from endnoted.library import locate
    found: dict[Path, Any] = {}
    for path in paths:
        for library in locate(path):
            found.setdefault(library.path, library)
    return list(found.values())


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--export", "export", type=click.Path(path_type=Path),
              help="A Web export (EndNote XML, RIS or tab-delimited) to compare with the library.")
@click.option("--stale-after", type=click.FloatRange(0), metavar="HOURS",
              help="How old the last sync may be while changes wait (default from config: 24).")
@json_option
@click.option("-a", "--all-findings", is_flag=True, help="Show informational findings too.")
def check(paths: tuple[Path, ...], export: Path | None, stale_after: float | None, as_json: bool,
          all_findings: bool) -> None:
    """Check EndNote libraries once, now (no daemon needed).

    PATHS are .enl files, .Data folders, .enlx compressed libraries, or folders holding libraries.
    Exit 0: all in-sync, pending or not-synced; 3: stale or unknown; 4: diverged or damaged.
    """
    from endnoted import prefs
    from endnoted.checker import check_library, exit_status
    from endnoted.errors import ExportError
    from endnoted.render import reports

    settings = _config()
    libraries = _locate_all(paths)
    if export is not None and not export.is_file():
        raise ExportError(f"no export file at {export}")
    sync_pref = prefs.read().sync_library
    hours = stale_after if stale_after is not None else settings.stale_after_hours
    results = [check_library(library, stale_after_seconds=hours * 3600, export=export, sync_library_pref=sync_pref)
               for library in libraries]
    if as_json:
        emit_json({"schema": 1, "libraries": [item.to_json() for item in results]})
    else:
        click.echo(reports(results, verbose=all_findings))
    sys.exit(exit_status(item.verdict.state for item in results))


@cli.command()
@click.argument("library", type=click.Path(path_type=Path))
@click.argument("export", type=click.Path(path_type=Path))
@json_option
@click.option("--limit", default=50, show_default=True, help="How many references to list per section.")
def compare(library: Path, export: Path, as_json: bool, limit: int) -> None:
    """Compare a Desktop library with a Web export: what is missing or doubled on each side.

    Save the export on EndNote Web (All My References, Format → Export References, XML or RIS).
    Exit 0: nothing missing; 3: only duplicates differ; 4: references missing on either side.
    """
    from endnoted import snapshot as snapshots
    from endnoted.compare import compare as run_compare
    from endnoted.errors import ExportError, UsageError
    from endnoted.render import comparison

    libraries = _locate_all([library])
    if len(libraries) != 1:
        raise UsageError(f"{library} holds {len(libraries)} libraries; name one .enl")
    if not export.is_file():
        raise ExportError(f"no export file at {export}")
    snap = snapshots.take(libraries[0], integrity=False)
    if not snap.ok:
        raise EndnotedError(f"cannot compare: {snap.problem}")
    result = run_compare(snap, export)
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo(comparison(result, limit=limit))
    if result.anything_missing:
        sys.exit(ExitStatus.DIVERGED)
    sys.exit(ExitStatus.ATTENTION if result.duplicates_web or result.duplicates_desktop else ExitStatus.SUCCESS)


@cli.command()
@click.option("--keep", type=click.Path(path_type=Path), help="Build the demo library in this folder and keep it.")
@json_option
def demo(keep: Path | None, as_json: bool) -> None:
    """Build a small EndNote library with a realistic sync problem and check it.

    Nothing of yours is touched: the library is made in a temporary folder (or --keep DIR).
    """
    from endnoted.checker import check_library
    from endnoted.demo import build_demo
    from endnoted.library import locate
    from endnoted.render import reports

    with tempfile.TemporaryDirectory(prefix="endnoted-demo-") as scratch:
        folder = keep or Path(scratch)
        enl = build_demo(folder)
        result = check_library(locate(enl)[0])
        if as_json:
            emit_json({"schema": 1, "libraries": [result.to_json()]})
            return
        click.echo(f"Built a demo EndNote library at {enl}\n(last synced 3 days ago; some references never "
                   "reached EndNote Web). Checking it, exactly as `endnoted check` would:\n")
        click.echo(reports([result], verbose=True))
        click.echo("\nOn your own libraries: endnoted check ~/Documents   (exit codes: README)")


def main() -> None:
    cli(prog_name="endnoted")
