"""`config`: the config file in use, and every value in effect with where it came from."""

from __future__ import annotations

import click

from endnoted.cli.app import cli, emit_json, json_option


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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

    state = "read" if exists else "not there: every setting has its default"
    click.echo(f"Config file: {file.value} ({state}; location: {origin(file)})\n")
    width = max(len(item.name) for item in [*values, *folders])
    shown = [(item.name, _shown(item.value), origin(item)) for item in values]
    value_width = min(60, max(len(value) for _, value, _ in shown))
    click.echo(f"{'SETTING'.ljust(width)}  {'VALUE'.ljust(value_width)}  FROM")
    for name, value, where in shown:
        click.echo(f"{name.ljust(width)}  {value.ljust(value_width)}  {where}")
    click.echo(f"\n{'FOLDER'.ljust(width)}  {'PATH'.ljust(value_width)}  FROM")
    for item in folders:
        if item.name != "config_file":
            click.echo(f"{item.name.ljust(width)}  {str(item.value).ljust(value_width)}  {origin(item)}")
