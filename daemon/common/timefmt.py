"""The two time forms endnoted writes, one place each (issue 14: one time convention).

- Machines (JSON, the state file): ISO-8601 in UTC with a `Z`, always to the microsecond, e.g.
  `2026-12-02T17:51:29.000000Z`. The fixed width makes text order time order, which the store's
  queries and the history's sort rely on (Python's plain `isoformat()` drops a zero fraction, and
  `…:29Z` then sorts after `…:29.5Z`).
- People (tables, status, history): local time with its UTC offset, plus an age, e.g.
  `2026-12-02 18:51 +01:00 (3 hours ago)`. The offset makes a pasted line unambiguous for a help desk.
"""

from __future__ import annotations

import re  # already loaded on `status`'s lean path (start-up time, issue 16)
from datetime import UTC, datetime, timedelta, tzinfo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import overload
else:   # the overloads are the checker's: `status` must not pay for importing typing (start-up time, issue 16)
    def overload(function: object) -> object:
        return function


@overload
def iso_z(moment: datetime) -> str: ...
@overload
def iso_z(moment: None) -> None: ...  # noqa: F811 (overload, see above)
def iso_z(moment: datetime | None) -> str | None:  # noqa: F811
    """Given an aware datetime, return it in UTC as ISO-8601 with `Z` (None stays None).

    A naive datetime is taken as local time, as Python's `astimezone` does.
    """
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def now_z() -> str:
    """The current moment in the machine form."""
    return iso_z(datetime.now(UTC))


def parse_iso(value: str | None) -> datetime | None:
    """Read back the machine form (or any ISO-8601 with an offset); None or "" gives None.

    A value without an offset (older state files wrote some) is taken as UTC, never as local time.
    """
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


_DAY = 86400
_MONTH = 365.25 / 12 * _DAY   # an average month: "3 months" needs no calendar


def duration(seconds: float) -> str:
    """A span in the largest unit that keeps it readable, whole units only (never "890.0 days"):
    "45 seconds", "1 minute", "3 hours", "12 days", "3 months" (from 60 days), "2 years" (from 2 years;
    "18 months" reads truer than "1 year" for a year and a half)."""
    seconds = abs(seconds)
    if seconds < 60:
        return _count(int(seconds), "second")
    if seconds < 3600:
        return _count(int(seconds // 60), "minute")
    if seconds < 2 * _DAY:
        return _count(int(seconds // 3600), "hour")
    if seconds < 60 * _DAY:
        return _count(int(seconds // _DAY), "day")
    if seconds < 24 * _MONTH:
        return _count(max(2, int(seconds // _MONTH)), "month")
    return _count(int(seconds // (12 * _MONTH)), "year")


def age(moment: datetime, now: datetime | None = None) -> str:
    """How long ago `moment` was: "just now", "3 hours ago"; a moment in the future is "in 5 minutes"."""
    delta = ((now or datetime.now(UTC)) - moment).total_seconds()
    if abs(delta) < 5:
        return "just now"
    return f"{duration(delta)} ago" if delta > 0 else f"in {duration(delta)}"


def local(moment: datetime, zone: tzinfo | None = None) -> str:
    """Local time with its offset, to the minute: `2026-12-02 18:51 +01:00`. `zone` is for tests."""
    shown = moment.astimezone(zone)
    offset = shown.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{shown:%Y-%m-%d %H:%M} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def when(moment: datetime | None, now: datetime | None = None, *, zone: tzinfo | None = None,
         never: str = "never") -> str:
    """The people form: local time with offset and the age, `2026-12-02 18:51 +01:00 (3 hours ago)`."""
    if moment is None:
        return never
    return f"{local(moment, zone)} ({age(moment, now)})"


# The machine form (and any ISO-8601 time with an offset), as it stands inside a sentence.
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def when_in(text: str, now: datetime | None = None, *, zone: tzinfo | None = None) -> str:
    """Given a sentence worded with machine times (the daemon's health: "stopped cleanly at <ISO>"), return
    it with each one in the people form, as every other time a person reads."""
    return ISO_TIME.sub(lambda match: when(parse_iso(match.group(0)), now, zone=zone), text)
