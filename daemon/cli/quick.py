"""The lean path of `endnoted status` and `endnoted status --json`: the same records, rendering and exit
codes as the click command, without importing click, psutil or sqlite-utils (start-up time, issue 16 item 5;
benchmarks/bench_startup.py measures it).

`cli.main` hands a command line here only when it is exactly one of `cli.LEAN`; everything else (options,
a library argument, --help, mistakes) goes to click. Both paths read and decide through `read` and
`exit_code` below (state/glance.py over state/reader.py's queries), render text through
`status_text.status` and make JSON through `state.status.from_view(...).to_json()`; only writing and the
error lines are done twice, here and in `app._Group.invoke`. The text path imports no dataclasses,
typing, pathlib or logging; `--json` loads the typed records, which make its one shape. ENDNOTED_LEAN=0 sends every command line to click: tests/cli/test_quick.py runs
both paths as real processes and compares stdout, stderr and exit codes byte for byte.

The read path logs nothing at the default verbosity, so this path sets up no logging (the click group does).
"""

from __future__ import annotations

import json
import os
import sys

from endnoted.cli import status_text
from endnoted.common import statedir
from endnoted.common.errors import EndnotedError, ExitStatus, expected
from endnoted.state import glance

TYPE_CHECKING = False
if TYPE_CHECKING:   # annotations only: typing costs `status` an import (start-up time)
    from typing import Any


def state_file() -> str | os.PathLike[str]:
    """The state file's path: from the environment where it tells (statedir.locate), else from `paths` (Windows)."""
    folder = statedir.locate()
    if folder is None:
        from endnoted.common import paths  # the platform's convention: dataclasses, pathlib, platformdirs
        return paths.state_db()
    return os.path.join(folder, statedir.STATE_FILE)


def read(key: str | None) -> dict[str, Any]:
    """What `status` shows (glance.view), for one library's path or (None) for all, from the state file if any."""
    return glance.read(state_file(), key, glance.scan_endnote)


exit_code = glance.exit_code


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
            from endnoted.state.status import from_view  # the typed records make the JSON (one shape)
            _out_bytes(json_bytes(from_view(data).to_json()))
        else:
            _out(status_text.status(data, verbosity=0))
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
        if (known := expected(error)) is not None:   # as app._Group.invoke
            return _fail(str(known), known.exit_status, as_json)
        if os.environ.get("ENDNOTED_DEBUG"):
            raise
        message = (f"endnoted failed unexpectedly ({type(error).__name__}: {error}); "
                   "run again with ENDNOTED_DEBUG=1 for details and report it.")
        return _fail(message, ExitStatus.ERROR, as_json)
