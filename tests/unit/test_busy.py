"""Which of a worker's Google events make the worker busy, and when (no emulator)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.domain.busy import BusyTime, busy_time

TIMED = {
    "id": "e1",
    "status": "confirmed",
    "summary": "Dentist",
    "start": {"dateTime": "2026-12-01T09:00:00+01:00", "timeZone": "Europe/Oslo"},
    "end": {"dateTime": "2026-12-01T10:00:00+01:00", "timeZone": "Europe/Oslo"},
}
ALL_DAY = {
    "id": "e2",
    "status": "confirmed",
    "summary": "Holiday",
    "start": {"date": "2026-12-24"},
    "end": {"date": "2026-12-26"},
}


def test_an_ordinary_event_is_busy_for_its_instants():
    busy = busy_time(TIMED)
    assert busy == BusyTime(
        event_id="e1",
        summary="Dentist",
        start=datetime(2026, 12, 1, 8, tzinfo=UTC),
        end=datetime(2026, 12, 1, 9, tzinfo=UTC),
    )
    assert not busy.all_day


@pytest.mark.parametrize(
    "change",
    [
        {"status": "cancelled"},
        {"transparency": "transparent"},
        {"eventType": "workingLocation"},
        {"eventType": "birthday"},
        {"attendees": [{"email": "ann@example.com", "self": True, "responseStatus": "declined"}]},
        {"end": TIMED["start"]},  # zero length
        {"start": {}, "end": {}},
    ],
    ids=[
        "cancelled",
        "transparent",
        "working-location",
        "birthday",
        "declined",
        "empty",
        "no-time",
    ],
)
def test_events_that_make_nobody_busy(change):
    assert busy_time({**TIMED, **change}) is None


@pytest.mark.parametrize(
    "change",
    [
        {"eventType": "outOfOffice"},
        {"eventType": "focusTime"},
        {"transparency": "opaque"},
        {"attendees": [{"email": "boss@example.com", "responseStatus": "declined"}]},
        {"attendees": [{"email": "ann@example.com", "self": True, "responseStatus": "accepted"}]},
    ],
    ids=["out-of-office", "focus-time", "opaque", "someone-else-declined", "accepted"],
)
def test_events_that_make_the_worker_busy(change):
    assert busy_time({**TIMED, **change}) is not None


def test_an_all_day_event_is_whole_days_in_the_viewers_zone():
    busy = busy_time(ALL_DAY)
    assert (busy.all_day, busy.start_date, busy.end_date) == (
        True,
        date(2026, 12, 24),
        date(2026, 12, 26),
    )
    oslo, auckland = ZoneInfo("Europe/Oslo"), ZoneInfo("Pacific/Auckland")
    assert busy.interval(oslo) == (
        datetime(2026, 12, 24, tzinfo=oslo),
        datetime(2026, 12, 26, tzinfo=oslo),
    )
    start, _ = busy.interval(auckland)
    assert start.astimezone(UTC) == datetime(2026, 12, 23, 11, tzinfo=UTC)


def test_an_all_day_event_without_an_end_lasts_its_day():
    busy = busy_time({**ALL_DAY, "end": {}})
    assert (busy.start_date, busy.end_date) == (date(2026, 12, 24), date(2026, 12, 25))


def test_an_instance_keeps_its_own_id_and_names_its_series():
    instance = {**TIMED, "id": "series_20261201T080000Z", "recurringEventId": "series"}
    busy = busy_time(instance)
    assert (busy.event_id, busy.recurring_event_id) == ("series_20261201T080000Z", "series")


def test_a_utc_z_time_is_read():
    busy = busy_time(
        {
            **TIMED,
            "start": {"dateTime": "2026-12-01T08:00:00Z"},
            "end": {"dateTime": "2026-12-01T09:00:00Z"},
        }
    )
    assert busy.start == datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC), False),
        (datetime(2026, 12, 1, 8, 30, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC), True),
        (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, 8, tzinfo=UTC), False),
    ],
)
def test_a_timed_block_overlaps_a_window_by_its_instants(since, until, expected):
    assert busy_time(TIMED).overlaps(since, until) is expected


def test_an_all_day_block_overlaps_with_a_days_margin_for_any_zone():
    busy = busy_time(ALL_DAY)
    assert busy.overlaps(datetime(2026, 12, 26, 5, tzinfo=UTC), datetime(2026, 12, 30, tzinfo=UTC))
    assert not busy.overlaps(datetime(2026, 12, 28, tzinfo=UTC), datetime(2026, 12, 30, tzinfo=UTC))
