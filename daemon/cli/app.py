"""The click group, the one place errors become output, and the helpers every command family shares.

Every expected failure is an EndnotedError and becomes one line on stderr with its exit status
here, in `_Group.invoke`; nothing below this module prints or exits.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from endnoted import __version__
from endnoted.common.errors import EndnotedError, ExitStatus, UsageError, expected

# Function-local imports below are on purpose: each command imports the core it runs inside its
# body, so one run loads only its own stages (start-up time of `status` and `--help`, issue 16;
# benchmarks/bench_startup.py measures it).

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("endnoted")


class _Group(click.Group):
    """Turn our expected errors into one clean line and the right exit code; load command families lazily.

    `families` names the modules (under endnoted.cli) whose decorators register commands here. A run
    of one command imports families only until it is found (`endnoted status` loads one family, not
    all: start-up time, issue 16); `--help` and anything that reads `commands` loads them all.
    """

    families: Sequence[str] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loaded = 0
        super().__init__(*args, **kwargs)

    @property   # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        self._load()
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def _load(self, until: str | None = None) -> None:
        """Import families in order until `until` is registered (None: every family)."""
        while self._loaded < len(self.families) and (until is None or until not in self._commands):
            family = self.families[self._loaded]
            self._loaded += 1
            importlib.import_module(f"endnoted.cli.{family}")

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        assert name is not None
        self._commands[name] = cmd   # not through `commands`: registering must not load the others

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load(until=cmd_name)
        return self._commands.get(cmd_name)

    group_class = type   # subgroups (`service`) are _Group too: the same errors, the same help

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Each command's first sentence whole, wrapped: click would cut it at the terminal's width,
        # and a summary cut mid-sentence says less than a wrapped one.
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EndnotedError as error:
            click.echo(f"Error: {error}", err=True)
            _json_error(ctx, str(error), error.exit_status)
            ctx.exit(error.exit_status)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(ExitStatus.INTERRUPTED)
        except BrokenPipeError:
            # The reader (`| head`) has had enough: stop quietly, and keep Python from complaining
            # about the closed pipe when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(ExitStatus.SUCCESS)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as error:  # a bug: say so in one line unless asked for the traceback
            if (known := expected(error)) is not None:   # e.g. a path too long, met deep in a read
                click.echo(f"Error: {known}", err=True)
                _json_error(ctx, str(known), known.exit_status)
                ctx.exit(known.exit_status)
            if os.environ.get("ENDNOTED_DEBUG"):
                raise
            message = (f"endnoted failed unexpectedly ({type(error).__name__}: {error}); "
                       "run again with ENDNOTED_DEBUG=1 for details and report it.")
            click.echo(f"Error: {message}", err=True)
            _json_error(ctx, message, ExitStatus.ERROR)
            ctx.exit(ExitStatus.ERROR)


def _setup_logging(verbosity: int, *, daemon: bool = False) -> None:
    # The policy (journald, a rotating file, stderr) lives in endnoted.running.logs.
    from endnoted.running import logs
    logs.setup(verbosity, daemon=daemon)


def emit_json(data: Any) -> None:
    # Always UTF-8, whatever the console's code page (a redirected stdout on Windows is cp1252).
    click.echo(json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    # The error handler (_Group.invoke) runs in the root context: it learns of --json here.
    if value:
        ctx.find_root().meta["endnoted.json"] = True
    return value


def _json_error(ctx: click.Context, message: str, exit_status: int) -> None:
    """A command given --json that fails also prints its error as JSON on stdout (schemas/error.json)."""
    if ctx.meta.get("endnoted.json"):
        emit_json({"schema": 1, "error": {"message": message, "exit": int(exit_status)}})


class PathParam(click.Path):
    """The type of every path argument and option: a Path, and never "" (which would quietly mean this folder)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        name = "/".join(param.opts) if isinstance(param, click.Option) else \
            param.human_readable_name if param is not None else "a path"
        if isinstance(value, str) and value == "":
            raise UsageError(f"{name} is an empty path, which names nothing; give a file or folder (. is this folder)")
        if isinstance(value, str) and (problem := too_long(value)):
            raise UsageError(f"{name} is a path too long for the filesystem ({problem}); give a shorter one")
        return super().convert(value, param, ctx)


def too_long(path: str) -> str | None:
    """Given a path, return why the OS refuses it as too long (a name over 255 bytes, a path over its limit), or None.

    Asked of the OS itself (ENAMETOOLONG), so each platform's own limits hold. Said as a usage error
    with the path shortened: a 5000-character path does not fit in one clear line.
    """
    import errno
    try:
        os.lstat(path)
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            shown = path if len(path) <= 80 else f"{path[:40]}…{path[-30:]}"
            return f"{len(path)} characters: {shown}"
    except ValueError:   # a NUL byte: click's own check says so
        pass
    return None


def path_type(**settings: Any) -> PathParam:
    """A path parameter's type (settings as click.Path's); every command uses it: tests/cli/test_app.py checks."""
    return PathParam(path_type=Path, **settings)


json_option = click.option("--json", "as_json", is_flag=True, callback=_remember_json,
                           help="Print JSON (a stable shape with a schema number).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="endnoted")
@click.option("-v", "--verbose", count=True, help="More detail: every finding and the references behind it (repeat for debug logs).")
@click.option("-q", "--quiet", count=True, help="Only the verdict lines (and errors).")
def cli(verbose: int, quiet: int) -> None:
    """endnoted: is your EndNote library still in sync with EndNote Web?

    It reads libraries read-only, tells you the sync state (in-sync, pending, stale, diverged,
    damaged, not-synced, unknown) and walks you through the repair with a proven backup first.

    \b
    Example:
      endnoted demo
      endnoted check ~/Documents
      endnoted check --help
    """
    _setup_logging(verbose - quiet)
    click.get_current_context().obj = verbose - quiet


# The command families: importing one registers its commands on the group. The group imports them
# lazily, in this order, until it finds the command asked for (start-up time): add a new family here.
cli.families = ("daemon", "checking", "backups", "reset", "service", "settings", "doctor", "completion",
                "manpage", "web")


def verbosity() -> int:
    """The root's -v/-q: below 0 only verdict lines, 0 normal, above 0 more detail (render.QUIET...)."""
    return int(click.get_current_context().find_root().obj or 0)


def _config() -> Any:
    from endnoted.common import config
    return config.load()


def _locate_all(paths: Sequence[Path]) -> list[Any]:
    from endnoted.reading.library import locate
    found: dict[Path, Any] = {}
    for path in paths:
        for library in locate(path):
            found.setdefault(library.path, library)
    return list(found.values())


def _store() -> Any:
    from endnoted.common import paths
    from endnoted.state.store import Store
    return Store(paths.state_db())


def _one_library(path: Path) -> Any:
    libraries = _locate_all([path])
    if len(libraries) != 1:
        raise UsageError(f"{path} holds {len(libraries)} libraries; name one .enl")
    return libraries[0]


