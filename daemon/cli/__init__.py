"""The command line: a thin click shell over the core, one module per command family.

Every expected failure is an EndnotedError and becomes one line on stderr with its exit status in
`app._Group.invoke`; nothing below the CLI prints or exits. Text output is formatted in `render`.

`endnoted status` and `endnoted status --json` take a lean path (`quick`) that does not import click
(start-up time, issue 16): so this package imports the click group (`app`) only when it is needed.
"""

from __future__ import annotations

import os
import sys

from endnoted.common import console

TYPE_CHECKING = False
if TYPE_CHECKING:   # annotations only: `status` must not pay for importing typing (start-up time, issue 16)
    from typing import Any

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    # `from endnoted.cli import cli` still works: the group is imported on first use, not with the package.
    if name == "cli":
        from endnoted.cli.app import cli
        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The command lines the lean path takes (`quick`), and whether each prints JSON. ENDNOTED_LEAN=0 sends
# them to click too (tests/cli/test_quick.py compares the two paths).
LEAN = {("status",): False, ("status", "--json"): True}


def main() -> None:
    console.make_safe()   # a cp1252 console or a redirected stdout must not crash on ✗ or →
    as_json = LEAN.get(tuple(sys.argv[1:]))
    if as_json is not None and os.environ.get("ENDNOTED_LEAN") != "0":
        # Imported here, as click's group below: each path loads only its own modules (start-up time).
        from endnoted.cli import quick
        sys.exit(quick.run(as_json=as_json))
    # ~30 ms with click and the group (python -X importtime): only for what the lean path does not take.
    from endnoted.cli.app import cli
    cli(prog_name="endnoted")
