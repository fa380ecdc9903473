"""`endnoted demo`: the library is kept in endnoted's data folder, every command it suggests runs, --clean removes it."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.conftest import run

# A command as the demo prints it: `endnoted SUBCOMMAND` then options, "quoted paths" or ~/paths.
COMMAND = re.compile(r'endnoted [a-z][a-z-]*(?: (?:"[^"]*"|--?[a-z][a-z-]*|[~/][^\s"()]*))*')


def in_terminal(line: str, answers: str, timeout: float = 60) -> tuple[int | None, str]:
    """Run one printed command line as a user would: through bash (quotes, ~) in a terminal (a real pty),
    with the installed `endnoted`, typing `answers`. Return its exit status (None: still running at the
    timeout, then killed) and everything it showed."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    master, slave = pty.openpty()
    process = subprocess.Popen(["bash", "-c", line], stdin=slave, stdout=slave, stderr=slave, env=env,
                               start_new_session=True)
    os.close(slave)
    os.write(master, answers.encode())
    shown = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:          # EIO: the terminal's other end closed, the command is done
                    break
                if not chunk:
                    break
                shown += chunk
            elif process.poll() is not None:
                break
        try:
            status: int | None = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return status, shown.decode(errors="replace")


def test_the_demo_keeps_its_library_in_the_data_folder(tmp_path: Path) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.stderr
    enl = tmp_path / "data" / "demo" / "Demo Library.enl"          # ENDNOTED_DATA_DIR is tmp_path/data
    assert enl.is_file() and (tmp_path / "data" / "demo" / "Demo Library.Data" / "sdb" / "sdb.eni").is_file()
    assert f"The demo library stays at {enl.parent}" in result.stdout
    assert (tmp_path / "data" / "demo").stat().st_mode & 0o077 == 0
    assert json.loads(run("check", "--json", str(enl)).stdout)["libraries"][0]["verdict"] == "diverged"


def test_every_command_the_demo_prints_runs(isolated_home: Path, tmp_path: Path) -> None:
    # The demo also points at ~/Documents: give this HOME a library there, as a researcher's has.
    build(isolated_home / "Documents", LibrarySpec(refs=synthetic_refs(3), last_sync=days_ago(0.1)))
    printed = run("demo").stdout
    commands = COMMAND.findall(printed)
    assert len(commands) >= 5, printed
    assert {c.split()[1] for c in commands} >= {"check", "backup", "reset", "demo"}
    for line in commands:
        # `reset` asks first which copy is right; the answer "w" (the Web copy) takes the branch that
        # explains the safer path and changes nothing. The other commands ask nothing.
        status, shown = in_terminal(line, answers="w\n")
        # Each one runs to its end: no usage error (2), no failure (1), no "Error:" line.
        assert status is not None and status not in (1, 2) and "Error" not in shown, (line, status, shown[-2000:])
    assert not (tmp_path / "data" / "demo").exists()           # the last one was `endnoted demo --clean`


def test_clean_removes_the_demo_and_then_has_nothing_to_remove(tmp_path: Path) -> None:
    assert run("demo").exit_code == 0
    first = run("demo", "--clean")
    assert first.exit_code == 0 and "Removed the demo library" in first.stdout
    assert not (tmp_path / "data" / "demo").exists()
    again = run("demo", "--clean", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout) == {"schema": 1, "removed": None}


def test_a_second_demo_replaces_the_first(tmp_path: Path) -> None:
    assert run("demo").exit_code == 0
    stray = tmp_path / "data" / "demo" / "Demo Library.Data" / "left-over.txt"
    stray.write_text("from the first demo")
    assert run("demo").exit_code == 0
    assert not stray.exists() and (tmp_path / "data" / "demo" / "Demo Library.enl").is_file()


@pytest.mark.parametrize("command", [("demo", "--keep"), ("demo", "--clean", "--keep")])
def test_a_folder_the_demo_did_not_make_is_never_replaced_or_removed(tmp_path: Path, command: tuple[str, ...]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    result = run(*command, str(mine))
    assert result.exit_code == 2 and "not made by endnoted demo" in result.stderr + result.stdout
    assert (mine / "thesis.docx").read_text() == "years of work"


def test_keep_builds_in_the_named_folder_and_its_clean_command_names_it(tmp_path: Path) -> None:
    result = run("demo", "--json", "--keep", str(tmp_path / "here"))
    data = json.loads(result.stdout)
    assert data["library"] == str(tmp_path / "here" / "Demo Library.enl")
    assert data["libraries"][0]["verdict"] == "diverged"
    assert f'endnoted demo --clean --keep "{tmp_path / "here"}"' in data["commands"]
    assert run("demo", "--clean", "--keep", str(tmp_path / "here")).exit_code == 0
    assert not (tmp_path / "here").exists()
