"""The state folder an environment variable names, if one does: `paths.state_dir` asks this first, and the
lean `status` (cli/quick.py) reads it without importing `paths` (dataclasses, pathlib, platformdirs:
start-up time, issue 16 item 5). Imports: os only.
"""

from __future__ import annotations

import os


def from_env() -> str | None:
    """Given the environment, the state folder it names (ENDNOTED_STATE_DIR, then systemd's STATE_DIRECTORY), or None."""
    # 1. ENDNOTED_STATE_DIR wins everywhere (tests, several profiles, help desks).
    if value := os.environ.get("ENDNOTED_STATE_DIR"):
        return value
    # 2. systemd sets STATE_DIRECTORY when the unit asks for StateDirectory=.
    if value := os.environ.get("STATE_DIRECTORY"):
        return value.split(":")[0]
    return None


STATE_FILE = "state.db"
