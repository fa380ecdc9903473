"""Attachment files the library lists but that are gone from its PDF folder (used by the attachments probe and
by backup, which checks the copy it wrote)."""

from __future__ import annotations

from pathlib import Path

from endnoted.reading.model import Snapshot


def missing_attachment_paths(snapshot: Snapshot, pdf_dir: Path | None = None) -> list[str]:
    """Given a snapshot (and the PDF folder, default the library's), return attachment paths whose file is missing."""
    pdf_dir = pdf_dir or snapshot.library.pdf_dir
    if pdf_dir is None:
        return []
    return [item.path for item in snapshot.attachments if not (pdf_dir / item.path).is_file()]
