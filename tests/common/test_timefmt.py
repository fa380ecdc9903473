"""The two time forms: ISO-8601 UTC with Z for machines, local time with offset and age for people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from endnoted.common.timefmt import age, duration, iso_z, local, parse_iso, when, when_in

PARIS_WINTER = timezone(timedelta(hours=1))
NEWFOUNDLAND = timezone(timedelta(hours=-3, minutes=-30))
MOMENT = datetime(2026, 12, 2, 17, 51, 29, tzinfo=UTC)


def test_the_machine_form_is_utc_with_z_and_reads_back() -> None:
    assert iso_z(MOMENT) == "2026-12-02T17:51:29.000000Z"
    assert iso_z(MOMENT.astimezone(PARIS_WINTER)) == "2026-12-02T17:51:29.000000Z"
    assert iso_z(None) is None
    assert parse_iso("2026-12-02T17:51:29Z") == MOMENT
    assert parse_iso("2026-12-02T18:51:29+01:00") == MOMENT
    assert parse_iso("2026-12-02T17:51:29") == MOMENT     # no offset: UTC, never the local zone
    assert parse_iso(None) is None and parse_iso("") is None


def test_machine_strings_order_as_time() -> None:
    # A whole second must not sort after a fraction of it: the store compares these as text.
    moments = [MOMENT + timedelta(microseconds=n) for n in (0, 1, 500000, 1000000)]
    assert sorted(iso_z(moment) for moment in moments) == [iso_z(moment) for moment in moments]


def test_the_people_form_has_the_offset_and_the_age() -> None:
    assert local(MOMENT, PARIS_WINTER) == "2026-12-02 18:51 +01:00"
    assert local(MOMENT, NEWFOUNDLAND) == "2026-12-02 14:21 -03:30"
    assert when(MOMENT, MOMENT + timedelta(hours=3, minutes=5), zone=PARIS_WINTER) == \
        "2026-12-02 18:51 +01:00 (3 hours ago)"
    assert when(None) == "never"


def test_machine_times_in_a_sentence_read_in_the_people_form() -> None:
    later = MOMENT + timedelta(hours=3, minutes=5)
    assert when_in("stopped cleanly at 2026-12-02T17:51:29.005017Z", later, zone=PARIS_WINTER) == \
        "stopped cleanly at 2026-12-02 18:51 +01:00 (3 hours ago)"
    assert when_in("no heartbeat since 2026-12-02T18:51:29+01:00 (hung?)", later, zone=PARIS_WINTER) == \
        "no heartbeat since 2026-12-02 18:51 +01:00 (3 hours ago) (hung?)"
    assert when_in("its process is gone (it crashed or was killed)") == "its process is gone (it crashed or was killed)"


@pytest.mark.parametrize(("seconds", "words"), [
    (1, "1 second"), (59, "59 seconds"), (60, "1 minute"), (150, "2 minutes"), (3600, "1 hour"),
    (5399, "1 hour"), (7200, "2 hours"), (47 * 3600, "47 hours"), (2 * 86400, "2 days"),
    (59 * 86400, "59 days"), (60 * 86400, "2 months"), (100 * 86400, "3 months"), (365 * 86400, "11 months"),
    (500 * 86400, "16 months"), (731 * 86400, "2 years"), (890 * 86400, "2 years"), (1133 * 86400, "3 years")])
def test_durations_have_their_plural_right(seconds: float, words: str) -> None:
    assert duration(seconds) == words


def test_ages_in_the_past_the_future_and_now() -> None:
    assert age(MOMENT, MOMENT + timedelta(minutes=1)) == "1 minute ago"
    assert age(MOMENT, MOMENT - timedelta(days=3)) == "in 3 days"
    assert age(MOMENT, MOMENT + timedelta(seconds=2)) == "just now"
