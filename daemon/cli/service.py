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


platform_option = click.option(
    "--platform", "platform", type=click.Choice(["linux", "macos", "windows"]),
    help="With --dry-run: show another platform's file and commands (for help desks). "
         "Only this computer's platform can be installed.")


def _service_report(report: Any, as_json: bool) -> None:
    if as_json:
        emit_json({"schema": 1, **report.to_json()})
        return
    click.echo(render.service_report(report))


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


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
    if dry_run:
        planned = autostart.dry_run(target, home=_home())
        if as_json:
            _service_report(planned, as_json)
            return
        click.echo(render.service_plan(planned, target != autostart.current_platform()))
        return
    autostart.refuse_other_platform(target, "install")
    report = autostart.install(target, home=_home())
    _service_report(report, as_json)
    if not as_json:
        click.echo(render.SERVICE_INSTALLED)


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
    if dry_run:
        planned = autostart.dry_run(target, home=_home(), uninstall=True)
        if as_json:
            _service_report(planned, as_json)
            return
        click.echo(render.uninstall_plan(planned, here=target == autostart.current_platform()))
        return
    autostart.refuse_other_platform(target, "uninstall")
    _service_report(autostart.uninstall(target, home=_home()), as_json)


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
    report = autostart.status(platform or autostart.current_platform(), home=_home())
    if as_json:
        emit_json({"schema": 1, **report.to_json()})
        return
    click.echo(render.service_state(report))
