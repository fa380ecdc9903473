"""The group loads command families lazily: every family is listed, and a command run loads only what it needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from endnoted.cli import cli
from endnoted.cli.app import PathParam
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.conftest import ROOT, run

# quick: the lean `status` path, no commands; status_text: render's part for `status`, import-light.
NOT_FAMILIES = {"__init__", "app", "render", "render_manpage", "render_reset", "quick", "status_text"}


def test_every_command_family_module_is_listed() -> None:
    modules = {path.stem for path in (ROOT / "daemon" / "cli").glob("*.py")} - NOT_FAMILIES
    assert set(cli.families) == modules


def test_status_loads_neither_other_families_nor_the_checker_nor_sqlite_utils() -> None:
    probe = ("import json, sys; from endnoted.cli import main; sys.argv = ['endnoted', 'status', '--json']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('endnoted.cli.', 'endnoted.judging.checker', "
             "'sqlite_utils', 'endnoted.probes')))), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    # The lean path: not even click's group, nor render's other texts.
    assert loaded == ["endnoted.cli.quick", "endnoted.cli.status_text"]
    forced = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            env={**os.environ, "ENDNOTED_LEAN": "0"})
    loaded = json.loads(forced.stderr.strip().splitlines()[-1])
    assert loaded == ["endnoted.cli.app", "endnoted.cli.daemon", "endnoted.cli.quick", "endnoted.cli.render",
                      "endnoted.cli.status_text"]


def test_reset_status_without_a_library_lists_every_run_or_says_none() -> None:
    # README documents `reset --status [--json]`; with no library it used to say "name the library".
    from tests.conftest import run
    result = run("reset", "--status")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "No reset is under way."
    assert json.loads(run("reset", "--status", "--json").stdout) == {"schema": 1, "runs": []}


def _path_parameters() -> list[tuple[str, click.Parameter]]:
    found: list[tuple[str, click.Parameter]] = []

    def walk(group: click.Group, prefix: str) -> None:
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")
            found.extend((f"{prefix}{name}", param) for param in command.params if isinstance(param.type, click.Path))
    walk(cli, "")
    return found


def test_every_path_parameter_refuses_an_empty_path_through_the_one_shared_type() -> None:
    parameters = _path_parameters()
    assert len(parameters) > 15
    plain = [f"{command} {param.name}" for command, param in parameters if not isinstance(param.type, PathParam)]
    assert not plain, f"path parameters without endnoted's path type (an empty path would mean this folder): {plain}"


def test_an_empty_path_is_one_line_and_exit_2_and_nothing_is_written(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(0.1)))
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)   # where "" would have pointed
    for args in (("check", ""), ("check", str(enl), "--export", ""), ("backup", "--to", "", str(enl)),
                 ("backup", ""), ("status", ""), ("history", ""), ("report", "-o", ""),
                 ("restore", "", "--to", str(tmp_path / "r")), ("compare", str(enl), "")):
        result = run(*args)
        assert result.exit_code == 2, (args, result.exit_code, result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and "empty path" in result.stderr, (args, result.stderr)
    assert list(here.iterdir()) == []
