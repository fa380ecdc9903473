"""`reset`: the guided, resumable reset of EndNote's local sync, in a terminal."""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path
from typing import Any

import click

from endnoted.cli import render
from endnoted.cli import render_reset as words
from endnoted.cli.app import _config, _one_library, _store, cli, emit_json, json_option, path_type
from endnoted.common.errors import ExitStatus, UsageError, WizardStopped
from endnoted.judging.findings import State

# Function-local imports below are on purpose: each command imports the core it runs inside its
# body, so one run loads only its own stages (start-up time of `status` and `--help`, issue 16;
# benchmarks/bench_startup.py measures it).


class _Quit(Exception):
    """The user typed q at a prompt."""


class _Declined(Exception):
    """The user said no to a reset the verdict does not call for: nothing to reset, nothing started."""


class _TerminalConsole:
    """The wizard's console: click for output, stdin for answers, and never a hang on a silent stdin.

    `q` (alone) at any prompt stops the wizard; the run keeps its place.
    """

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
                raise WizardStopped(words.no_answer_within(self.timeout))
        line = stream.readline()
        if not line:
            click.echo()
            raise WizardStopped(words.NO_STDIN)
        answer = str(line).rstrip("\n")
        if answer.strip().lower() == "q":
            raise _Quit
        return answer


class TerminalWizard:
    """The terminal front end of the reset engine: show a step, ask, pass the answer on."""

    def __init__(self, engine: Any, console: _TerminalConsole, *, situation: str | None,
                 new_library: Path | None) -> None:
        self.engine = engine
        self.console = console
        self.situation = situation
        self.new_library = new_library

    def start(self) -> ExitStatus:
        engine = self.engine
        try:
            with engine.lock():
                return self._go()
        except _Quit:
            self.console.say(engine.resume_hint())
            return ExitStatus.ATTENTION
        except _Declined:
            self.console.say(words.DECLINED)
            return ExitStatus.SUCCESS   # README: 0 "nothing to reset"
        except WizardStopped as stopped:   # no one to answer: say where things stand (a run, or none started)
            raise WizardStopped(words.unanswered(str(stopped), engine.run_step())) from None
        except KeyboardInterrupt:
            click.echo()
            click.echo(engine.resume_hint(), err=True)
            return ExitStatus.INTERRUPTED

    def _go(self) -> ExitStatus:
        from endnoted.repair.reset import SITUATIONS
        from endnoted.repair.reset_steps import LAST_STEP, WEB_RIGHT
        engine, say = self.engine, self.console.say
        if engine.load() is None:
            self._show_evidence()
            situation = self.situation or self._ask_situation()
            if situation == "web-right":
                engine.decline()
                for line in words.do_not_reset(list(WEB_RIGHT), engine.library.name, engine.library.path):
                    say(line)
                return ExitStatus.SUCCESS
            new_library = self.new_library
            while situation == "new-library" and new_library is None:
                answer = self.console.ask(words.NEW_LIBRARY)
                new_library = Path(answer.strip().strip('"')).expanduser() if answer.strip() else None
            engine.begin(situation, new_library)
            say(words.started(engine.library.name, SITUATIONS[situation]))
        else:
            say(words.resuming(engine.library.name, engine.run_step(), SITUATIONS[str(engine.run.situation)]))
        while (step := engine.step) is not None:
            on = engine.on(step)
            say(words.step_heading(step.number, LAST_STEP, step.title,
                                   on.name if engine.target.path != engine.library.path else None))
            for line in step.lines:
                say(words.bullet(line))
            if step.number == 0:
                say(words.making_backup(engine.backup_dir))
                outcome = engine.backup()
                for line in outcome.lines:
                    say(words.indented(line))
                if not outcome.ok:
                    for line in words.no_backup(outcome.error):
                        say(line)
                    return ExitStatus.ERROR
                continue
            if engine.name_needed():
                self._confirm_loss()
            if step.number == 5:
                self._reset_text()
            self._until_done(step)
        engine.finish()
        say(words.done(engine.target.name))
        return ExitStatus.SUCCESS

    def _show_evidence(self) -> None:
        """Before the first question: what endnoted sees, and, where the verdict does not call for a reset, a yes."""
        engine, say = self.engine, self.console.say
        need = engine.need()
        say(words.resetting(engine.library.path))
        for line in engine.evidence(need):
            say(words.indented(line))
        if need.called_for:
            return
        for line in words.not_called_for(need.state.value):
            say(line)
        while (answer := self.console.ask(words.GO_ON_ANYWAY).strip().lower()) not in ("y", "yes"):
            if answer in ("n", "no"):
                raise _Declined
            if answer == "q":
                raise _Quit
            say(words.YES_OR_NO)

    def _ask_situation(self) -> str:
        say = self.console.say
        say(words.SITUATIONS_MENU)
        choices = {"d": "desktop-right", "n": "new-library", "w": "web-right"}
        while True:
            answer = self.console.ask(words.CHOICE).strip().lower()
            if answer in choices:
                return choices[answer]
            if answer in choices.values():
                return answer
            say(words.CHOICE_AGAIN)

    def _until_done(self, step: Any) -> None:
        engine, ask, say = self.engine, self.console.ask, self.console.say
        if step.check is None:
            while ask(words.DONE).strip().lower() not in ("y", "yes"):
                say(words.TAKE_YOUR_TIME)
            engine.confirm()
            return
        ask(words.PRESS_ENTER)
        while True:
            export = self._export_path() if step.check == "export-matches" else None
            seen = engine.check(export)
            if seen is None:
                if ask(words.NOT_OBSERVABLE).strip().lower() in ("y", "yes"):
                    engine.confirm(words.CONFIRMED_BLIND)
                    return
                ask(words.PRESS_ENTER)
                continue
            if seen.ok:
                say(words.seen(seen.detail))
                return
            say(words.not_yet(seen.detail))
            # One key to look again: Enter re-checks at once.
            ask(words.LOOK_AGAIN)

    def _export_path(self) -> Path | None:
        found = self.engine.newest_export()
        answer = self.console.ask(words.export_prompt(found)).strip().strip('"')
        return Path(answer).expanduser() if answer else found

    def _confirm_loss(self) -> None:
        engine, say = self.engine, self.console.say
        lost = engine.web_only()
        if lost is not None and not lost.belongs:   # another library's export proves nothing: as if none, said so
            say(words.not_this_library(lost.export.name, engine.library.name, lost.trust))
        if lost is None or not lost.belongs:
            say(words.no_export(engine.library.path))
        elif lost.count:
            for line in words.web_only(lost.count, engine.library.name, list(lost.titles)):
                say(line)
        else:
            say(words.NOTHING_LOST)
        while not engine.accept_name(self.console.ask(words.name_prompt(engine.library.name))):
            say(words.NOT_THE_NAME)

    def _reset_text(self) -> None:
        from endnoted.repair.reset_steps import RESET_TEXT
        answer = self.console.ask(words.EMAIL).strip()
        self.console.say(words.reset_text(answer, RESET_TEXT))


@cli.command()
@click.argument("library", required=False, type=path_type())
@click.option("--situation", type=click.Choice(["desktop-right", "new-library", "web-right"]),
              help="Which copy is right (otherwise the wizard asks).")
@click.option("--new-library", type=path_type(),
              help="With --situation new-library: the library that should become the synced one.")
@click.option("--backup-dir", type=path_type(), help="Where step 0 writes its backup.")
@click.option("--export", "export", type=path_type(),
              help="A fresh Web export, to show what the Web holds that this library lacks.")
@click.option("--status", "show_status", is_flag=True,
              help="Show the run waiting on this library (with no LIBRARY: every run under way) and exit.")
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
        if show_status and library is None:
            # Every run under way (README: `reset --status` with no library).
            paths = [Path(path) for path in dict.fromkeys(run.library for run in store.open_resets())]
            if as_json:
                emit_json({"schema": 1, "runs": [wizard.run_status(store, path) for path in paths]})
            else:
                click.echo("\n".join(render.reset_run(path, store.active_reset(str(path))) for path in paths)
                           or "No reset is under way.")
            return
        target = _one_library(library) if library else _reset_library(store)
        if show_status:
            if as_json:
                emit_json({"schema": 1, **wizard.run_status(store, target.path)})
            else:
                click.echo(render.reset_run(target.path, store.active_reset(str(target.path))))
            return
        if abandon:
            ended = wizard.abandon(store, target.path)
            click.echo(render.reset_abandoned(ended, target.path))
            return
        if new_library is not None and situation not in (None, "new-library"):
            raise UsageError("--new-library goes with --situation new-library")
        timeout = float(os.environ.get("ENDNOTED_ANSWER_TIMEOUT", "600"))
        engine = wizard.ResetEngine(store, target, backup_dir=backup_dir or settings.backups_dir,
                                    export_folders=tuple(settings.export_folders), export=export,
                                    stale_after_seconds=settings.stale_after_seconds)
        status_code = TerminalWizard(engine, _TerminalConsole(timeout), situation=situation,
                                     new_library=new_library).start()
    sys.exit(status_code)


def _reset_library(store: Any) -> Any:
    """With no LIBRARY: the one library with a reset waiting, or the one the daemon calls diverged."""
    from endnoted.reading.library import locate
    waiting = [run.library for run in store.open_resets()]
    candidates = waiting or [row.path for row in store.libraries() if row.verdict in (State.DIVERGED, State.DAMAGED)]
    if len(set(candidates)) != 1:
        raise UsageError("name the library to reset: endnoted reset \"PATH/TO/Library.enl\"")
    return locate(Path(candidates[0]))[0]
