"""`manpage`: man pages generated from the click command tree (their roff is made in `render_manpage`)."""

from __future__ import annotations

from pathlib import Path

import click

from endnoted.cli import render
from endnoted.cli.app import cli, path_type
from endnoted.cli.render_manpage import page


def _walk(group: click.Group, prefix: list[str]) -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        found.append(([*prefix, name], command))
        if isinstance(command, click.Group):
            found += _walk(command, [*prefix, name])
    return found


def pages() -> dict[str, str]:
    """Every man page of the command tree: file name (endnoted-check.1) → roff text."""
    root = click.Context(cli, info_name="endnoted")
    result = {"endnoted.1": page(["endnoted"], cli)}
    for words, command in _walk(cli, ["endnoted"]):
        result["-".join(words) + ".1"] = page(words, command, parent=root)
    return result


@cli.command(short_help="Write endnoted's man pages (one per command) into a folder.")
@click.argument("folder", type=path_type(file_okay=False))
def manpage(folder: Path) -> None:
    """Write a man page for endnoted and for each of its commands into FOLDER, made from their help.

    Put them where man looks (a man1 folder on its search path), then `man endnoted-check` works.

    \b
    Example:
      endnoted manpage ~/.local/share/man/man1
      man endnoted-check
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = pages()
    for name, text in written.items():
        (folder / name).write_text(text, encoding="utf-8")
    click.echo(render.manpages_written(len(written), folder))
