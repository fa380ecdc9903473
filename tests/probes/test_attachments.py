"""The attachments probe: attached files that are not on disk."""

from __future__ import annotations

from pathlib import Path

from endnoted.demo.builder import synthetic_refs
from tests.probes.common import codes, library


def test_missing_attachment_files(tmp_path: Path) -> None:
    refs = synthetic_refs(4, attachments=3)
    assert "attachments.missing-files" not in codes(library(tmp_path, refs), mounts=())
    refs[1].attachment_missing = True
    assert "attachments.missing-files" in codes(library(tmp_path, refs, name="b"), mounts=())
