"""The command line: a thin click shell over the core, one module per command family.

Every expected failure is an EndnotedError and becomes one line on stderr with its exit status in
`app._Group.invoke`; nothing below the CLI prints or exits. Text output is formatted in `render`.
"""

from __future__ import annotations

from endnoted.cli.app import cli
from endnoted.common import console

# The command families: importing one registers its commands on the group. The group imports them
# lazily, in this order, until it finds the command asked for (start-up time): add a new family here.
cli.families = ("daemon", "checking", "backups", "reset", "service", "settings", "doctor", "completion",
                "manpage", "web")

__all__ = ["cli", "main"]


def main() -> None:
    console.make_safe()   # a cp1252 console or a redirected stdout must not crash on ✗ or →
    cli(prog_name="endnoted")
