"""`completion`: the script that teaches bash, zsh or fish to complete endnoted's commands, options and paths."""

from __future__ import annotations

import click

from endnoted.cli.app import cli

# click's completion protocol: the script calls `endnoted` again with this variable set.
COMPLETE_VARIABLE = "_ENDNOTED_COMPLETE"


@cli.command(short_help="Print the shell completion script for bash, zsh or fish.")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the script that makes your shell complete endnoted's commands, options and paths.

    Load it from your shell's start-up file, or save it where your shell looks for completions.
    bash needs version 4.4 or later.

    \b
    Example:
      echo 'eval "$(endnoted completion bash)"' >> ~/.bashrc
      echo 'eval "$(endnoted completion zsh)"' >> ~/.zshrc
      endnoted completion fish > ~/.config/fish/completions/endnoted.fish
    """
    from click.shell_completion import get_completion_class

    kind = get_completion_class(shell)
    if kind is None:  # click knows all three; a Choice keeps anything else out
        raise click.BadParameter(f"no completion for {shell}")
    root = click.get_current_context().find_root().command
    click.echo(kind(root, {}, "endnoted", COMPLETE_VARIABLE).source())
