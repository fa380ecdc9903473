"""The command line: a thin click shell over the core. The only module that imports click.

Every expected failure is an EndnotedError and becomes one line on stderr with its exit status
here, in `_Group.invoke`; nothing below this module prints or exits.
"""

from __future__ import annotations

import contextlib
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
from endnoted.common.errors import EndnotedError, ExitStatus

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
        except BrokenPipeError:
            # The reader (`| head`) has had enough: stop quietly, and keep Python from complaining
            # about the closed pipe when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(ExitStatus.SUCCESS)
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
    # APScheduler logs every job run at INFO; our own log already says what happened.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


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
    from endnoted.common import config
    return config.load()


def _locate_all(paths: Sequence[Path]) -> list[Any]:
    from endnoted.reading.library import locate
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
    from endnoted.cli.render import reports
    from endnoted.common.errors import ExportError
    from endnoted.judging.checker import check_library, exit_status
    from endnoted.reading import prefs

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
    from endnoted.cli.render import comparison
    from endnoted.common.errors import ExportError, UsageError
    from endnoted.judging.compare import compare as run_compare
    from endnoted.reading import snapshot as snapshots

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
    from endnoted.cli.render import reports
    from endnoted.demo.sample import build_demo
    from endnoted.judging.checker import check_library
    from endnoted.reading.library import locate

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


def _store() -> Any:
    from endnoted.common import paths
    from endnoted.state.store import Store
    return Store(paths.state_db())


def _one_library(path: Path) -> Any:
    from endnoted.common.errors import UsageError
    libraries = _locate_all([path])
    if len(libraries) != 1:
        raise UsageError(f"{path} holds {len(libraries)} libraries; name one .enl")
    return libraries[0]


def _progress_bar(enabled: bool) -> Any:
    """A click progress bar on a terminal; a no-op object otherwise (and with --json)."""
    class Quiet:
        def update(self, amount: int) -> None:
            pass

        length = 0

    if not enabled or not sys.stderr.isatty():
        return Quiet()
    return click.progressbar(length=1, label="Backing up", file=sys.stderr, show_eta=True)


@cli.command()
@click.argument("library", type=click.Path(path_type=Path))
@click.option("--to", "folder", type=click.Path(path_type=Path), help="Folder for the backup (default: config).")
@click.option("--no-attachments", is_flag=True, help="Leave attached files out (the database only).")
@click.option("--folder", "as_folder", is_flag=True,
              help="A plain folder copy (Name.enl + Name.Data) instead of a .enlx; for libraries over 4 GB.")
@json_option
def backup(library: Path, folder: Path | None, no_attachments: bool, as_folder: bool, as_json: bool) -> None:
    """Make a proven backup: a .enlx EndNote can open (File → Open → Compressed Library).

    Written under a temporary name, proven (CRCs, SQLite structure, same counts, every attachment
    present), then renamed. A backup that fails a check is deleted; nothing is ever overwritten.
    """
    from endnoted.repair.backup import make_backup

    settings = _config()
    target = _one_library(library)
    bar = _progress_bar(not as_json)

    def total(amount: int) -> None:
        bar.length = amount

    with bar if hasattr(bar, "__enter__") else contextlib.nullcontext():
        result = make_backup(target, folder or settings.backups_dir, attachments=not no_attachments,
                             as_folder=as_folder, progress=bar.update, total=total)
    with _store() as store:
        store.record_backup({"path": str(result.path), "library": str(target.path), "made_at": _utc_now(),
                             "size": result.size, "sha256": result.sha256, "references": result.counts.references,
                             "trashed": result.counts.trashed, "attachments": result.counts.attachments,
                             "kind": result.kind, "warnings": "\n".join(result.warnings)})
    if as_json:
        emit_json({"schema": 1, "backup": result.to_json()})
        return
    click.echo(f"Backup proven and saved: {result.path}")
    click.echo(f"  {result.counts.references} references, {result.counts.trashed} in trash, "
               f"{result.attachment_files} attachment files, {result.size / 1e6:.1f} MB, {result.seconds:.1f} s")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")
    if result.retries:
        click.echo(f"  (EndNote was writing: the database copy was retried {result.retries} times)")


def _utc_now() -> str:
    from datetime import UTC, datetime
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@cli.command()
@click.argument("archive", type=click.Path(path_type=Path))
@json_option
def verify(archive: Path, as_json: bool) -> None:
    """Prove any .enlx (ours or EndNote's): CRCs, safe member names, database structure and counts.

    Exit 0 when it proves itself, 4 when it does not.
    """
    from endnoted.reading.enlx import prove

    proof = prove(archive)
    if as_json:
        emit_json({"schema": 1, "verified": True, **proof.to_json()})
        return
    if proof.counts is None:
        click.echo(f"{archive}: an X-era compressed library; all {proof.members} members read back intact.")
    else:
        click.echo(f"{archive}: proven. {proof.counts.references} references, {proof.counts.trashed} in trash, "
                   f"{len(proof.attachments)} attachment files, {proof.members} members intact.")


@cli.command("backups")
@click.argument("library", required=False, type=click.Path(path_type=Path))
@json_option
def list_backups(library: Path | None, as_json: bool) -> None:
    """List recorded backups (all, or one library's) and whether each still proves itself."""
    from endnoted.common.errors import ArchiveRejected
    from endnoted.reading.enlx import prove

    key = str(_one_library(library).path) if library else None
    with _store() as store:
        rows = store.backups(key)
        results = []
        for row in rows:
            path = Path(row["path"])
            if row["kind"] == "folder":
                ok, why = path.is_dir(), "" if path.is_dir() else "folder is gone"
            else:
                try:
                    proof = prove(path)
                    ok = proof.counts is not None and proof.counts.references == row["references"]
                    why = "" if ok else "its counts changed"
                except ArchiveRejected as error:
                    ok, why = False, str(error)
            if ok:
                store.mark_backup_verified(row["id"])
            results.append({**row, "verifies": ok, "problem": why})
    if as_json:
        emit_json({"schema": 1, "backups": results})
        return
    if not results:
        click.echo("No backups recorded yet. Make one with: endnoted backup LIBRARY")
    for item in results:
        state = "proven" if item["verifies"] else f"FAILS: {item['problem']}"
        click.echo(f"{item['made_at'][:19]}  {item['references']:>6} refs  {state:<8}  {item['path']}")
    if any(not item["verifies"] for item in results):
        sys.exit(ExitStatus.DIVERGED)


@cli.command()
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--to", "folder", required=True, type=click.Path(path_type=Path), help="Folder to restore into.")
@click.option("--name", help="Name of the new library (default: the backup's file name).")
@json_option
def restore(archive: Path, folder: Path, name: str | None, as_json: bool) -> None:
    """Make a new library (NAME.enl + NAME.Data) from a .enlx, proven after writing.

    Never writes over an existing library; refuses archives with unsafe members or zip bombs.
    """
    from endnoted.repair.restore import restore as run_restore

    result = run_restore(archive, folder, name)
    if as_json:
        emit_json({"schema": 1, **result.to_json()})
        return
    click.echo(f"Restored and proven: {result.enl} ({result.counts.references} references, "
               f"{result.attachment_files} attachment files). Open it in EndNote with File → Open Library.")


@cli.command("run")
@click.argument("libraries", nargs=-1, type=click.Path(path_type=Path))
@click.option("--metrics-file", type=click.Path(path_type=Path),
              help="Also write a Prometheus node_exporter text-file here (default: metrics_file in the config).")
@click.option("--no-scan", is_flag=True, help="Do not scan Documents, Desktop and home for libraries.")
def run_daemon(libraries: tuple[Path, ...], metrics_file: Path | None, no_scan: bool) -> None:
    """Run the daemon in the foreground (the service manager keeps it running).

    LIBRARIES are watched in addition to the discovered ones. SIGTERM or Ctrl-C stops it cleanly.
    """
    import signal
    import threading

    from endnoted.running.notify import NullNotifier, best_notifier
    from endnoted.running.runner import Daemon

    settings = _config()
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        logger.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    if not logging.getLogger().isEnabledFor(logging.INFO):
        logging.getLogger().setLevel(logging.INFO)  # a service's log says what it did
    notifier = best_notifier() if settings.notifications else NullNotifier()
    Daemon(settings, notifier, extra=libraries, metrics_file=metrics_file, scan=not no_scan).run(stop)


@cli.command()
@click.argument("library", required=False, type=click.Path(path_type=Path))
@json_option
def status(library: Path | None, as_json: bool) -> None:
    """Show what the daemon knows: each library's verdict, reason and next action, and the daemon's health.

    Exit codes as check while the daemon runs; 5 whenever it is not running (the state shown is old).
    """
    from endnoted.common import paths
    from endnoted.judging.checker import exit_status
    from endnoted.judging.verdict import State
    from endnoted.state.status import status_data
    from endnoted.state.store import Store

    key = str(_one_library(library).path) if library else None
    if not paths.state_db().exists():
        data = status_data(None, key)
    else:
        with Store(paths.state_db(), readonly=True) as store:
            data = status_data(store, key)
    if as_json:
        emit_json(data)
    else:
        click.echo(_render_status(data))
    if not data["daemon"]["running"]:
        sys.exit(ExitStatus.NOT_RUNNING)
    sys.exit(exit_status(State(item["verdict"]) for item in data["libraries"]))


def _render_status(data: dict[str, Any]) -> str:
    daemon = data["daemon"]
    if daemon["running"]:
        lines = [f"endnoted {daemon['version']} is running (pid {daemon['pid']}, last heartbeat "
                 f"{daemon['last_heartbeat'][:19]}Z)."]
    else:
        lines = [f"endnoted is NOT running: {daemon['why']}. The state below is the last one known. "
                 "Start it with: endnoted service install (or endnoted run)."]
    endnote = data["endnote"]
    if endnote["running"]:
        opened = ", ".join(lib for p in endnote["processes"] for lib in p["open_libraries"]) or "no library known"
        lines.append(f"EndNote is running ({opened}).")
    if not data["libraries"]:
        lines.append("No library checked yet.")
    for item in data["libraries"]:
        sync = item.get("sync") or {}
        counts = item.get("counts") or {}
        lines += ["", f"{item['verdict']:<10} {item['path']}", f"  {item['reason']}", f"  next: {item['next_action']}",
                  f"  last checked {item['last_checked'][:19]}Z; last synced {(sync.get('last_sync') or 'never')[:19]}; "
                  f"{counts.get('references', '?')} references, {counts.get('trashed', '?')} in trash"]
    return "\n".join(lines)


@cli.command("libraries")
@json_option
@click.option("--no-scan", is_flag=True, help="Only the config and EndNote's preferences, no folder scan.")
def list_libraries(as_json: bool, no_scan: bool) -> None:
    """List the libraries endnoted would watch, and why each was found."""
    from endnoted.reading.discovery import discover

    found = discover(_config(), scan=not no_scan)
    if as_json:
        emit_json({"schema": 1, "libraries": [item.to_json() for item in found]})
        return
    if not found:
        click.echo("No EndNote library found. Name one in the config (libraries = [...]) or run endnoted check PATH.")
    for item in found:
        click.echo(f"{item.library.path}\n  " + "; ".join(item.reasons))


@cli.command()
@click.argument("library", required=False, type=click.Path(path_type=Path))
@json_option
def history(library: Path | None, as_json: bool) -> None:
    """The timeline: syncs (USN and pending before/after), verdict changes, drops in references, alerts."""
    from endnoted.common import paths
    from endnoted.state.history import timeline
    from endnoted.state.store import Store

    key = str(_one_library(library).path) if library else None
    entries: list[dict[str, Any]] = []
    if paths.state_db().exists():
        with Store(paths.state_db(), readonly=True) as store:
            entries = timeline(store, key)
    if as_json:
        emit_json({"schema": 1, "library": key, "timeline": entries})
        return
    if not entries:
        click.echo("Nothing recorded yet: the daemon records history while it runs.")
    for entry in entries:
        click.echo(f"{entry['at'][:19]}  {entry['kind']:<18} {entry['detail']}  ({Path(entry['path']).name})")


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Where to write the bundle (.zip).")
def report(output: Path | None) -> None:
    """Write a support bundle (zip) for a help desk, with personal data redacted."""
    from endnoted.support.supportbundle import write_bundle

    path = write_bundle(output)
    click.echo(f"Support bundle written: {path}\nIt holds no e-mail addresses, account ids or author names; "
               "your home folder is shown as ~.")


class _TerminalConsole:
    """The wizard's console: click for output, stdin for answers, and never a hang on a silent stdin."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def say(self, text: str = "") -> None:
        click.echo(text)

    def ask(self, question: str) -> str:
        from endnoted.common.errors import WizardStopped
        click.echo(question + " ", nl=False)
        stream = sys.stdin  # CliRunner and pipes replace it; click.get_text_stream is untyped here
        if not stream.isatty() and hasattr(stream, "fileno") and os.name == "posix":
            import select
            try:
                ready, _, _ = select.select([stream], [], [], self.timeout)
            except (ValueError, OSError):  # io.UnsupportedOperation (no fileno) is both
                ready = [stream]
            if not ready:
                click.echo()
                raise WizardStopped(f"no answer on stdin within {self.timeout:.0f} s; the run keeps its place: "
                                    "run endnoted reset in a terminal to go on")
        line = stream.readline()
        if not line:
            click.echo()
            raise WizardStopped("endnoted reset needs your answers, but stdin is closed or not a terminal; the run "
                                "keeps its place: run endnoted reset in a terminal to go on")
        return str(line).rstrip("\n")


@cli.command()
@click.argument("library", required=False, type=click.Path(path_type=Path))
@click.option("--situation", type=click.Choice(["desktop-right", "new-library", "web-right"]),
              help="Which copy is right (otherwise the wizard asks).")
@click.option("--new-library", type=click.Path(path_type=Path),
              help="With --situation new-library: the library that should become the synced one.")
@click.option("--backup-dir", type=click.Path(path_type=Path), help="Where step 0 writes its backup.")
@click.option("--export", "export", type=click.Path(path_type=Path),
              help="A fresh Web export, to show what the Web holds that this library lacks.")
@click.option("--status", "show_status", is_flag=True, help="Show the run waiting on this library and exit.")
@click.option("--abandon", is_flag=True, help="End the current run (its backup stays).")
@json_option
def reset(library: Path | None, situation: str | None, new_library: Path | None, backup_dir: Path | None,
          export: Path | None, show_status: bool, abandon: bool, as_json: bool) -> None:
    """Guide the reset of EndNote's local sync, one step at a time, with a proven backup first.

    Resumable: run it again to continue where it stopped, across EndNote restarts and reboots.
    Exit 0 when done (or nothing to do), 1 when no proven backup could be made, 3 when it stopped
    before the end (no answer, or a step not done yet).
    """
    from endnoted.common.errors import UsageError
    from endnoted.repair import reset as wizard

    settings = _config()
    with _store() as store:
        target = _one_library(library) if library else _reset_library(store)
        if show_status:
            data = wizard.run_status(store, target.path)
            if as_json:
                emit_json(data)
            elif data["step"] is None:
                click.echo(f"No reset is running for {target.path}.")
            else:
                click.echo(f"Reset of {target.path}: situation {data['situation']}, waiting on step {data['step']}.")
                for item in data["observed"]:
                    click.echo(f"  step {item['step']:>2}  {item['how']:<12} {item['detail']}")
            return
        if abandon:
            ended = wizard.abandon(store, target.path)
            click.echo("Reset abandoned; its backup stays." if ended else f"No reset is running for {target.path}.")
            return
        if new_library is not None and situation not in (None, "new-library"):
            raise UsageError("--new-library goes with --situation new-library")
        timeout = float(os.environ.get("ENDNOTED_ANSWER_TIMEOUT", "600"))
        run = wizard.ResetWizard(store, target, _TerminalConsole(timeout),
                                 backup_dir=backup_dir or settings.backups_dir,
                                 export_folders=tuple(settings.export_folders), situation=situation,
                                 new_library=new_library, export=export)
        status_code = run.start()
    sys.exit(status_code)


def _reset_library(store: Any) -> Any:
    """With no LIBRARY: the one library with a reset waiting, or the one the daemon calls diverged."""
    from endnoted.common.errors import UsageError
    from endnoted.reading.library import locate
    waiting = [row["library"] for row in store.db.query("SELECT library FROM reset_runs WHERE ended_at IS NULL")] \
        if store.db["reset_runs"].exists() else []
    candidates = waiting or [row["path"] for row in store.libraries() if row["verdict"] in ("diverged", "damaged")]
    if len(set(candidates)) != 1:
        raise UsageError("name the library to reset: endnoted reset \"PATH/TO/Library.enl\"")
    return locate(Path(candidates[0]))[0]


@cli.group()
def service() -> None:
    """Run endnoted at login as a per-user service (systemd user unit, launchd agent, Windows logon task)."""


platform_option = click.option("--platform", "platform", type=click.Choice(["linux", "macos", "windows"]),
                               help="Render for another platform (for tests and help desks).")


def _service_report(report: Any, as_json: bool) -> None:
    if as_json:
        emit_json({"schema": 1, **report.to_json()})
        return
    for action in report.actions:
        click.echo(action)
    for result in report.commands:
        mark = "ok" if result.returncode == 0 else f"exit {result.returncode}"
        click.echo(f"ran: {' '.join(result.command)}  ({mark})")


@service.command("install")
@platform_option
@click.option("--dry-run", is_flag=True, help="Print the file and the commands; change nothing.")
@json_option
def service_install(platform: str | None, dry_run: bool, as_json: bool) -> None:
    """Install and start the service for this user (idempotent)."""
    from endnoted.support import autostart
    target = platform or autostart.current_platform()
    home = Path(os.environ.get("HOME") or Path.home())
    if dry_run:
        rendered = autostart.render(target, home=home)
        click.echo(f"# would write {rendered.path}")
        click.echo(rendered.content.decode("utf-16" if target == "windows" else "utf-8"))
        for command in rendered.install:
            click.echo("# would run: " + " ".join(command))
        return
    report = autostart.install(target, home=home)
    _service_report(report, as_json)
    if not as_json:
        click.echo("endnoted now runs in the background and alerts you when a library needs attention.")


@service.command("uninstall")
@platform_option
@click.option("--dry-run", is_flag=True, help="Print the commands; change nothing.")
@json_option
def service_uninstall(platform: str | None, dry_run: bool, as_json: bool) -> None:
    """Stop the service and remove exactly what install wrote."""
    from endnoted.support import autostart
    target = platform or autostart.current_platform()
    home = Path(os.environ.get("HOME") or Path.home())
    if dry_run:
        rendered = autostart.render(target, home=home)
        for command in rendered.uninstall:
            click.echo("# would run: " + " ".join(command))
        click.echo(f"# would remove {rendered.path}")
        return
    _service_report(autostart.uninstall(target, home=home), as_json)


@service.command("status")
@platform_option
@json_option
def service_status(platform: str | None, as_json: bool) -> None:
    """Say whether the service is installed, enabled and running."""
    from endnoted.support import autostart
    report = autostart.status(platform or autostart.current_platform(), home=Path(os.environ.get("HOME") or Path.home()))
    if as_json:
        emit_json({"schema": 1, **report.to_json()})
        return

    def word(value: bool | None) -> str:
        return "unknown" if value is None else "yes" if value else "no"

    click.echo(f"installed: {word(report.installed)} ({report.path})\nenabled:   {word(report.enabled)}\n"
               f"running:   {word(report.running)}")


def main() -> None:
    cli(prog_name="endnoted")
