"""One record of an export, as every export reader gives it, and the one way an export file is opened."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from endnoted.common.errors import ExportError
from endnoted.common.files import NotRegular, open_regular

FIELD_LIMIT = 400  # longer than any real title; bounds memory on hostile or gigantic exports


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One reference as an export shows it. `number` is the export's record number (not the Desktop id)."""

    number: str
    title: str
    year: str
    first_author: str
    doi: str
    db_id: str = ""
    database: str = ""   # EndNote XML `<database name=…>`: the file name of the library it was exported from


def make_record(number: str, title: str, year: str, first_author: str, doi: str, db_id: str = "",
            database: str = "") -> ExportRecord:
    return ExportRecord(number[:64], title[:FIELD_LIMIT], year[:32], first_author[:FIELD_LIMIT], doi[:256],
                        db_id[:64], database[:FIELD_LIMIT])


def open_export(path: Path) -> IO[bytes]:
    """Open an export for reading: only a regular file (a FIFO would wait for ever, /dev/zero never ends)."""
    try:
        return os.fdopen(open_regular(path), "rb")
    except NotRegular as error:
        raise ExportError(f"export {path} {error}; name the export file") from error
