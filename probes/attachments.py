"""Attachments the library lists but whose files are gone: they never reach EndNote Web."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from endnoted.findings import Finding, Severity
from endnoted.probes.base import Context
from endnoted.snapshot import Snapshot


def missing_attachment_paths(snapshot: Snapshot, pdf_dir: Path | None = None) -> list[str]:
    """Given a snapshot (and the PDF folder, default the library's), return attachment paths whose file is missing."""
    pdf_dir = pdf_dir or snapshot.library.pdf_dir
    if pdf_dir is None:
        return []
    return [item.path for item in snapshot.attachments if not (pdf_dir / item.path).is_file()]


class AttachmentsProbe:
    name = "attachments"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        if not snapshot.ok or snapshot.library.pdf_dir is None:
            return
        missing = missing_attachment_paths(snapshot)
        if missing:
            # File names often carry author names (personal data): the finding gives the count only.
            yield Finding(self.name, "attachments.missing-files", Severity.WARNING,
                          f"{len(missing)} attached files are missing from the library's PDF folder; they cannot "
                          "sync. Re-attach them in EndNote (Find Broken Attachment Links) or restore a backup.",
                          len(missing))
