"""`service install|uninstall|status`: endnoted as a per-user service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from endnoted.cli import render
from endnoted.cli.app import cli, emit_json, json_option

# Function-local imports below are on purpose: each command imports the core it runs inside its
# body, so one run loads only its own stages (start-up time of `status` and `--help`, issue 16;
# benchmarks/bench_startup.py measures it).


@cli.group()
def service() -> None:
    """Run endnoted at login as a per-user service (systemd user unit, launchd agent, Windows logon task).

    \b
    Example:
      endnoted service install --dry-run
      endnoted service status
    """


platform_option = click.option("--platform", "platform", type=click.Choice(["linux", "macos", "windows"]),
                               help="Render for another platform (for tests and help desks).")


def _service_report(report: Any, as_json: bool) -> None:
    if as_json:
        emit_json({"schema": 1, **report.to_json()})
        return
    click.echo(render.service_report(report))


@service.command("install")
@platform_option
@click.option("--dry-run", is_flag=True, help="Print the file and the commands; change nothing.")
@json_option
def service_install(platform: str | None, dry_run: bool, as_json: bool) -> None:
    """Install and start the service for this user (idempotent).

    \b
    Example:
      endnoted service install
      endnoted service install --dry-run --platform macos
    """
    from endnoted.support import autostart
    target = platform or autostart.current_platform()
    home = Path(os.environ.get("HOME") or Path.home())
    if dry_run:
        # For another platform, this machine's paths and ids would be wrong: render placeholders instead.
        here = target == autostart.current_platform()
        rendered = autostart.render(target, home=home if here else None)
        if not here:
            click.echo("# for another platform: replace the <PLACEHOLDERS> with that machine's values")
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
    """Stop the service and remove exactly what install wrote.

    \b
    Example:
      endnoted service uninstall --dry-run
      endnoted service uninstall
    """
    from endnoted.support import autostart
    target = platform or autostart.current_platform()
    home = Path(os.environ.get("HOME") or Path.home())
    if dry_run:
        rendered = autostart.render(target, home=home if target == autostart.current_platform() else None)
        for command in rendered.uninstall:
            click.echo("# would run: " + " ".join(command))
        click.echo(f"# would remove {rendered.path}")
        return
    _service_report(autostart.uninstall(target, home=home), as_json)


@service.command("status")
@platform_option
@json_option
def service_status(platform: str | None, as_json: bool) -> None:
    """Say whether the service is installed, enabled and running.

    \b
    Example:
      endnoted service status
      endnoted service status --json
    """
    from endnoted.support import autostart
    report = autostart.status(platform or autostart.current_platform(), home=Path(os.environ.get("HOME") or Path.home()))
    if as_json:
        emit_json({"schema": 1, **report.to_json()})
        return
    click.echo(render.service_state(report))
