"""`open`: endnoted's window, a local page in the user's own browser (the web stage does the work)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from endnoted.cli import render
from endnoted.cli.app import _config, _one_library, _store, cli, path_type


@cli.command("open")
@click.argument("library", required=False, type=path_type())
@click.option("--no-browser", is_flag=True,
              help="Print the link instead of opening a browser (for tests, or to paste into one yourself).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=False,
              help="Listen on this port of 127.0.0.1 (default: any free one).")
def open_window(library: Path | None, no_browser: bool, port: int) -> None:
    """Open endnoted's window in your browser: every library's state, its history, backups and the guided repair.

    It listens on 127.0.0.1 only, for the one browser that gets the link, and stops after 30 minutes
    without use or when you press Close on the page.

    \b
    Example:
      endnoted open
      endnoted open "My EndNote Library.enl"
      endnoted open --no-browser --port 8765
    """
    from endnoted.web import server, views  # the web stack loads only for this command: others start fast

    settings = _config()
    first = "/"
    if library is not None:
        target = _one_library(library)
        with _store() as store:
            first = views.first_page(store, target, settings)
    idle = float(os.environ.get("ENDNOTED_WEB_IDLE_SECONDS", server.IDLE_SECONDS))
    local = server.LocalServer(settings, port=port, idle_seconds=idle)
    url = local.url(first)
    click.echo(render.window_opening(url, browser=not no_browser))
    why = local.serve(None if no_browser else server.open_browser, first)
    click.echo(render.window_stopped(why))
