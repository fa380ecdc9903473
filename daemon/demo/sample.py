"""`endnoted demo`: a small EndNote-format library with a realistic sync problem, checked on the spot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from endnoted.demo.builder import LibrarySpec, RefSpec, build, synthetic_refs


def build_demo(folder: Path, *, now: datetime | None = None) -> Path:
    """Given a folder, write the demo library into it and return its `.enl`.

    The story: a library last synced 3 days ago. Five references were imported by a plug-in the
    week before that sync and never got a sync record (EndNote Web lacks them: diverged), two
    were edited since, and one attachment file went missing.
    """
    now = now or datetime.now(UTC)
    last_sync = now - timedelta(days=3)
    refs = synthetic_refs(40, seed=7, attachments=4)
    before = int((last_sync - timedelta(days=7)).timestamp())
    for ref in refs[:5]:
        ref.synced, ref.added, ref.updated = False, before, before
    for ref in refs[5:7]:
        ref.updated = int((now - timedelta(hours=5)).timestamp())
    refs[3].attachment_missing = True
    refs.append(RefSpec("Blue light for acne: a trial that was deleted", trashed=True))
    return build(folder, LibrarySpec(name="Demo Library", refs=refs, last_sync=last_sync, groups=3))
