"""Hostile exports: an XML declaration expat cannot use, a FIFO or a device named as the export.

Each case runs the real CLI as a process with a time bound: one line on stderr, exit 2 (an
unreadable export), no traceback, the library hashed and listed before and after.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from tests.hostile.common import Untouched, endnoted, one_line_error

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="FIFOs and /dev/zero")


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    return build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(10), last_sync=days_ago(0.1)))


# shift_jis, utf-7, big5: "multi-byte encodings are not supported" (ValueError); the others are no
# text encoding Python knows (LookupError). Both crashed compare and check --export ("failed unexpectedly").
ENCODINGS = ["shift_jis", "utf-7", "big5", "x-klingon", "mbcs", "rot13", "hex", "zlib"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_export_declaring_an_encoding_expat_cannot_use_is_refused_in_one_line(
        tmp_path: Path, synced: Path, encoding: str) -> None:
    export = tmp_path / "web.xml"
    export.write_text(f'<?xml version="1.0" encoding="{encoding}"?>\n<xml><records><record>'
                      "<rec-number>1</rec-number></record></records></xml>\n", encoding="ascii")
    untouched = Untouched(synced.parent)
    compared = endnoted("compare", "--force", str(synced), str(export), timeout=30)
    assert "encoding" in one_line_error(compared, 2) and compared.seconds < 30
    checked = endnoted("check", "--export", str(export), str(synced), timeout=30)
    assert "encoding" in one_line_error(checked, 2)
    untouched.check()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_an_export_that_is_no_regular_file_is_refused_at_once(tmp_path: Path, synced: Path, kind: str) -> None:
    export = tmp_path / "web.xml"
    if kind == "fifo":
        os.mkfifo(export)
    else:
        export.symlink_to("/dev/zero")
    untouched = Untouched(synced.parent)
    compared = endnoted("compare", "--force", str(synced), str(export), timeout=20)
    assert "not a regular file" in one_line_error(compared, 2)
    checked = endnoted("check", "--export", str(export), str(synced), timeout=20)
    assert "not a regular file" in one_line_error(checked, 2)
    untouched.check()
