"""`doctor`: check that everything an alert needs holds on this machine, and say how to fix what does not."""

from __future__ import annotations

import sys

import click

from endnoted.cli.app import cli, emit_json, json_option
from endnoted.common.errors import ExitStatus

_LABEL = {"ok": "ok", "warning": "warning", "problem": "PROBLEM"}


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
    from endnoted.support.doctor import Machine, all_hold, run_checks, to_json

    def ask(question: str) -> bool:
        return click.confirm(question, default=False, err=True)

    interactive = not no_ask and sys.stdin is not None and sys.stdin.isatty()
    checks = run_checks(Machine(ask=ask if interactive else None, page=_page_problem))
    if as_json:
        emit_json(to_json(checks))
    else:
        # Text for this one command is formatted here: its rows are the checks, nothing else shares them.
        width = max(len(check.name) for check in checks)
        for check in checks:
            click.echo(f"{_LABEL[check.status]:<8} {check.name:<{width}}  {check.detail}")
            if check.fix and check.status != "ok":
                click.echo(f"{'':<8} {'':<{width}}  fix: {check.fix}")
        click.echo("All checks hold." if all_hold(checks) else "Something needs fixing (see PROBLEM above).")
    sys.exit(ExitStatus.SUCCESS if all_hold(checks) else ExitStatus.ATTENTION)
