"""The launcher entry's template renders to a desktop entry that runs `endnoted open`."""

from __future__ import annotations

import configparser
from importlib.resources import files
from string import Template


def test_the_desktop_entry_template_runs_endnoted_open() -> None:
    text = (files("endnoted.service") / "endnoted-open.desktop").read_text(encoding="utf-8")
    rendered = Template(text).substitute(exec_open='"/opt/endnoted/bin/python" -m endnoted open')
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read_string(rendered)
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Terminal"] == "false"
    assert desktop["Exec"].endswith("-m endnoted open")
    assert "$" not in rendered
