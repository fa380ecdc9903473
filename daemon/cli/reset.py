"""`reset`: the guided, resumable reset of EndNote's local sync, in a terminal."""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path
from typing import Any

import click

from endnoted.cli import render
from endnoted.cli.app import _config, _one_library, _store, cli, emit_json, json_option
from endnoted.common.errors import UsageError, WizardStopped
from endnoted.judging.findings import State

# Function-local imports below are on purpose: each command imports the core it runs inside its
# body, so one run loads only its own stages (start-up time of `status` and `--help`, issue 16;
# benchmarks/bench_startup.py measures it).


class _TerminalConsole:
    """The wizard's console: click for output, stdin for answers, and never a hang on a silent stdin."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def say(self, text: str = "") -> None:
        click.echo(text)

    def ask(self, question: str) -> str:
        click.echo(question + " ", nl=False)
        stream = sys.stdin  # CliRunner and pipes replace it; click.get_text_stream is untyped here
        if not stream.isatty() and hasattr(stream, "fileno") and os.name == "posix":
            try:
                ready, _, _ = select.select([stream], [], [], self.timeout)
            except (ValueError, OSError):  # io.UnsupportedOperation (no fileno) is both
                ready = [stream]
            if not ready:
                click.echo()
                raise WizardStopped(f"no answer on stdin within {self.timeout:.0f} s; the run keeps its place: "
                                    "run endnoted reset in a terminal to go on")
        line = stream.readline()
        if not line:
            click.echo()
            raise WizardStopped("endnoted reset needs your answers, but stdin is closed or not a terminal; the run "
                                "keeps its place: run endnoted reset in a terminal to go on")
        return str(line).rstrip("\n")


@cli.command()
@click.argument("library", required=False, type=click.Path(path_type=Path))
@click.option("--situation", type=click.Choice(["desktop-right", "new-library", "web-right"]),
              help="Which copy is right (otherwise the wizard asks).")
@click.option("--new-library", type=click.Path(path_type=Path),
              help="With --situation new-library: the library that should become the synced one.")
@click.option("--backup-dir", type=click.Path(path_type=Path), help="Where step 0 writes its backup.")
@click.option("--export", "export", type=click.Path(path_type=Path),
              help="A fresh Web export, to show what the Web holds that this library lacks.")
@click.option("--status", "show_status", is_flag=True, help="Show the run waiting on this library and exit.")
@click.option("--abandon", is_flag=True, help="End the current run (its backup stays).")
@json_option
def reset(library: Path | None, situation: str | None, new_library: Path | None, backup_dir: Path | None,
          export: Path | None, show_status: bool, abandon: bool, as_json: bool) -> None:
    """Guide the reset of EndNote's local sync, one step at a time, with a proven backup first.

    Resumable: run it again to continue where it stopped, across EndNote restarts and reboots.
    Exit 0 when done (or nothing to do), 1 when no proven backup could be made, 3 when it stopped
    before the end (no answer, or a step not done yet).

    \b
    Example:
      endnoted reset "My EndNote Library.enl"
      endnoted reset --status "My EndNote Library.enl"
    """
    from endnoted.repair import reset as wizard

    settings = _config()
    with _store() as store:
        target = _one_library(library) if library else _reset_library(store)
        if show_status:
            data = wizard.run_status(store, target.path)
            if as_json:
                emit_json({"schema": 1, **data})
            else:
                click.echo(render.reset_run(target.path, data))
            return
        if abandon:
            ended = wizard.abandon(store, target.path)
            click.echo("Reset abandoned; its backup stays." if ended else f"No reset is running for {target.path}.")
            return
        if new_library is not None and situation not in (None, "new-library"):
            raise UsageError("--new-library goes with --situation new-library")
        timeout = float(os.environ.get("ENDNOTED_ANSWER_TIMEOUT", "600"))
        run = wizard.ResetWizard(store, target, _TerminalConsole(timeout),
                                 backup_dir=backup_dir or settings.backups_dir,
                                 export_folders=tuple(settings.export_folders), situation=situation,
                                 new_library=new_library, export=export)
        status_code = run.start()
    sys.exit(status_code)


def _reset_library(store: Any) -> Any:
    """With no LIBRARY: the one library with a reset waiting, or the one the daemon calls diverged."""
    from endnoted.reading.library import locate
    waiting = [run.library for run in store.open_resets()]
    candidates = waiting or [row.path for row in store.libraries() if row.verdict in (State.DIVERGED, State.DAMAGED)]
    if len(set(candidates)) != 1:
        raise UsageError("name the library to reset: endnoted reset \"PATH/TO/Library.enl\"")
    return locate(Path(candidates[0]))[0]
