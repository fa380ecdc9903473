"""`endnoted manpage`: one man page per command, made from the click tree, that groff renders cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from endnoted.cli import cli
from tests.cli.test_help import COMMANDS, examples
from tests.conftest import run


def plain(rendered: str) -> str:
    """groff's terminal output without its overstrike bold and underline (x\bx, _\bx)."""
    return re.sub(".\b", "", rendered)


def test_a_page_for_the_program_and_every_command(tmp_path: Path) -> None:
    result = run("manpage", str(tmp_path / "man1"))
    assert result.exit_code == 0
    written = {path.name for path in (tmp_path / "man1").iterdir()}
    assert written == {"-".join(["endnoted", *words]) + ".1" for words, _ in COMMANDS}
    check = (tmp_path / "man1" / "endnoted-check.1").read_text()
    assert check.startswith('.TH "ENDNOTED-CHECK" 1')
    for section in (".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH EXAMPLES"):
        assert section in check
    assert "\\-\\-json" in check and "endnoted check ~/Documents" in check
    top = (tmp_path / "man1" / "endnoted.1").read_text()
    assert all(f"\\fB{name}\\fR" in top for name in cli.commands)


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed (Debian: groff-base)")
def test_groff_renders_every_page_without_a_warning(tmp_path: Path) -> None:
    run("manpage", str(tmp_path / "man1"))
    for page in sorted((tmp_path / "man1").iterdir()):
        done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(page)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and done.stderr == "", (page.name, done.stderr)
        assert "NAME" in plain(done.stdout) and "SYNOPSIS" in plain(done.stdout)
    # The examples of a command survive into its rendered page.
    words, command = next((w, c) for w, c in COMMANDS if w == ["demo"])
    rendered = plain(subprocess.run(["groff", "-man", "-Tutf8", str(tmp_path / "man1" / "endnoted-demo.1")],
                              capture_output=True, text=True, timeout=60).stdout)
    assert all(line in rendered for line in examples(command))
