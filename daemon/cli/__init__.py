"""The command line: a thin click shell over the core, one module per command family.

Every expected failure is an EndnotedError and becomes one line on stderr with its exit status in
`app._Group.invoke`; nothing below the CLI prints or exits. Text output is formatted in `render`.
"""

from __future__ import annotations

# Importing the families registers their commands on the group.
from endnoted.cli import (  # noqa: F401
    backups,
    checking,
    completion,
    daemon,
    doctor,
    manpage,
    reset,
    service,
    settings,
)
from endnoted.cli.app import cli
from endnoted.common import console

__all__ = ["cli", "main"]


def main() -> None:
    console.make_safe()   # a cp1252 console or a redirected stdout must not crash on ✗ or →
    cli(prog_name="endnoted")
