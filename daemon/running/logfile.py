"""The daemon's log file handler, apart from `logs` so that commands which log to stderr never import
logging.handlers (and socket and pickle with it)."""

from __future__ import annotations

import logging.handlers
import os
from typing import Any


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that is 0600 each time it is (re)opened, rotation included: it names your libraries."""

    def _open(self) -> Any:
        stream = super()._open()
        if os.name == "posix":
            os.chmod(self.baseFilename, 0o600)
        return stream
