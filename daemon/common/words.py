"""Counts in words that agree with their number: "1 reference was", "2 references were" (issue 14)."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 edit`, `2 edits`, `0 edits`; `many` when the plural is not just an s (`1 library`, `2 libraries`),
    or for a whole phrase (`plural(n, "reference was", "references were")`)."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"
