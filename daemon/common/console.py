"""Console output that cannot crash: a cp1252 console, or a redirected stdout on Windows, cannot show ✗ or →.

Text streams are reconfigured to replace what their encoding cannot show (`?`), instead of raising
UnicodeEncodeError halfway through a report. `--json` bypasses this: it is always written as UTF-8
bytes (see `cli.app.emit_json`).
"""

from __future__ import annotations

import io
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:   # annotations only: `status` must not pay for importing typing (start-up time, issue 16)
    from typing import Any

SAMPLE = "✗ → … ·"


def can_show(text: str, encoding: str | None) -> bool:
    """Whether a stream with this encoding can write `text` without replacing anything."""
    try:
        text.encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def make_safe(*streams: Any) -> None:
    """Reconfigure text streams (default: stdout and stderr) to replace characters they cannot encode."""
    for stream in streams or (sys.stdout, sys.stderr):
        # pythonw on Windows has no stdout/stderr at all (None); a test may pass a StringIO.
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")
