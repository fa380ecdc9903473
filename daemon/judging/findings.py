"""What probes return: small immutable records, hashable so passes can be diffed as sets."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(enum.IntEnum):
    INFO = 10
    WARNING = 20
    ERROR = 30

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a probe noticed. `code` is a stable, documented id (see README)."""

    probe: str
    code: str
    severity: Severity
    message: str  # one sentence for a person, naming the next action where there is one
    count: int | None = None  # how many objects it is about, where that is a number

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "severity": self.severity.label, "message": self.message}
        if self.count is not None:
            data["count"] = self.count
        data["probe"] = self.probe
        return data
