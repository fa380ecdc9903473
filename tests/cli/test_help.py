"""Help texts: every command says what it does in one whole sentence, and shows an example that parses."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from endnoted.cli import cli
from tests.conftest import run


def every_command() -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = [([], cli)]

    def walk(group: click.Group, words: list[str]) -> None:
        for name, command in sorted(group.commands.items()):
            found.append(([*words, name], command))
            if isinstance(command, click.Group):
                walk(command, [*words, name])
    walk(cli, [])
    return found


COMMANDS = every_command()
IDS = [" ".join(words) or "endnoted" for words, _ in COMMANDS]


def examples(command: click.Command) -> list[str]:
    """The lines of the command's `\\b Example:` block."""
    for block in (command.help or "").split("\n\n"):
        lines = [line.strip() for line in block.strip("\n").split("\n")]
        if lines[:2] == ["\b", "Example:"]:
            return [line for line in lines[2:] if line]
    return []


def parse(line: str) -> None:
    """Parse an example's endnoted command line with the real click tree (nothing runs)."""
    words = shlex.split(line)
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):         # VAR=value endnoted ...
        words = words[1:]
    for operator in (">", ">>", "|"):
        if operator in words:
            words = words[: words.index(operator)]
    assert words[0] == "endnoted", line
    context = click.Context(cli, info_name="endnoted")
    command: click.Command = cli
    args = words[1:]
    while isinstance(command, click.Group):
        assert args, line
        name, args = args[0], args[1:]
        sub = command.get_command(context, name)
        assert sub is not None, (line, name)
        if "--help" in args:                       # `--help` exits; asking for it is a valid example
            return
        if isinstance(sub, click.Group):
            context = click.Context(sub, info_name=name, parent=context)
        else:
            sub.make_context(name, list(args), parent=context)      # raises on a bad option or argument
        command = sub


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=IDS)
def test_the_summary_is_one_whole_sentence_in_the_group_help(words: list[str], command: click.Command) -> None:
    if not words:
        return
    summary = command.get_short_help_str(limit=1000)
    assert summary.endswith(".") and not summary.endswith("..."), summary
    assert summary[0].isupper() and len(summary.split()) >= 4, summary
    listing = run(*words[:-1], "--help").stdout
    # the summary appears whole (wrapped over lines), never cut with "..."
    assert " ".join(summary.split()) in " ".join(listing.split()), listing
    assert "..." not in listing.split("Commands:")[1]


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=IDS)
def test_every_command_shows_an_example_that_parses(words: list[str], command: click.Command) -> None:
    lines = examples(command)
    assert lines, f"`{' '.join(['endnoted', *words])}` has no `\\b Example:` block"
    own = " ".join(["endnoted", *words])
    assert any(own in line for line in lines), (own, lines)
    for line in lines:
        if line.startswith("endnoted ") or re.match(r"[A-Z_]+=\S* endnoted ", line):
            parse(line)
        else:                                       # `echo '...' >> ~/.bashrc`, `man endnoted-check`
            assert "endnoted" in line, line
    shown = run(*words, "--help").stdout
    assert "Example:" in shown and lines[0] in shown     # click keeps the \b block as written
