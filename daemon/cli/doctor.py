"""`doctor`: check that everything an alert needs holds on this machine, and say how to fix what does not."""

from __future__ import annotations

import sys

import click

from endnoted.cli import render
from endnoted.cli.app import cli, emit_json, json_option
from endnoted.common.errors import ExitStatus


def _page_problem() -> str | None:
    """Why `endnoted open` cannot start in this install (its command or its web stack), or None."""
    if "open" not in cli.commands:
        return "this build has no `endnoted open`"
    try:
        # Imported here, not at the top: only doctor needs to know, and the web stack is slow to load.
        from endnoted.web import server  # noqa: F401  (it imports starlette, uvicorn and jinja2)
    except ImportError as error:
        return f"{error.name or error} is not installed"
    return None


@cli.command()
@json_option
@click.option("--no-ask", is_flag=True,
              help="Do not ask whether the test notification appeared; judge by what the platform reported.")
def doctor(as_json: bool, no_ask: bool) -> None:
    """Check the service, a real test notification, the Repair… route, config, folders, console and permissions.

    It shows one test notification and asks whether you saw it. Exit 0 when everything holds
    (warnings are things it cannot confirm); 3 when something needs fixing.

    \b
    Example:
      endnoted doctor
      endnoted doctor --json --no-ask
    """
    # Imported here: the checks load the notifier, autostart and config (about 50 ms) that other commands skip.
    from endnoted.support.doctor import Machine, all_hold, run_checks, to_json

    def ask(question: str) -> bool:
        return click.confirm(question, default=False, err=True)

    interactive = not no_ask and sys.stdin is not None and sys.stdin.isatty()
    checks = run_checks(Machine(ask=ask if interactive else None, page=_page_problem))
    if as_json:
        emit_json(to_json(checks))
    else:
        click.echo(render.doctor(checks, all_hold(checks)))
    sys.exit(ExitStatus.SUCCESS if all_hold(checks) else ExitStatus.ATTENTION)
