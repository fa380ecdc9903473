"""`config`: the config file in use, and every value in effect with where it came from."""

from __future__ import annotations

import click

from endnoted.cli import render
from endnoted.cli.app import cli, emit_json, json_option


def _shown(value: object) -> list[str]:
    """A value as the lines of its table cell: a list is one item a line, so long lists stay readable."""
    if value is None:
        return ["(none)"]
    if isinstance(value, list):
        return [str(item) for item in value] or ["(none)"]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]
    return [str(value)]


@cli.command("config", short_help="Show the config file in use and every setting in effect, with where it came from.")
@json_option
def config_command(as_json: bool) -> None:
    """Show the config file in use, and every setting and folder in effect with where each came from.

    Each value comes from its default, the config file, or the environment (ENDNOTED_CONFIG,
    ENDNOTED_STATE_DIR, ENDNOTED_DATA_DIR, ENDNOTED_LOG_DIR). A config file with bad values is
    an error (exit 1) that lists every problem in it.

    \b
    Example:
      endnoted config
      ENDNOTED_CONFIG=~/other.toml endnoted config --json
    """
    from endnoted.common import config

    settings = config.load()
    folders = config.folders_in_effect()
    values = config.settings_in_effect(settings)
    file = next(item for item in folders if item.name == "config_file")
    exists = settings.source is not None
    if as_json:
        emit_json({"schema": 1, "file": {"path": file.value, "exists": exists, "from": file.source,
                                         "variable": file.variable},
                   "settings": {item.name: item.to_json() for item in values},
                   "folders": {item.name: item.to_json() for item in folders if item.name != "config_file"}})
        return

    def origin(item: config.Origin) -> str:
        return f"{item.source} ({item.variable})" if item.variable else item.source

    click.echo(render.config_table(
        str(file.value), exists, origin(file), [(item.name, _shown(item.value), origin(item)) for item in values],
        [(item.name, _shown(item.value), origin(item)) for item in folders if item.name != "config_file"]))
