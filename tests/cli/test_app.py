"""The group loads command families lazily: every family is listed, and a command run loads only what it needs."""

from __future__ import annotations

import json
import subprocess
import sys

from endnoted.cli import cli
from tests.conftest import ROOT

NOT_FAMILIES = {"__init__", "app", "render"}


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
    assert loaded == ["endnoted.cli.app", "endnoted.cli.daemon", "endnoted.cli.render"]


def test_reset_status_without_a_library_lists_every_run_or_says_none() -> None:
    # README documents `reset --status [--json]`; with no library it used to say "name the library".
    from tests.conftest import run
    result = run("reset", "--status")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "No reset is under way."
    assert json.loads(run("reset", "--status", "--json").stdout) == {"schema": 1, "runs": []}
