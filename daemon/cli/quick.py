"""The lean path of `endnoted status` and `endnoted status --json`: the same records, rendering and exit
codes as the click command, without importing click, psutil or sqlite-utils (start-up time, issue 16 item 5;
benchmarks/bench_startup.py measures it).

`cli.main` hands a command line here only when it is exactly one of `cli.LEAN`; everything else (options,
a library argument, --help, mistakes) goes to click. Both paths read and decide through `read` and
`exit_code` below and format through `render`; only writing and the error lines are done twice, here and
in `app._Group.invoke`. ENDNOTED_LEAN=0 sends every command line to click: tests/cli/test_quick.py runs
both paths as real processes and compares stdout, stderr and exit codes byte for byte.

The read path logs nothing at the default verbosity, so this path sets up no logging (the click group does).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from endnoted.cli import render
from endnoted.common import paths
from endnoted.common.errors import EndnotedError, ExitStatus
from endnoted.judging.findings import exit_status
from endnoted.state.status import Status, scan_endnote, status
from endnoted.state.store import Store, existing


def read(key: str | None) -> Status:
    """What `status` shows, for one library's path or (None) for all, from the state file if there is one."""
    if existing(paths.state_db()) is None:
        return status(None, key, scan_endnote)
    with Store(paths.state_db(), readonly=True) as store:
        return status(store, key, scan_endnote)


def exit_code(data: Status) -> int:
    """check's exit status while the daemon runs (README, "Exit codes"); NOT_RUNNING whenever it does not."""
    if not data.daemon.running:
        return ExitStatus.NOT_RUNNING
    return exit_status(row.report.verdict for row in data.libraries if row.report is not None)


def json_bytes(data: Any) -> bytes:
    """A --json document as written: always UTF-8, whatever the console's code page (see app.emit_json)."""
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _out_bytes(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.buffer.flush()


def _fail(message: str, exit_status: int, as_json: bool) -> int:
    # As app._Group.invoke says it: one line on stderr and, under --json, the error as JSON on stdout.
    sys.stderr.write(f"Error: {message}\n")
    sys.stderr.flush()
    if as_json:
        _out_bytes(json_bytes({"schema": 1, "error": {"message": message, "exit": int(exit_status)}}))
    return int(exit_status)


def run(*, as_json: bool) -> int:
    """Run `endnoted status` (with --json when `as_json`): print what it prints, return its exit status."""
    try:
        data = read(None)
        if as_json:
            _out_bytes(json_bytes(data.to_json()))
        else:
            _out(render.status(data, verbosity=0))
        return exit_code(data)
    except EndnotedError as error:
        return _fail(str(error), error.exit_status, as_json)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # The reader (`| head`) has had enough: stop quietly (as app._Group.invoke does).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitStatus.SUCCESS)
    except Exception as error:  # a bug: say so in one line unless asked for the traceback
        if os.environ.get("ENDNOTED_DEBUG"):
            raise
        message = (f"endnoted failed unexpectedly ({type(error).__name__}: {error}); "
                   "run again with ENDNOTED_DEBUG=1 for details and report it.")
        return _fail(message, ExitStatus.ERROR, as_json)
