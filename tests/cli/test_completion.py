"""`endnoted completion`: the script a real bash sources completes commands, subcommands and options."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run

BIN = Path(sys.executable).parent


def complete_in_bash(*words: str) -> list[str]:
    """Source `endnoted completion bash` in a real bash and ask it to complete the last word."""
    script = run("completion", "bash").stdout
    line = " ".join(words)
    program = (f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
               'COMP_LINE="${COMP_WORDS[*]}"; _endnoted_completion endnoted; printf "%s\\n" "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", program], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_subcommands_and_options() -> None:
    assert complete_in_bash("endnoted", "ch") == ["check"]
    assert set(complete_in_bash("endnoted", "c")) >= {"check", "compare", "completion", "config"}
    assert complete_in_bash("endnoted", "service", "un") == ["uninstall"]
    assert "--json" in complete_in_bash("endnoted", "check", "--")
    assert complete_in_bash("endnoted", "completion", "f") == ["fish"]


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o nosort -F _endnoted_completion endnoted"),
                                               ("zsh", "compdef _endnoted_completion endnoted"),
                                               ("fish", "complete --no-files --command endnoted")])
def test_each_shell_gets_its_own_script(shell: str, marker: str) -> None:
    result = run("completion", shell)
    assert result.exit_code == 0 and marker in result.stdout
    if shutil.which(shell) and shell != "bash":      # zsh and fish check the syntax where installed
        assert subprocess.run([shell, "-n"], input=result.stdout, text=True, timeout=60).returncode == 0


@pytest.mark.parametrize(("shell", "env"), [("zsh", {"COMP_WORDS": "endnoted ch", "COMP_CWORD": "1"}),
                                            ("fish", {"COMP_WORDS": "endnoted ch", "COMP_CWORD": "ch"})])
def test_the_zsh_and_fish_scripts_protocol_answers(shell: str, env: dict[str, str]) -> None:
    # What the zsh and fish scripts run when a user presses Tab: the real endnoted program.
    done = subprocess.run([str(BIN / "endnoted")], env={**os.environ, **env, "_ENDNOTED_COMPLETE": f"{shell}_complete"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "check" in done.stdout, done.stderr


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = run("completion", "tcsh")
    assert result.exit_code == 2 and "tcsh" in result.stderr
