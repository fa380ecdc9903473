"""Attachments the library lists but whose files are gone: they never reach EndNote Web."""

from __future__ import annotations

from collections.abc import Iterator

from endnoted.common.words import plural
from endnoted.judging.findings import Finding, Severity
from endnoted.probes.base import Context, references_named
from endnoted.reading.model import Snapshot


class AttachmentsProbe:
    name = "attachments"

    def check(self, snapshot: Snapshot, context: Context) -> Iterator[Finding]:
        if not snapshot.ok or snapshot.library.pdf_dir is None:
            return
        missing = snapshot.missing_files   # the reader looked: probes open no file
        if missing:
            # File names often carry author names (personal data): the finding names references, not files.
            refs, more = references_named(snapshot, {item.refs_id for item in missing})
            yield Finding(self.name, "attachments.missing-files", Severity.WARNING,
                          f"{plural(len(missing), 'attached file is', 'attached files are')} missing from the library's PDF folder; "
                          f"{'it cannot sync. Re-attach it' if len(missing) == 1 else 'they cannot sync. Re-attach them'} in EndNote (Find Broken Attachment Links) or restore a backup.",
                          len(missing), references=refs, more=more)
