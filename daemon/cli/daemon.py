"""`run`, `status`, `libraries`, `history` and `report`: the daemon and what it knows."""

from __future__ import annotations

import functools
import signal
import sys
import threading
from pathlib import Path

import click

from endnoted.cli import quick, render
from endnoted.cli.app import _config, _one_library, cli, emit_json, json_option, logger, path_type, verbosity
from endnoted.common.errors import AlreadyRunning, EndnotedError, ExitStatus, NotWatched
from endnoted.state.status import from_view

# Function-local imports below are on purpose: each command imports the core it runs inside its
# body, so one run loads only its own stages (start-up time of `status` and `--help`, issue 16;
# benchmarks/bench_startup.py measures it).


@cli.command("run")
@click.argument("libraries", nargs=-1, type=path_type())
@click.option("--metrics-file", type=path_type(),
              help="Also write a Prometheus node_exporter text-file here (default: metrics_file in the config).")
@click.option("--no-scan", is_flag=True, help="Do not scan Documents, Desktop and home for libraries.")
def run_daemon(libraries: tuple[Path, ...], metrics_file: Path | None, no_scan: bool) -> None:
    """Run the daemon in the foreground (the service manager keeps it running).

    LIBRARIES are watched in addition to the discovered ones. SIGTERM or Ctrl-C stops it cleanly.

    \b
    Example:
      endnoted run
      endnoted run --no-scan "My EndNote Library.enl"
    """

    from endnoted.cli.app import _setup_logging
    from endnoted.running import launcher
    from endnoted.running.notify import NullNotifier, choose
    from endnoted.running.runner import Daemon

    root = click.get_current_context().find_root().params
    _setup_logging(root.get("verbose", 0) - root.get("quiet", 0), daemon=True)
    settings = _config()
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        logger.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    notifier = choose() if settings.notifications else NullNotifier()

    def tell(title: str, body: str) -> None:
        notifier.send(title, body)

    if hasattr(notifier, "launcher"):   # the Repair… button: the browser page, or a terminal (config: repair)
        notifier.launcher = functools.partial(launcher.open_repair, mode=_repair_mode(settings.repair), tell=tell)
    try:
        Daemon(settings, notifier, extra=libraries, metrics_file=metrics_file, scan=not no_scan).run(stop)
    except AlreadyRunning as error:
        # Not a failure: the one daemon we want is running. Exit 0 so launchd's KeepAlive (restart
        # on a failed exit) and systemd's Restart=on-failure do not start us again every 30 s.
        click.echo(f"{error.args[0].split(';')[0]}; nothing to do.", err=True)
        sys.exit(ExitStatus.SUCCESS)


def _repair_mode(configured: str) -> str:
    """The page needs `endnoted open`; in a build without it, the button opens the terminal wizard instead."""
    if configured == "page" and "open" not in cli.commands:
        logger.info("endnoted open is not available here: the Repair… button opens the terminal wizard")
        return "terminal"
    return configured


@cli.command()
@click.argument("library", required=False, type=path_type())
@json_option
def status(library: Path | None, as_json: bool) -> None:
    """Show what the daemon knows: each library's verdict, reason and next action, and the daemon's health.

    Also says whether alerts can reach you and which reset is under way.
    Exit codes as check while the daemon runs; 5 whenever it is not running (the state shown is old).

    \b
    Example:
      endnoted status
      endnoted status --json
    """
    key = str(_one_library(library).path) if library else None
    data = quick.read(key)   # the lean path (`quick.run`) reads, decides and renders through the same code
    if key and data["beat"] is not None and not data["libraries"]:
        raise NotWatched(key)   # the daemon has run, and never read this one: not "no library checked yet"
    if as_json:
        emit_json(from_view(data).to_json())
    else:
        click.echo(render.status(data, verbosity=verbosity()))
    sys.exit(quick.exit_code(data))


@cli.command("libraries")
@json_option
@click.option("--no-scan", is_flag=True, help="Only the config and EndNote's preferences, no folder scan.")
def list_libraries(as_json: bool, no_scan: bool) -> None:
    """List the libraries endnoted would watch, and why each was found.

    \b
    Example:
      endnoted libraries
      endnoted libraries --no-scan --json
    """
    from endnoted.reading.discovery import discover
    from endnoted.state.glance import watching_now

    try:   # what the running daemon watches, some named on its command line: listed and marked as such
        watching = watching_now(quick.state_file()) or []
    except EndnotedError as error:   # the state file cannot say: list what the config and scan find, and say why
        click.echo(f"(What the running daemon watches is not known: {error})", err=True)
        watching = []
    found = discover(_config(), scan=not no_scan, watched=[Path(path) for path in watching])
    if as_json:
        emit_json({"schema": 1, "libraries": [item.to_json() for item in found]})
        return
    click.echo(render.libraries(found))


@cli.command()
@click.argument("library", required=False, type=path_type())
@json_option
def history(library: Path | None, as_json: bool) -> None:
    """Show the timeline of syncs (USN and pending before/after), verdict changes, drops in references and alerts.

    \b
    Example:
      endnoted history "My EndNote Library.enl"
      endnoted history --json
    """
    from endnoted.common import paths
    from endnoted.state import reader
    from endnoted.state.history import Entry, timeline
    from endnoted.state.store import Store, existing

    key = str(_one_library(library).path) if library else None
    entries: list[Entry] = []
    if existing(paths.state_db()) is not None:
        with Store(paths.state_db(), readonly=True) as store:
            entries = timeline(store, key)
            if key and not entries and store.library(key) is None and store.read(reader.HEARTBEAT):
                raise NotWatched(key)   # the daemon has run, and never read this one: not "nothing recorded yet"
    if as_json:
        emit_json({"schema": 1, "library": key, "timeline": [entry.to_json() for entry in entries]})
        return
    click.echo(render.history(entries))


@cli.command()
@click.option("-o", "--output", type=path_type(), help="Where to write the bundle (.zip).")
def report(output: Path | None) -> None:
    """Write a support bundle (zip) for a help desk, with personal data redacted.

    \b
    Example:
      endnoted report -o ~/Desktop/endnoted-report.zip
    """
    from endnoted.support.supportbundle import write_bundle

    path = write_bundle(output)
    click.echo(render.bundle_written(path))
