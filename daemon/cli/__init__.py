"""The command line: a thin click shell over the core, one module per command family.

Every expected failure is an EndnotedError and becomes one line on stderr with its exit status in
`app._Group.invoke`; nothing below the CLI prints or exits. Text output is formatted in `render`.
"""

from __future__ import annotations

# Importing the families registers their commands on the group.
from endnoted.cli import backups, checking, daemon, reset, service  # noqa: F401
from endnoted.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="endnoted")
